"""`oxgen mock-server`: Oxen's inference protocol (see OXEN_API.md) served over a snapshot, offline.

Modules, in request order::

    server        uvicorn with a pre-bound socket and prompt shutdown
    app           the Starlette app: routes, error envelopes, lifespan
    gate          ASGI middleware: counters, fault injection, bearer auth
    body          reading JSON bodies and query parameters defensively
    routes_*      models, blocking generation, queue/events, mock-only and files
    state         MockState: catalog + jobs + events + faults + counters
    catalog       model lookup, filters, jsonschema validation
    jobs          queued jobs and history
    events        the SSE broker
    faults        seeded fault decisions
    media         tiny real PNG / MP4 / WAV files
    testing       running_mock_server(): the server in a background thread, for tests
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

from .app import create_app
from .config import MockConfig
from .state import MockState

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
