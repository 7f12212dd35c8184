"""Batch runs: the journal's cost against a plain ``asyncio.gather`` of the same jobs.

* **Run**: INPUTS jobs (distinct prompts) against ``oxgen mock-server``, each side in a fresh
  process: ``python -m oxen_inference batch run ... --no-download`` (journal, settling,
  results.jsonl) against a script sending the same jobs through ``asyncio.gather`` over
  ``AsyncOxen.submit(...).wait()``, both with the client's default concurrency (32).
  Whole-process wall time, the two sides' order alternating by round. Goal: at most 1.25x.
* **Requests**: what the batch sent, beyond one enqueue per job. Goal: at most jobs + 100.
* **Journal and memory**: the journal's size on disk, and each process's peak resident memory.
* **Resume**: the same command again on the finished folder: whole-process time, and the time
  inside the run (reading and checking the inputs, opening the journal, finding nothing to do,
  rewriting results.jsonl and index.html), per thousand inputs. Goal: well under a second per
  thousand.
* **Page**: the size of index.html, and the time ``write_report`` takes to rewrite it from the
  journal (what ``batch report`` does after its imports), per thousand inputs.

    python bench/bench_batch.py [--inputs 3000] [--rounds 3] [--latency 1.0] [--strict]

The mock server runs in this process (a thread, on a port it picked); the measured runs are child
processes. Everything goes to bench/.work/batch/.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import PYTHON, REPO, WORK, Goal, Sample, fmt_s, print_goals, print_table

from oxgen.mock.testing import MockServer, running_mock_server

HERE = WORK / "batch"
MODEL = "flux-2-pro"
CONCURRENCY = 32  # the client's default max_concurrency, for both sides

COMMAND = ["-m", "oxen_inference", "batch", "run"]
INSIDE = """
import json, sys, time
import httpx, pydantic  # the imports are the process's cost, not the run's
from oxen_inference import Oxen, _batch, _batch_engine, _params, _client
started = time.perf_counter()
with Oxen(max_concurrency=int(sys.argv[3])) as client:
    result = client.batches.run(sys.argv[1], sys.argv[2], download=False)
print(json.dumps({"inside": time.perf_counter() - started, "ok": result.ok}))
"""

REPORT = """
import json, sys, time
from oxen_inference._batch import write_report
started = time.perf_counter()
write_report(sys.argv[1])
print(json.dumps({"inside": time.perf_counter() - started, "ok": True}))
"""

GATHER = """
import asyncio, json, sys, time
from oxen_inference import AsyncOxen
prompts = [json.loads(line)["prompt"] for line in open(sys.argv[1])]

async def main():
    async with AsyncOxen(max_concurrency=int(sys.argv[2])) as client:
        async def one(prompt):
            job = await client.submit(MODEL, prompt=prompt)
            return (await job.wait(timeout=None)).succeeded
        return await asyncio.gather(*(one(p) for p in prompts))

started = time.perf_counter()
ok = all(asyncio.run(main()))
print(json.dumps({"inside": time.perf_counter() - started, "ok": ok}))
""".replace("MODEL", repr(MODEL))


@dataclass
class Child:
    wall: float
    inside: float
    peak_mb: float
    cpu: float  # user + system seconds of the process


def run_child(argv: list[str], mock: MockServer) -> Child:
    """A fresh interpreter with `argv`; wall time, its own timing (when it prints one) and peak
    RSS."""
    env = dict(os.environ, OXEN_API_KEY=mock.api_key, OXEN_BASE_URL=mock.base_url, OXEN_LOG="")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [PYTHON, *argv], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"child exited {proc.returncode}:\n{out[-2000:]}\n{err[-4000:]}")
    last = out.strip().splitlines()[-1]
    report = (
        json.loads(last) if last.startswith("{") else {"inside": wall, "ok": "succeeded" in last}
    )
    if not report["ok"]:
        raise RuntimeError(f"a job did not succeed: {last}")
    return Child(wall, report["inside"], usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime)


def batch_argv(inputs: Path, out: Path) -> list[str]:
    return [
        *COMMAND,
        str(inputs),
        "--out",
        str(out),
        "--no-download",
        "--concurrency",
        str(CONCURRENCY),
    ]


def write_inputs(count: int) -> Path:
    HERE.mkdir(parents=True, exist_ok=True)
    path = HERE / f"inputs-{count}.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for i in range(count):
            f.write(json.dumps({"model": MODEL, "prompt": f"a red fox, take {i}"}) + "\n")
    return path


def journal_bytes(out: Path) -> int:
    return sum(p.stat().st_size for p in out.glob("journal.sqlite*"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal fails")
    args = parser.parse_args()
    n = args.inputs
    inputs = write_inputs(n)
    batch, gather = Sample("batch run"), Sample("asyncio.gather")
    resume_wall, resume_inside = Sample("resume (process)"), Sample("resume (inside)")
    report, page_bytes = Sample("report (inside)"), 0
    rows = [
        [
            "round",
            "batch run",
            "gather",
            "CPU batch / gather",
            "requests (batch)",
            "journal",
            "peak RSS batch / gather",
        ]
    ]
    worst_extra = 0
    with running_mock_server(REPO / "schemas", latency=args.latency, keepalive=15.0) as mock:
        for r in range(args.rounds):
            out = HERE / f"out-{r}"
            shutil.rmtree(out, ignore_errors=True)
            order = ("batch", "gather") if r % 2 == 0 else ("gather", "batch")
            got: dict[str, Child] = {}
            requests = 0
            for side in order:
                mock.reset()
                if side == "batch":
                    got[side] = run_child(batch_argv(inputs, out), mock)
                    stats = mock.stats()
                    requests = int(stats["requests_total"])
                    assert stats["jobs_created"] == n, stats["jobs_created"]
                else:
                    got[side] = run_child(["-c", GATHER, str(inputs), str(CONCURRENCY)], mock)
            batch.times.append(got["batch"].wall)
            gather.times.append(got["gather"].wall)
            worst_extra = max(worst_extra, requests - n)
            mock.reset()
            again = run_child(batch_argv(inputs, out), mock)
            inside = run_child(["-c", INSIDE, str(inputs), str(out), str(CONCURRENCY)], mock)
            assert mock.stats()["requests_total"] == 0, "resuming a finished run sent requests"
            resume_wall.times.append(again.wall)
            resume_inside.times.append(inside.inside)
            report.times.append(run_child(["-c", REPORT, str(out)], mock).inside)
            page_bytes = (out / "index.html").stat().st_size
            rows.append(
                [
                    str(r + 1),
                    fmt_s(got["batch"].wall),
                    fmt_s(got["gather"].wall),
                    f"{got['batch'].cpu:.1f} / {got['gather'].cpu:.1f} s",
                    f"{requests} = jobs + {requests - n}",
                    f"{journal_bytes(out) / 1e6:.2f} MB",
                    f"{got['batch'].peak_mb:.0f} / {got['gather'].peak_mb:.0f} MB",
                ]
            )
            print(f"round {r + 1}: " + ", ".join(rows[-1][1:]), flush=True)
    print_table(f"{n:,} jobs, --no-download, mock latency {args.latency:g} s", rows)
    per_thousand = resume_inside.median / (n / 1000)
    print(
        f"\nresume of the finished run: whole process {resume_wall.fmt()}; inside the run "
        f"{resume_inside.fmt()} = {per_thousand * 1000:.0f} ms per thousand inputs"
    )
    print(
        f"results page: {page_bytes / 1e6:.2f} MB ({page_bytes / n:.0f} bytes per input), "
        f"rewritten from the journal in {report.fmt()} = "
        f"{report.median / (n / 1000) * 1000:.0f} ms per thousand inputs"
    )
    goals = [Goal(f"{n:,} jobs: batch run vs asyncio.gather", batch, gather, 1.25)]
    print_goals(goals)
    requests_ok = worst_extra <= 100
    resume_ok = per_thousand < 0.5
    print(
        f"requests beyond one per job: at most {worst_extra} (goal <= 100): {'PASS' if requests_ok else 'FAIL'}"
    )
    print(
        f"resume work per thousand inputs: {fmt_s(per_thousand)} (goal < 500 ms): {'PASS' if resume_ok else 'FAIL'}"
    )
    if args.strict and not (goals[0].passed and requests_ok and resume_ok):
        sys.exit(1)


if __name__ == "__main__":
    main()
