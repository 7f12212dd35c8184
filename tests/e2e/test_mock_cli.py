"""`oxgen mock-server` as a process: starts fast, prints the URL of the port it took (``--port 0``),
logs each request, stops cleanly on signals."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from oxgen.mock.catalog import Catalog
from oxgen.mock.catalog import counts as counts_of
from oxgen.mock.testing import mock_server_process
from oxgen.snapshot import load
from tests.conftest import REPO, process_gone

OXGEN = [sys.executable, "-m", "oxgen.cli"]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serves_logs_and_stops_on_signal(schemas_dir: Path, sig: signal.Signals) -> None:
    with mock_server_process(
        "--schemas", str(schemas_dir), "--latency", "0", stderr=subprocess.PIPE
    ) as (url, proc):
        headers = {"Authorization": "Bearer k"}
        assert httpx.get(f"{url}/ai/models", headers=headers).status_code == 200
        with httpx.stream("GET", f"{url}/events", headers=headers) as stream:
            assert stream.status_code == 200
            proc.send_signal(sig)  # an open event stream must not hold the shutdown up
            stopped = time.monotonic()
            code = proc.wait(timeout=10)
        assert time.monotonic() - stopped < 3
        assert proc.stderr is not None
        err = proc.stderr.read()
    assert code == 0, err
    counts = counts_of(Catalog.from_snapshot(load(str(schemas_dir))))  # both numbers, said once
    assert f"{counts.total} models from {schemas_dir} ({counts.split()}) on {url}" in err
    # uvicorn logs one line per request, on stderr: stdout carries only the URL
    assert '"GET /api/ai/models HTTP/1.1" 200' in err
    assert "stopped" in err and "Traceback" not in err


def test_port_0_takes_a_free_port_and_prints_its_url_alone_on_stdout(schemas_dir: Path) -> None:
    """Two servers on --port 0 side by side: each prints the URL of the port it bound, the only
    line of its stdout, and that URL reaches that server (its own counters move)."""
    args = ("--schemas", str(schemas_dir), "--latency", "0")
    with mock_server_process(*args) as (first, one), mock_server_process(*args) as (second, _):
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api", first), first
        assert first != second
        root = first.removesuffix("/api")
        httpx.get(f"{first}/ai/models", headers={"Authorization": "Bearer k"})
        stats = httpx.get(f"{root}/_mock/stats").json()
        assert stats["requests"]["GET /api/ai/models"] == 1
        other = httpx.get(second.removesuffix("/api") + "/_mock/stats").json()
        assert "GET /api/ai/models" not in other["requests"]
        one.send_signal(signal.SIGTERM)
        out, _ = one.communicate(timeout=10)
    assert out == ""  # the URL line was read already: nothing else was written to stdout


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


def test_the_root_readme_one_liner_talks_to_the_server_it_started(tmp_path: Path) -> None:
    """The README's mock-server block, run by bash as written (its venv set-up aside, and with
    .venv/bin/ this interpreter's folder): the call gets a video from the server it started, and
    its `kill $!` stops that server."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Mock server\n", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    setup = "python3 -m venv .venv && .venv/bin/pip install -q -e . && \\\n"
    assert block.startswith(setup), block
    script = block.removeprefix(setup).replace(".venv/bin/", str(Path(sys.executable).parent) + "/")
    script = script.replace("kill $!", 'echo "$!" >&2; kill $!')
    with (tmp_path / "stderr.txt").open("w+") as err:
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            timeout=60,
        )
        err.seek(0)
        said = err.read()
    assert done.returncode == 0, said
    answer = json.loads(done.stdout)
    assert answer["model"] == "luma-ray-v3-2-image-to-video" and answer["videos"][0]["url"]
    pid = int(said.strip().splitlines()[-1])
    if not process_gone(pid):  # stopped by the block's own `kill $!`
        os.kill(pid, signal.SIGKILL)
        raise AssertionError("the block's `kill $!` did not stop the server")
