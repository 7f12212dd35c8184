"""`oxgen mock-server` as a process: starts fast, logs each request, stops cleanly on signals."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

OXGEN = [sys.executable, "-m", "oxgen.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(schemas: Path, port: int, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *OXGEN,
            "mock-server",
            "--schemas",
            str(schemas),
            "--port",
            str(port),
            "--latency",
            "0",
            *extra,
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def wait_up(url: str, timeout: float = 10.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            httpx.get(url, timeout=0.5)
            return time.monotonic() - started
        except httpx.TransportError:
            time.sleep(0.02)
    raise AssertionError("the mock server did not come up")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serves_logs_and_stops_on_signal(schemas_dir: Path, sig: signal.Signals) -> None:
    port = free_port()
    proc = start(schemas_dir, port)
    try:
        wait_up(f"http://127.0.0.1:{port}/_mock/stats")
        headers = {"Authorization": "Bearer k"}
        assert (
            httpx.get(f"http://127.0.0.1:{port}/api/ai/models", headers=headers).status_code == 200
        )
        with httpx.stream("GET", f"http://127.0.0.1:{port}/api/events", headers=headers) as stream:
            assert stream.status_code == 200
            proc.send_signal(sig)  # an open event stream must not hold the shutdown up
            stopped = time.monotonic()
            code = proc.wait(timeout=10)
        assert time.monotonic() - stopped < 3
    finally:
        proc.kill()
    out, err = proc.communicate()
    assert code == 0, err
    assert "161 models" in err
    assert (
        '"GET /api/ai/models HTTP/1.1" 200' in out
    )  # uvicorn logs one line per request, to stdout
    assert "stopped" in err and "Traceback" not in err


def test_starts_in_well_under_a_second(schemas_dir: Path) -> None:
    port = free_port()
    proc = start(schemas_dir, port)
    try:
        elapsed = wait_up(f"http://127.0.0.1:{port}/_mock/stats")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    assert elapsed < 3.0  # interpreter + imports + 161 models; typically ~0.5 s


def test_bad_source_and_busy_port_exit_2(tmp_path: Path, schemas_dir: Path) -> None:
    missing = subprocess.run(
        [*OXGEN, "mock-server", "--schemas", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert missing.returncode == 2 and "no such file" in missing.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [*OXGEN, "mock-server", "--schemas", str(schemas_dir), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ},
        )
    assert result.returncode == 2 and "cannot listen" in result.stderr


def test_public_names_are_honest() -> None:
    import oxgen.mock

    assert oxgen.mock.__all__ == sorted(oxgen.mock.__all__)
    assert all(hasattr(oxgen.mock, name) for name in oxgen.mock.__all__)
