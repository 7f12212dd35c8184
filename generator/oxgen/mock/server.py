"""Running the app on uvicorn: a pre-bound socket, prompt shutdown of open event streams."""

from __future__ import annotations

import asyncio
import socket

import uvicorn

from .app import create_app
from .state import MockState

BACKLOG = 4096


class MockUvicorn(uvicorn.Server):
    """A uvicorn server that ends the event streams first when asked to stop.

    Otherwise uvicorn would wait for every open ``/events`` response to finish (they never do),
    so Ctrl-C, SIGTERM or leaving the test helper would hang until the graceful timeout.
    """

    def __init__(self, config: uvicorn.Config, state: MockState) -> None:
        super().__init__(config)
        self.mock_state = state
        self.loop: asyncio.AbstractEventLoop | None = None

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        await super().serve(sockets)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        with self.mock_state.lock:
            self.mock_state.events.close_all()
        await super().shutdown(sockets)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket (port 0 picks a free one). Raises OSError (e.g. port in use)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only when the
    # listening socket says so, and without it keep-alive requests stall ~40 ms (Nagle + delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
        sock.set_inheritable(True)
    except OSError:
        sock.close()
        raise
    return sock


def build_server(state: MockState, *, quiet: bool) -> MockUvicorn:
    """A uvicorn server for `state`; `quiet` turns off the per-request log lines."""
    config = uvicorn.Config(
        create_app(state),
        log_level="warning" if quiet else "info",
        access_log=not quiet,
        lifespan="on",
        timeout_graceful_shutdown=2,
        # Idle connections are kept well beyond the client's own idle expiry (4 s), as production
        # front ends do (60 s is common): otherwise a connection the client reuses just as the
        # server drops it fails a request that must not be retried (an enqueue).
        timeout_keep_alive=30,
        backlog=BACKLOG,
    )
    return MockUvicorn(config, state)
