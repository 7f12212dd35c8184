"""Benchmarks of the generated client against `oxgen mock-server` on loopback, printed as ratios.

1. One submit through ``Oxen`` (validation, body, retries machinery, event stream already open)
   vs the same ``POST /ai/queue`` with raw httpx on the same kind of connection. Goal <= 1.10x.
   The same for ``AsyncOxen`` against ``httpx.AsyncClient``.
2. 1,000 concurrent ``AsyncJob.wait()``: requests made for waiting, memory, and wall time over
   the server's own job latency.
3. Scale: N jobs (``submit`` + ``wait``) started at once with no limit in the caller, against the
   same N jobs behind a caller-side ``asyncio.Semaphore(100)`` (goal <= 1.3x wall time); the
   requests the server saw (goal: one per job plus a small constant); client CPU per job at 1,000
   and at N jobs (goal: flat). The server runs in its own process, so the CPU is the client's.

Run: ``python bench/bench_client.py [--n 400] [--jobs 1000] [--scale 10000] [--only scale]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import oxen_inference as ox

from oxgen.mock.testing import mock_server_process, running_mock_server

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
        ours, theirs, our_cpu, their_cpu = [], [], [], []
        for _ in range(n):  # interleaved so both see the same server state
            t, c = time.perf_counter(), time.thread_time()
            client.submit_luma_ray_v3_2_image_to_video(**PARAMS)
            ours.append(time.perf_counter() - t)
            our_cpu.append(time.thread_time() - c)
            t, c = time.perf_counter(), time.thread_time()
            raw.post(url, json=body).json()
            theirs.append(time.perf_counter() - t)
            their_cpu.append(time.thread_time() - c)
        a, b = statistics.median(ours), statistics.median(theirs)
        extra = statistics.median(our_cpu) - statistics.median(their_cpu)
        print(
            f"submit: client {a * 1e3:.3f} ms, raw httpx {b * 1e3:.3f} ms (median of {n}) -> ratio "
            f"{a / b:.3f}x (goal <= 1.10x); the caller's thread CPU per call: "
            f"{extra * 1e6:+.0f} us beyond raw httpx"
        )
        client.close()
        raw.close()


async def _submits(base_url: str, key: str, n: int) -> tuple[float, float]:
    async with (
        ox.AsyncOxen(api_key=key, base_url=base_url) as client,
        httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}) as raw,
    ):
        url, body = base_url + "/ai/queue", {"model": MODEL, **PARAMS}
        await client.submit(MODEL, **PARAMS)  # warm up, as in bench_submit
        await raw.post(url, json=body)
        ours, theirs = [], []
        for _ in range(n):  # interleaved
            t = time.perf_counter()
            await client.submit_luma_ray_v3_2_image_to_video(**PARAMS)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            (await raw.post(url, json=body)).json()
            theirs.append(time.perf_counter() - t)
    return statistics.median(ours), statistics.median(theirs)


def bench_submit_async(n: int) -> None:
    """The same as bench_submit for ``AsyncOxen`` against ``httpx.AsyncClient``."""
    with running_mock_server(SCHEMAS, latency=5.0) as mock:
        a, b = asyncio.run(_submits(mock.base_url, mock.api_key, n))
    print(
        f"async submit: client {a * 1e3:.3f} ms, raw httpx {b * 1e3:.3f} ms (median of {n}) -> "
        f"ratio {a / b:.3f}x (goal <= 1.10x)"
    )


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


@contextmanager
def mock_process(latency: float) -> Iterator[str]:
    """``oxgen mock-server`` in its own process, on a port it chose; yields its root URL
    (``.../api`` is the API)."""
    oxgen = str(Path(sys.executable).parent / "oxgen")
    args = ("--schemas", str(SCHEMAS), "--latency", str(latency))
    env = {**os.environ, "OXEN_LOG": ""}
    with mock_server_process(*args, command=(oxgen,), env=env) as (url, _):
        yield url.removesuffix("/api")


async def _batch(api: str, jobs: int, caller_limit: int | None) -> tuple[float, float]:
    """Wall and client CPU seconds for `jobs` submit+wait started at once."""
    async with ox.AsyncOxen(api_key="test-key", base_url=api) as client:
        await client.models.list()  # warm: imports, first connection
        gate = asyncio.Semaphore(caller_limit) if caller_limit else None

        async def one(i: int) -> bool:
            if gate is None:
                job = await client.submit(
                    MODEL, prompt=f"tiger {i}", input_image=PARAMS["input_image"]
                )
            else:
                async with gate:
                    job = await client.submit(
                        MODEL, prompt=f"tiger {i}", input_image=PARAMS["input_image"]
                    )
            return (await job.wait(timeout=1200)).succeeded

        wall, cpu = time.perf_counter(), time.process_time()
        results = await asyncio.gather(*[one(i) for i in range(jobs)])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert all(results), "a job did not succeed"
    return wall, cpu


def _run_batch(
    root: str, jobs: int, caller_limit: int | None
) -> tuple[float, float, dict[str, int]]:
    httpx.post(root + "/_mock/reset")
    wall, cpu = asyncio.run(_batch(root + "/api", jobs, caller_limit))
    made = httpx.get(root + "/_mock/stats").json()["requests"]
    made = {k: v for k, v in made.items() if "/_mock/" not in k and k != "GET /api/ai/models"}
    return wall, cpu, made


def bench_scale(jobs: int, small: int, latency: float) -> None:
    """`small` and `jobs` at once, and `jobs` behind a caller-side Semaphore(100); the two big
    runs are interleaved A B B A so that a drift in the machine's load hits both alike."""
    with mock_process(latency) as root:
        runs: dict[str, list[tuple[float, float, dict[str, int]]]] = {
            "small": [],
            "at once": [],
            "sem": [],
        }
        for key, n, limit in (
            ("small", small, None),
            ("at once", jobs, None),
            ("sem", jobs, 100),
            ("sem", jobs, 100),
            ("at once", jobs, None),
        ):
            wall, cpu, made = _run_batch(root, n, limit)
            runs[key].append((wall, cpu, made))
            label = {"small": f"{small:,} at once", "at once": f"{jobs:,} at once"}.get(
                key, f"{jobs:,} behind Semaphore(100)"
            )
            print(
                f"{label}: wall {wall:.2f} s, client CPU {cpu:.2f} s ({cpu / n * 1e3:.3f} ms/job), "
                f"requests {sum(made.values())} = jobs + {sum(made.values()) - n} ({made})",
                flush=True,
            )
        small_cpu = runs["small"][0][1] / small
        big_cpu = statistics.mean(r[1] for r in runs["at once"]) / jobs
        ours = statistics.mean(r[0] for r in runs["at once"])
        theirs = statistics.mean(r[0] for r in runs["sem"])
        extra = max(sum(r[2].values()) - jobs for r in runs["at once"])
        print(
            f"scale: {jobs:,} at once vs behind Semaphore(100) (mean of 2 each): wall {ours:.2f} s vs "
            f"{theirs:.2f} s -> ratio {ours / theirs:.3f}x (goal <= 1.3x); requests beyond one per "
            f"job: at most {extra} (goal: a small constant); client CPU per job "
            f"{small_cpu * 1e3:.3f} ms at {small:,} vs {big_cpu * 1e3:.3f} ms at {jobs:,} -> "
            f"{big_cpu / small_cpu:.2f}x (goal: flat)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=2.0)
    parser.add_argument("--scale", type=int, default=10_000, help="jobs at once in the scale run")
    parser.add_argument("--scale-small", type=int, default=1000)
    parser.add_argument("--scale-latency", type=float, default=1.0)
    parser.add_argument("--only", choices=["submit", "waits", "scale"])
    args = parser.parse_args()
    if args.only in (None, "submit"):
        bench_submit(args.n)
        bench_submit_async(args.n)
    if args.only in (None, "waits"):
        bench_waits(args.jobs, args.latency)
    if args.only in (None, "scale"):
        bench_scale(args.scale, args.scale_small, args.scale_latency)


if __name__ == "__main__":
    main()
