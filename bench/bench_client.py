"""Benchmarks of the generated client against `oxgen mock-server` on loopback, printed as ratios.

1. One submit through ``Oxen`` (validation, body, retries machinery, event stream already open)
   vs the same ``POST /ai/queue`` with raw httpx on the same kind of connection. Goal <= 1.10x.
2. 1,000 concurrent ``AsyncJob.wait()``: requests made for waiting, memory, and wall time over
   the server's own job latency.

Run: ``python bench/bench_client.py [--n 400] [--jobs 1000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import tracemalloc
from pathlib import Path

import httpx
import oxen_inference as ox

from oxgen.mock.testing import running_mock_server

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
MODEL = "luma-ray-v3-2-image-to-video"
PARAMS = {"prompt": "a tiger in the snow", "input_image": "https://example.com/tiger.png"}


def bench_submit(n: int) -> None:
    with running_mock_server(SCHEMAS, latency=5.0) as mock:
        raw = httpx.Client(headers=mock.headers)
        client = ox.Oxen(api_key=mock.api_key, base_url=mock.base_url)
        url = mock.base_url + "/ai/queue"
        body = {"model": MODEL, **PARAMS}
        client.submit(MODEL, **PARAMS)  # warm up: stream open, class imported, connections made
        raw.post(url, json=body)
        ours, theirs = [], []
        for _ in range(n):  # interleaved so both see the same server state
            t = time.perf_counter()
            client.submit_luma_ray_v3_2_image_to_video(**PARAMS)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            raw.post(url, json=body).json()
            theirs.append(time.perf_counter() - t)
        a, b = statistics.median(ours), statistics.median(theirs)
        print(
            f"submit: client {a * 1e3:.3f} ms, raw httpx {b * 1e3:.3f} ms (median of {n}) -> ratio {a / b:.3f}x (goal <= 1.10x)"
        )
        client.close()
        raw.close()


async def _waits(base_url: str, key: str, jobs: int) -> tuple[float, float]:
    async with ox.AsyncOxen(api_key=key, base_url=base_url) as client:
        handles = await asyncio.gather(*[client.submit(MODEL, **PARAMS) for _ in range(jobs)])
        tracemalloc.start()
        started = time.perf_counter()
        results = await asyncio.gather(*[h.wait(timeout=120) for h in handles])
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert all(r.succeeded for r in results)
    return elapsed, peak


def bench_waits(jobs: int, latency: float) -> None:
    with running_mock_server(SCHEMAS, latency=latency) as mock:
        before = mock.stats()["requests"]
        elapsed, peak = asyncio.run(_waits(mock.base_url, mock.api_key, jobs))
        after = mock.stats()["requests"]
        waiting = {k: after.get(k, 0) - before.get(k, 0) for k in after if k.startswith("GET")}
        total = sum(waiting.values())
        print(
            f"{jobs} concurrent waits: {total} requests for waiting ({total / jobs:.3f} per job; {waiting}), "
            f"peak memory while waiting {peak / 1e6:.1f} MB ({peak / jobs / 1e3:.1f} kB per job), "
            f"wait time {elapsed:.2f} s vs server latency {latency:.2f} s -> {elapsed / latency:.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=2.0)
    args = parser.parse_args()
    bench_submit(args.n)
    bench_waits(args.jobs, args.latency)


if __name__ == "__main__":
    main()
