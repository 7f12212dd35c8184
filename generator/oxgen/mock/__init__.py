"""`oxgen mock-server`: Oxen's inference protocol (see OXEN_API.md) served over a snapshot, offline.

The protocol itself (routing, faults, auth, bodies, jobs, events, repositories) is the core the
generated client ships as its test kit (``oxen_inference.testing._protocol``), loaded from the
templates tree by :mod:`.protocol`; this package is the HTTP server around it.

Modules::

    server        uvicorn with a pre-bound socket and prompt shutdown
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
import sys
from types import FrameType

from .app import create_app
from .protocol import config as _config
from .state import MockState

MockConfig = _config.MockConfig

__all__ = ["MockConfig", "MockState", "create_app", "main"]


class _Stop(Exception):
    """SIGTERM, re-raised by uvicorn after its graceful shutdown."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def main(
    *,
    src: str,
    host: str = "127.0.0.1",
    port: int = 8765,
    latency: float = 0.5,
    fault_rate: float = 0.0,
    seed: int | None = None,
) -> int:
    """Serve `src` (snapshot folder or catalog file) until Ctrl-C or SIGTERM; the exit code."""
    from ..snapshot import SnapshotError
    from .server import bind, build_server

    try:
        config = MockConfig(latency=latency, fault_rate=fault_rate, seed=seed)
        state = MockState.load(src, config)
    except (SnapshotError, ValueError) as exc:
        print(f"oxgen: error: {exc}", file=sys.stderr)
        return 2
    try:
        sock = bind(host, port)
    except OSError as exc:
        print(
            f"oxgen: error: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr
        )
        return 2
    bound_port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    print(
        f"oxgen mock-server: {len(state.catalog.models)} models from {src} on http://{shown}:{bound_port}/api "
        f"(latency {latency:g}s, fault rate {fault_rate:g}, seed {seed}); Ctrl-C stops",
        file=sys.stderr,
        flush=True,
    )
    server = build_server(state, quiet=False)
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        server.run(sockets=[sock])
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sock.close()
    print("oxgen mock-server: stopped", file=sys.stderr)
    return 0
