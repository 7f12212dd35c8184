"""The async client at scale and under faults, against ``oxgen mock-server``.

- 500 jobs at once with 30% of requests failing (429/503) and event streams dropping: every job
  whose submit succeeded ends ``succeeded``; nothing is enqueued twice; reconciliation stays within
  its documented bound of requests per stream (re)connect, never a request per job.
- 10,000 jobs at once with no limit in the caller (slow): all succeed, with one request per job plus
  a small constant. The server runs in its own process here, as a real API would.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import oxen_inference as ox
import pytest
from oxen_inference._events import PER_ID_LIMIT
from oxen_inference._types import TERMINAL_STATUSES

from oxgen.mock.testing import MockServer, mock_server_process

I2V = "luma-ray-v3-2-image-to-video"
IMG = "https://example.com/tiger.png"
SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
# One reconcile: the active list, one list per terminal status, at most PER_ID_LIMIT single rows.
RECONCILE_MAX = 1 + len(TERMINAL_STATUSES) + PER_ID_LIMIT


@pytest.mark.parametrize("seed", [1, 7, 23])
async def test_500_jobs_under_faults_all_finish(mock: MockServer, seed: int) -> None:
    mock.configure(fault_rate=0.3, latency=0.3, seed=seed)
    async with ox.AsyncOxen(api_key=mock.api_key, base_url=mock.base_url) as client:

        async def one(i: int) -> ox.GenerationResult | BaseException:
            try:
                job = await client.submit(I2V, prompt=f"tiger {i}", input_image=IMG)
            except (ox.RateLimitError, ox.InternalServerError) as exc:
                return exc  # every retry met a fault: the enqueue itself failed, visibly
            return await job.wait(timeout=120)

        results = await asyncio.gather(*[one(i) for i in range(500)])
        reconciles = client._hub.reconciles
    finished = [r for r in results if isinstance(r, ox.GenerationResult)]
    failed_submits = len(results) - len(finished)
    assert {r.status for r in finished} == {"succeeded"}
    assert len({r.generation_id for r in finished}) == len(finished)
    assert failed_submits < 25  # 0.3**4 of 500 is ~4
    stats = mock.stats()
    assert stats["jobs_created"] == len(finished)  # none lost, none enqueued twice
    requests = stats["requests"]
    per_job = requests.get("GET /api/ai/queue/{generation_id}", 0)
    lists = requests.get("GET /api/ai/queue", 0)
    streams = requests.get("GET /api/events", 0)
    assert streams >= 2  # streams did drop
    assert per_job <= PER_ID_LIMIT * reconciles
    # every reconcile is bounded, and reconciles happen per stream (re)connect or failure, not per job
    assert per_job + lists <= RECONCILE_MAX * reconciles
    assert reconciles <= 3 * streams + 10, (reconciles, streams)


@pytest.fixture
def mock_process() -> Iterator[str]:
    """``oxgen mock-server`` in its own process (latency 1 s, on a port it chose); its base URL."""
    with mock_server_process(
        "--schemas",
        str(SCHEMAS),
        "--latency",
        "1.0",
        command=(str(Path(sys.executable).parent / "oxgen"),),
        env={**os.environ, "OXEN_LOG": ""},
    ) as (url, _):
        yield url


@pytest.mark.slow
async def test_10000_jobs_at_once_without_a_caller_side_limit(mock_process: str) -> None:
    jobs = 10_000
    async with ox.AsyncOxen(api_key="test-key", base_url=mock_process) as client:

        async def one(i: int) -> ox.GenerationResult:
            job = await client.submit(I2V, prompt=f"tiger {i}", input_image=IMG)
            return await job.wait(timeout=600)

        results = await asyncio.wait_for(asyncio.gather(*[one(i) for i in range(jobs)]), 600)
    assert len({r.generation_id for r in results}) == jobs
    assert {r.status for r in results} == {"succeeded"}
    stats = httpx.get(mock_process.replace("/api", "/_mock/stats")).json()
    made = {
        k: v
        for k, v in stats["requests"].items()
        if not k.startswith(("GET /_mock", "POST /_mock"))
    }
    assert made["POST /api/ai/queue"] == jobs
    assert sum(made.values()) - jobs <= 20, made  # the event stream and a few reconciles
