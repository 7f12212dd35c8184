"""Running the app on uvicorn: a pre-bound socket, prompt shutdown of open event streams, and
connections handled by :mod:`.connections` (a deadline on request headers; an accept loop that
stays quiet and keeps serving at the file limit)."""

from __future__ import annotations

import asyncio
import copy
import socket
from collections.abc import Callable
from typing import Any

import uvicorn

from .app import create_app
from .connections import HEADER_TIMEOUT, Acceptor, HeaderDeadlineProtocol
from .state import MockState

BACKLOG = 4096


class MockUvicorn(uvicorn.Server):
    """A uvicorn server that ends the event streams first when asked to stop.

    Otherwise uvicorn would wait for every open ``/events`` response to finish (they never do),
    so Ctrl-C, SIGTERM or leaving the test helper would hang until the graceful timeout.
    """

    def __init__(
        self, config: uvicorn.Config, state: MockState, header_timeout: float = HEADER_TIMEOUT
    ) -> None:
        super().__init__(config)
        self.mock_state = state
        self.header_timeout = header_timeout
        self.loop: asyncio.AbstractEventLoop | None = None
        self.acceptors: list[Acceptor] = []

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        await super().serve(sockets)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's start-up (lifespan) with no listener of its own; each socket is served by an
        :class:`Acceptor` instead of asyncio's accept loop."""
        if sockets is None:
            raise ValueError("the mock server runs on sockets it is given (see bind())")
        await super().startup(sockets=[])
        self.acceptors = [Acceptor(sock, self._protocol) for sock in sockets]
        for acceptor in self.acceptors:
            acceptor.start()
        self.servers = list(self.acceptors)  # type: ignore[arg-type]  # closed by shutdown()

    def _protocol(self, on_lost: Callable[[], None]) -> asyncio.Protocol:
        return HeaderDeadlineProtocol(
            config=self.config,
            server_state=self.server_state,
            app_state=self.lifespan.state,
            header_timeout=self.header_timeout,
            on_lost=on_lost,
        )

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


def log_config() -> dict[str, Any]:
    """uvicorn's logging with the per-request lines on stderr, like every other line: stdout
    carries only the URL the server listens on (``oxgen mock-server --port 0``)."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["handlers"]["access"]["stream"] = "ext://sys.stderr"
    return config


def build_server(
    state: MockState, *, quiet: bool, header_timeout: float = HEADER_TIMEOUT
) -> MockUvicorn:
    """A uvicorn server for `state`; `quiet` turns off the per-request log lines;
    `header_timeout`: seconds a request's headers may take to arrive (then 408 and closed)."""
    config = uvicorn.Config(
        create_app(state),
        log_level="warning" if quiet else "info",
        log_config=log_config(),
        access_log=not quiet,
        lifespan="on",
        timeout_graceful_shutdown=2,
        # Idle connections are kept well beyond the client's own idle expiry (4 s), as production
        # front ends do (60 s is common): otherwise a connection the client reuses just as the
        # server drops it fails a request that must not be retried (an enqueue).
        timeout_keep_alive=30,
        backlog=BACKLOG,
    )
    return MockUvicorn(config, state, header_timeout)
