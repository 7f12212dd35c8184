"""Batch runs killed with SIGKILL at many moments, then resumed until done, against the mock.

The batch process is ``python -m oxen_inference batch run``. Between it and `oxgen mock-server` sits a proxy that forwards everything but keeps
the answer of each enqueue for a while after the server created its jobs, so that kills land
while enqueues are in flight with their answers unread. Whatever the moment, once a run ends:
every input has exactly one job (the mock created exactly as many jobs as there are inputs, and
each is claimed by one input whose parameters it carries), every result is downloaded and intact,
and ``results.jsonl`` is complete.
"""

from __future__ import annotations

import functools
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from oxen_inference._batch import write_report
from oxen_inference._journal import Journal

from oxgen.mock.testing import MockServer, running_mock_server

from .conftest import SCHEMAS
from .holdproxy import HoldProxy, running_hold_proxy

pytestmark = pytest.mark.slow

IMAGE, VIDEO = "flux-2-pro", "luma-ray-v3-2-text-to-video"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
RUN_LIMIT = 60.0  # seconds a run may take before the test gives up on it
FEW = 3  # requests in flight for the runs killed at chosen moments


def _inputs(folder: Path) -> list[dict[str, Any]]:
    (folder / "img.png").write_bytes(PNG)
    rows: list[dict[str, Any]] = [{"model": IMAGE, "prompt": f"picture {i}"} for i in range(20)]
    rows += [{"id": f"same-{i}", "model": IMAGE, "prompt": "identical"} for i in range(5)]
    rows += [{"model": VIDEO, "prompt": f"clip {i}", "duration": "5s"} for i in range(6)]
    rows += [{"model": IMAGE, "prompt": f"edit {i}", "input_image": ["@img.png"]} for i in range(2)]
    rows += [{"model": VIDEO, "prompt": "clip 0", "duration": "10s"}]  # not identical to clip 0
    return rows


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[tuple[Path, list[dict[str, Any]]]]:
    rows = _inputs(tmp_path)
    (tmp_path / "inputs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    yield tmp_path, rows


def _spawn(
    proxy: HoldProxy, mock: MockServer, folder: Path, concurrency: int | None = None
) -> subprocess.Popen[bytes]:
    env = dict(os.environ, OXEN_API_KEY=mock.api_key, OXEN_BASE_URL=proxy.base_url)
    inputs, out = str(folder / "inputs.jsonl"), str(folder / "out")
    command = [sys.executable, "-m", "oxen_inference", "batch", "run", inputs, "--out", out]
    if concurrency is not None:
        command += ["--concurrency", str(concurrency)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _created(mock: MockServer) -> int:
    return int(mock.stats()["jobs_created"])


def _saved(folder: Path) -> int:
    outputs = folder / "out" / "outputs"
    return (
        len([p for p in outputs.iterdir() if not p.name.startswith(".")]) if outputs.is_dir() else 0
    )


def _kill_when(process: subprocess.Popen[bytes], ready: Callable[[], bool]) -> bool:
    """SIGKILL `process` once `ready()` holds; False when it ended first (nothing to kill)."""
    deadline = time.monotonic() + RUN_LIMIT
    while process.poll() is None:
        if ready():
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        assert time.monotonic() < deadline, "the batch run neither reached the moment nor ended"
        time.sleep(0.005)
    return False


def _readable(folder: Path, total: int) -> None:
    """A killed run's journal reads, every input in it, and its page is written from it (what
    ``batch report`` does) with a card per input."""
    journal = Journal.read(folder / "out")
    try:
        assert len(journal.rows()) == total == sum(journal.counts().values())
    finally:
        journal.close()
    page = write_report(folder / "out").read_text(encoding="utf-8")
    assert page.count("<article") == total


def _past(instant: float) -> bool:
    return time.monotonic() > instant


def _check_done(mock: MockServer, folder: Path, rows: list[dict[str, Any]]) -> None:
    results = [
        json.loads(line) for line in (folder / "out" / "results.jsonl").read_text().splitlines()
    ]
    ids = [r.get("id", str(n)) for n, r in enumerate(rows, 1)]
    assert [r["id"] for r in results] == ids
    assert all(r["status"] == "succeeded" for r in results), results
    gids = [r["generation_id"] for r in results]
    assert len(set(gids)) == len(rows)
    assert _created(mock) == len(rows)  # exactly one job per input, never paid twice
    jobs = mock.call(lambda: dict(mock.state.jobs.jobs))
    assert set(gids) == set(jobs)
    with httpx.Client() as http:
        for row, result in zip(rows, results, strict=True):
            job = jobs[result["generation_id"]]
            assert job.model == row["model"]
            assert job.params["prompt"] == row["prompt"]
            assert job.params.get("duration") == row.get("duration")
            saved = (folder / "out" / result["file"]).read_bytes()
            assert saved == http.get(result["result_url"]).content  # intact
    assert not list((folder / "out" / "outputs").glob(".*"))  # no partial download left


def _resume_to_the_end(proxy: HoldProxy, mock: MockServer, folder: Path) -> None:
    proxy.hold = 0.05
    process = _spawn(proxy, mock, folder)
    try:
        _, err = process.communicate(timeout=RUN_LIMIT)
    finally:
        process.kill()
    assert process.returncode == 0, err.decode()


def _moments(
    mock: MockServer, proxy: HoldProxy, folder: Path, total: int
) -> list[Callable[[], bool]]:
    """When to kill each run: while answers are held (three times, each with more jobs made),
    while jobs run, and while results download."""
    made: list[int] = []

    def held_with_new_jobs() -> bool:
        now = _created(mock)
        if proxy.held and (not made or now > made[-1]):
            made.append(now)
            return True
        return False

    return [
        held_with_new_jobs,
        held_with_new_jobs,
        held_with_new_jobs,
        lambda: _created(mock) >= total // 2 and proxy.held == 0,
        lambda: _saved(folder) >= 3,
    ]


@pytest.mark.parametrize(
    ("fault_rate", "lose"),
    [(0.0, 0.0), (0.15, 0.0), (0.1, 0.2)],
    ids=["no faults", "mock faults", "mock faults and lost answers"],
)
def test_killed_runs_resume_without_paying_twice(
    workdir: tuple[Path, list[dict[str, Any]]], fault_rate: float, lose: float
) -> None:
    folder, rows = workdir
    with (
        running_mock_server(
            SCHEMAS, latency=0.6, keepalive=0.2, retry_after_max=0, fault_rate=fault_rate, seed=3
        ) as mock,
        running_hold_proxy(mock.root_url, hold=1.5, lose=lose, seed=5) as proxy,
    ):
        kills = 0
        for ready in _moments(mock, proxy, folder, len(rows)):
            # A few enqueues in flight at a time, so that each killed run leaves inputs unsent
            # for the next one, however slowly this machine gets to the kill.
            if _kill_when(_spawn(proxy, mock, folder, concurrency=FEW), ready):
                kills += 1
                _readable(folder, len(rows))
        assert kills >= 3
        _resume_to_the_end(proxy, mock, folder)
        _check_done(mock, folder, rows)
        if lose:
            assert proxy.lost > 0  # answers were lost, and settled by listing


def test_kills_at_random_moments(workdir: tuple[Path, list[dict[str, Any]]]) -> None:
    folder, rows = workdir
    rng = random.Random(21)
    with (
        running_mock_server(SCHEMAS, latency=0.4, keepalive=0.2, retry_after_max=0) as mock,
        running_hold_proxy(mock.root_url, hold=0.8) as proxy,
    ):
        for _ in range(6):
            process = _spawn(proxy, mock, folder)
            _kill_when(process, functools.partial(_past, time.monotonic() + rng.uniform(0.3, 2.5)))
        _resume_to_the_end(proxy, mock, folder)
        _check_done(mock, folder, rows)


def test_resuming_a_finished_run_sends_nothing(workdir: tuple[Path, list[dict[str, Any]]]) -> None:
    folder, rows = workdir
    with (
        running_mock_server(SCHEMAS, latency=0.1, keepalive=0.2) as mock,
        running_hold_proxy(mock.root_url, hold=0.0) as proxy,
    ):
        _resume_to_the_end(proxy, mock, folder)
        before = mock.stats()["requests_total"]
        _resume_to_the_end(proxy, mock, folder)
        assert mock.stats()["requests_total"] == before
        _check_done(mock, folder, rows)
