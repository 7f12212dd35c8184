"""Run the mock server inside tests: :func:`running_mock_server` (in a thread of the test's
process) and :func:`mock_server_process` (``oxgen mock-server --port 0`` as a process).

    from .testing import running_mock_server

    with running_mock_server("schemas", latency=0.05) as mock:
        httpx.get(mock.base_url + "/ai/models", headers=mock.headers)

The server runs uvicorn in a daemon thread on 127.0.0.1 with a free port, and starts in well under
a second. Leaving the block ends open event streams and stops the server.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from .. import snapshot as snap
from .connections import HEADER_TIMEOUT
from .protocol import config as core_config
from .server import MockUvicorn, bind, build_server
from .state import MockState

MockConfig = core_config.MockConfig

T = TypeVar("T")

DEFAULT_KEY = "test-key"


class MockServer:
    """A running mock server. `base_url` ends in ``/api`` (what clients take as their base)."""

    def __init__(self, state: MockState, server: MockUvicorn, host: str, port: int) -> None:
        self.state = state
        self.server = server
        self.host = host
        self.port = port
        self.root_url = f"http://{host}:{port}"
        self.base_url = f"{self.root_url}/api"
        self.api_key = DEFAULT_KEY
        self.headers = {"Authorization": f"Bearer {self.api_key}"}

    @property
    def config(self) -> MockConfig:
        return self.state.config

    def call(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        """Run `fn` on the server's event loop (where state must be changed) and return its result."""
        loop = self.server.loop
        if loop is None:
            raise RuntimeError("the mock server is not running")

        async def run() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), loop).result(timeout)

    def stats(self) -> dict[str, Any]:
        """The same counters as ``GET /_mock/stats``."""
        return self.call(self.state.stats)

    def reset(self) -> None:
        """Forget jobs, files and counters; restore the start-up settings and reseed faults."""
        self.call(self.state.reset)

    def configure(self, **changes: Any) -> None:
        """Change settings (latency, fault_rate, seed, keepalive, ...) while running."""

        self.call(lambda: self.state.configure(changes))

    def drop_streams(self) -> int:
        """Drop every open ``/events`` stream now; returns how many were open."""
        return self.call(self.state.drop_streams)

    def stall_streams(self, api_key: str | None = None) -> int:
        """Make every open ``/events`` stream (of `api_key` only, if given) go silent: no events,
        no keep-alives, the connection left open. Returns how many were stalled."""
        return self.call(lambda: self.state.stall_streams(api_key))


@contextmanager
def running_mock_server(
    src: str | os.PathLike[str] | snap.Snapshot = "schemas",
    *,
    latency: float = 0.05,
    fault_rate: float = 0.0,
    stall_rate: float = 0.0,
    seed: int | None = 0,
    keepalive: float = 15.0,
    retry_after_max: int = 1,
    host: str = "127.0.0.1",
    port: int = 0,
    startup_timeout: float = 10.0,
    header_timeout: float = HEADER_TIMEOUT,
) -> Iterator[MockServer]:
    """Serve `src` (snapshot folder, catalog file or a loaded Snapshot) in a background thread.
    `header_timeout`: seconds a request's headers may take to arrive (then 408 and closed)."""
    snapshot = src if isinstance(src, snap.Snapshot) else snap.load(src)
    config = MockConfig(
        latency=latency,
        fault_rate=fault_rate,
        stall_rate=stall_rate,
        seed=seed,
        keepalive=keepalive,
        retry_after_max=retry_after_max,
    )
    state = MockState(snapshot, config)
    sock = bind(host, port)
    server = build_server(state, quiet=True, header_timeout=header_timeout)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # surfaced to the caller below
            failure.append(exc)

    thread = threading.Thread(target=run, name=f"oxgen-mock-{sock.getsockname()[1]}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(
                    f"mock server failed to start: {failure[0] if failure else 'timed out'}"
                )
            time.sleep(0.005)
        yield MockServer(state, server, host, sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=5)
        sock.close()


@contextmanager
def mock_server_process(
    *args: str,
    command: tuple[str, ...] = (),
    startup_timeout: float = 30.0,
    **popen: Any,
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``oxgen mock-server --port 0 *args`` in its own process: yields (the base URL it printed,
    the process). The port is the one this server bound (read from the single line it prints on
    stdout once it listens), so no other server can answer in its place. SIGTERM on leaving.

    `command` replaces ``python -m oxgen.cli`` (e.g. a console script); `popen` goes to
    :class:`subprocess.Popen` (stderr, env, cwd...)."""
    import queue
    import signal
    import sys

    argv = [*(command or (sys.executable, "-m", "oxgen.cli")), "mock-server", "--port", "0", *args]
    popen.setdefault("stderr", subprocess.DEVNULL)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, **popen)
    stdout = proc.stdout
    assert stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        try:
            url = lines.get(timeout=startup_timeout).strip()
        except queue.Empty:
            url = ""
        if not url.startswith("http://"):
            raise RuntimeError(f"oxgen mock-server did not start (exit code {proc.poll()})")
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        stdout.close()
