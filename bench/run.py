"""All speed benchmarks in one run, with one PASS/FAIL table.

    python bench/run.py            # full run, ~1.5-2 minutes on 2 cores
    python bench/run.py --quick    # one round, fewer repeats (~40 s): a smoke test, noisier
    python bench/run.py --strict   # exit 1 if any goal fails (default: exit 0, it is a report)
    python bench/run.py --profile  # also a cProfile of oxgen's no-op run

Everything it makes goes to bench/.work/ (gitignored): the inputs, the outputs of both
generators, and openapi-python-client's own venv (created on first use).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_generate
import bench_import
import bench_scale
from _common import OPC_VERSION, print_goals


def main() -> int:
    parser = argparse.ArgumentParser(description="oxgen speed benchmarks")
    parser.add_argument("--count", type=int, default=1000, help="models in the catalog")
    parser.add_argument(
        "--rounds", type=int, default=3, help="generator rounds (each: peer, cold, 2 no-op)"
    )
    parser.add_argument("--runs", type=int, default=21, help="import runs per side")
    parser.add_argument("--opc-import-runs", type=int, default=3)
    parser.add_argument(
        "--quick", action="store_true", help="--rounds 1 --runs 9 --opc-import-runs 1"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile oxgen's no-op run")
    parser.add_argument("--strict", action="store_true", help="exit 1 if any goal fails")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.runs, args.opc_import_runs = 1, 9, 1
    start = time.perf_counter()
    import os

    print(
        f"oxgen benchmarks: {args.count} models; Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, openapi-python-client {OPC_VERSION}"
    )
    print("\n[1/3] generate")
    gen = bench_generate.measure(args.count, args.rounds)
    bench_generate.report(gen)
    bench_generate.print_breakdown(gen.catalog, args.count, args.profile)
    print("\n[2/3] import")
    imp = bench_import.measure(gen.oxgen_dir, gen.opc_dir, args.runs, args.opc_import_runs)
    bench_import.report(imp)
    print("\n[3/3] scale: README size, start-up at 100 / 1,000 / 10,000 models, one-model change")
    scale = bench_scale.measure(
        [100, 1000, 10000], max(7, args.runs // 2), args.rounds, incr_count=args.count
    )
    bench_scale.report(scale)
    goals = [*gen.goals, *imp.goals, *scale.goals]
    print_goals(goals)
    failed = [g.label for g in goals if not g.passed]
    if not bench_scale.readme_passed(scale):
        failed.append("README size at 1,000 models")
    print(
        f"\n{len(goals) + 1 - len(failed)} of {len(goals) + 1} goals pass (README size included)"
        + (f"; failing: {', '.join(failed)}" if failed else "")
        + f". Total bench time {time.perf_counter() - start:.0f} s."
    )
    return 1 if args.strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
