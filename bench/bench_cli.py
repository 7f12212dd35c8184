"""Start-up of the command line: ``oxen-inference --help`` against ``python -c "import httpx, pydantic"``.

Whole-process wall time (what a person at the shell waits for), each command run many times in
fresh processes, interleaved with the baseline, after warm-up runs (so byte-code caches exist).
Goals: ``oxen-inference --help`` and ``oxen-inference run MODEL --help`` (which loads pydantic and
that one model's module, for its parameters) each within 1.6x of the baseline. Also shown:
``--version``, and which of httpx / pydantic each one imports.

    python bench/bench_cli.py [--runs 21] [--strict]

It runs the client installed in this interpreter's environment (``pip install -e ./generated``):
the console script beside the interpreter, or ``python -m oxen_inference`` when there is none.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import PYTHON, Goal, Sample, print_goals, print_table

LIMIT = 1.6
MODEL = "luma-ray-v3-2-image-to-video"
BASELINE = [PYTHON, "-c", "import httpx, pydantic"]
PROBE = (
    "import sys, io, contextlib\n"
    "from oxen_inference._cli import main\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    try:\n"
    "        main(sys.argv[1:])\n"
    "    except SystemExit:\n"
    "        pass\n"
    "print(sorted({m.split('.')[0] for m in sys.modules} & {'httpx', 'httpcore', 'pydantic'}))\n"
)


def command() -> list[str]:
    script = Path(PYTHON).with_name("oxen-inference")
    return [str(script)] if script.exists() else [PYTHON, "-m", "oxen_inference"]


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return elapsed


def imports(args: list[str]) -> str:
    """Which of httpx, httpcore, pydantic the command loads."""
    proc = subprocess.run([PYTHON, "-c", PROBE, *args], capture_output=True, text=True, check=True)
    return proc.stdout.strip().splitlines()[-1]


def measure(runs: int) -> tuple[Sample, dict[str, Sample]]:
    cli = command()
    cases = {
        "oxen-inference --help": [*cli, "--help"],
        "oxen-inference --version": [*cli, "--version"],
        f"oxen-inference run {MODEL} --help": [*cli, "run", MODEL, "--help"],
    }
    baseline = Sample('python -c "import httpx, pydantic"')
    samples = {name: Sample(name) for name in cases}
    for _ in range(3):  # warm-up: byte-code caches, page cache
        wall(BASELINE)
        for cmd in cases.values():
            wall(cmd)
    for _ in range(runs):
        baseline.times.append(wall(BASELINE))
        for name, cmd in cases.items():
            samples[name].times.append(wall(cmd))
    return baseline, samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--strict", action="store_true", help="exit 1 if the goal fails")
    args = parser.parse_args()
    baseline, samples = measure(args.runs)
    rows = [["command (whole process)", "median", "min", "/ baseline", "imports"]]
    loads = {
        "oxen-inference --help": imports(["--help"]),
        "oxen-inference --version": imports(["--version"]),
        f"oxen-inference run {MODEL} --help": imports(["run", MODEL, "--help"]),
    }
    for name, sample in samples.items():
        rows.append(
            [
                name,
                f"{sample.median * 1000:.0f} ms",
                f"{sample.min * 1000:.0f} ms",
                f"{sample.median / baseline.median:.2f}x",
                loads[name],
            ]
        )
    rows.append(
        [
            baseline.name,
            f"{baseline.median * 1000:.0f} ms",
            f"{baseline.min * 1000:.0f} ms",
            "1.00x",
            "",
        ]
    )
    print_table(f"Command-line start-up, {args.runs} interleaved runs each", rows)
    goals = [
        Goal(name, samples[name], baseline, LIMIT)
        for name in ("oxen-inference --help", f"oxen-inference run {MODEL} --help")
    ]
    print_goals(goals)
    return 1 if args.strict and not all(goal.passed for goal in goals) else 0


if __name__ == "__main__":
    raise SystemExit(main())
