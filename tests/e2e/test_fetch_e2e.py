"""`oxgen fetch` against the mock server: byte-identical round trip, retries under faults, and a
failed or interrupted fetch that leaves the old snapshot exactly as it was."""

from __future__ import annotations

import datetime
import functools
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from oxgen import fetch, releases, snapshot
from oxgen.cli import run_fetch
from oxgen.fetch import RetryPolicy
from oxgen.mock.testing import MockServer, running_mock_server

# At a 0.3 fault rate a model fails for good with probability 0.3**attempts; over ~160 models,
# 8 attempts still failed about one run in a hundred, 12 about one in ten thousand.
FAST = RetryPolicy(attempts=12, backoff=0.005, max_backoff=0.05, max_retry_after=0.05)


def tree(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# A day that is neither today nor the committed ledger's: the release a fetch records is dated by
# the clock it is given, never by the day the test runs.
DAY = datetime.date(2031, 2, 3)


def assert_fetched_copy(out: Path, schemas_dir: Path) -> None:
    """`out` holds the snapshot in `schemas_dir` byte for byte (every model file and the manifest)
    and a ledger that starts a new history: one initial release, dated the day of the fetch."""
    got, want = tree(out), tree(schemas_dir)
    ledger = got.pop(releases.LEDGER)
    del want[releases.LEDGER]
    assert got == want
    models = snapshot.from_folder(schemas_dir)
    empty: dict[str, tuple[releases.Entry, ...]] = {level: () for level in releases.LEVELS}
    first = releases.Release(
        releases.INITIAL_VERSION, DAY.isoformat(), "initial", releases.count_models(models), empty
    )
    assert releases.parse(ledger.decode(), "fetched ledger") == (first,)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OXEN_API_KEY", "test-key")
    monkeypatch.delenv("OXEN_BASE_URL", raising=False)


def test_round_trip_is_byte_identical(
    mock: MockServer,
    schemas_dir: Path,
    tmp_path: Path,
    env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "schemas"
    assert run_fetch(base_url=mock.base_url, out=out, today=DAY) == 0
    assert_fetched_copy(out, schemas_dir)
    assert "fetched 161 models" in capsys.readouterr().out
    assert mock.stats()["requests"]["GET /api/ai/models/{model_id}"] == 161


def test_round_trip_under_fault_injection(
    mock: MockServer, schemas_dir: Path, tmp_path: Path, env: None
) -> None:
    mock.configure(fault_rate=0.3, seed=5)
    out = tmp_path / "schemas"
    assert run_fetch(base_url=mock.base_url, out=out, policy=FAST, today=DAY) == 0
    assert_fetched_copy(out, schemas_dir)
    assert sum(mock.stats()["faults"].values()) > 20  # retried through them


def test_refetch_over_an_older_snapshot_reports_changes(
    mock: MockServer,
    schemas_dir: Path,
    tmp_path: Path,
    env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "schemas"
    shutil.copytree(schemas_dir, out)
    (out / "zz-stale-model.json").write_text("{}")
    assert run_fetch(base_url=mock.base_url, out=out) == 0
    assert tree(out) == tree(schemas_dir)  # stale files gone, nothing else changed
    assert "(0 changed, 0 added, 0 removed)" in capsys.readouterr().out


class Failing(httpx.AsyncBaseTransport):
    """Real HTTP to the mock, except a 500 for some model ids."""

    def __init__(self, broken: set[str]) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.broken = broken

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.rsplit("/", 1)[-1] in self.broken:
            return httpx.Response(
                500, json={"error": {"type": "unknown_error", "title": "x", "detail": "exploded"}}
            )
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_server_errors_on_some_models_leave_the_old_snapshot(
    mock: MockServer,
    schemas_dir: Path,
    tmp_path: Path,
    env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "schemas"
    shutil.copytree(schemas_dir, out)
    (out / "flux-2-pro.json").write_text("locally edited\n")  # the old snapshot, whatever it holds
    before = tree(out)
    broken = {"flux-2-pro", "luma-ray-v3-2-image-to-video"}
    real = fetch.fetch_models

    def patched(*args: Any, **kwargs: Any) -> Any:
        return real(*args, **{**kwargs, "transport": Failing(broken)})

    monkeypatch.setattr(fetch, "fetch_models", functools.wraps(real)(patched))
    assert run_fetch(base_url=mock.base_url, out=out, policy=FAST) == 1
    err = capsys.readouterr().err
    for model_id in broken:
        assert f"failed: {model_id}: HTTP 500: exploded" in err
    assert "2 model(s) could not be fetched" in err and "left as it was" in err
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schemas"]


def test_listing_that_keeps_failing_exits_1(mock: MockServer, tmp_path: Path, env: None) -> None:
    mock.configure(fault_rate=1.0)
    assert run_fetch(base_url=mock.base_url, out=tmp_path / "s", policy=FAST) == 1
    assert not (tmp_path / "s").exists()


def _interruptible() -> None:
    # As from a terminal, whatever this test process inherited: a background job without job
    # control (a CI step, `cmd &` in a script) starts with SIGINT ignored, and so would the child.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_fetch(base_url: str, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "oxgen.cli", "fetch", "--base-url", base_url, "--out", str(out)],
        env={"OXEN_API_KEY": "k", "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_interruptible,
    )


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_interrupted_fetch_leaves_the_old_snapshot(
    schemas_dir: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    out = tmp_path / "schemas"
    shutil.copytree(schemas_dir, out)
    (out / "flux-2-pro.json").write_text("old\n")
    before = tree(out)
    # Half the requests fault (seed 2 lets the listing through): retries make the fetch slow enough to cut.
    with running_mock_server(schemas_dir, fault_rate=0.5, seed=2, retry_after_max=1) as server:
        proc = start_fetch(server.base_url, out)
        deadline = time.monotonic() + 10
        while server.stats()["requests"].get("GET /api/ai/models/{model_id}", 0) < 5:
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.02)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=10)
    assert tree(out) == before
    if sig == signal.SIGINT:
        assert proc.returncode == 1
        assert "interrupted" in err and "left as it was" in err and "Traceback" not in err
        assert sorted(p.name for p in tmp_path.iterdir()) == ["schemas"]
