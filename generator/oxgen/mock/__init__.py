"""`oxgen mock-server`: Oxen's inference protocol (see OXEN_API.md) served over a snapshot, offline.

The protocol itself (routing, faults, auth, bodies, jobs, events, repositories) is the core the
generated client ships as its test kit (``oxen_inference.testing._protocol``), loaded from the
templates tree by :mod:`.protocol`; this package is the HTTP server around it.

Modules::

    server        uvicorn with a pre-bound socket and prompt shutdown
    connections   the accept loop (quiet at the file limit) and a deadline on request headers
    app           the Starlette app: the mock-only routes, then every request through the core
    routes_mock   /_mock/stats, /_mock/reset, /_mock/config, /_mock/events/drop|stall
    state         MockState: the core's State over a snapshot
    catalog       the snapshot's models, routed by oxgen.routes, checked by jsonschema
    protocol      the core, loaded from templates/oxen_inference/testing/_protocol
    media         the core's tiny real PNG / MP4 / WAV files, for tests and benchmarks
    testing       running_mock_server(): the server in a background thread, for tests
"""

from __future__ import annotations

import signal
import socket
from dataclasses import dataclass
from types import FrameType

from .app import create_app
from .protocol import config as _config
from .state import MockState

MockConfig = _config.MockConfig

__all__ = ["Listening", "MockConfig", "MockError", "MockState", "create_app", "listen", "serve"]


class MockError(Exception):
    """The server cannot start (an unreadable snapshot, bad settings, a port it cannot take);
    the message is for the user."""


class _Stop(Exception):
    """SIGTERM, re-raised by uvicorn after its graceful shutdown."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Stop


@dataclass(frozen=True)
class Listening:
    """A loaded snapshot and the socket it will be served on."""

    state: MockState
    sock: socket.socket
    port: int  # the port the socket took (port 0 asks for any free one)


def listen(
    *,
    src: str,
    host: str = "127.0.0.1",
    port: int = 8765,
    latency: float = 0.5,
    fault_rate: float = 0.0,
    seed: int | None = None,
) -> Listening:
    """Load `src` (snapshot folder or catalog file) and bind its socket. Raises MockError."""
    from ..snapshot import SnapshotError
    from .server import bind

    try:
        config = MockConfig(latency=latency, fault_rate=fault_rate, seed=seed)
        state = MockState.load(src, config)
    except (SnapshotError, ValueError) as exc:
        raise MockError(str(exc)) from None
    try:
        sock = bind(host, port)
    except OSError as exc:
        raise MockError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return Listening(state, sock, sock.getsockname()[1])


def serve(listening: Listening) -> None:
    """Serve until Ctrl-C or SIGTERM, then close the socket."""
    from .server import build_server

    server = build_server(listening.state, quiet=False)
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        server.run(sockets=[listening.sock])
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        listening.sock.close()
