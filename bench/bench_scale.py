"""Output at scale: README size and client start-up at 100 / 1,000 / 10,000 models, and a
one-model change against a cold run at 1,000.

* **README size**: bytes of the generated README.md (the guide and a one-line-per-model index)
  and, for context, of the per-model API pages, at each size. Limit: 100 KB at 1,000 models.
* **Start-up**: a fresh interpreter runs ``import oxen_inference``, ``Oxen(api_key="x")`` and
  ``request_model(<first id>)``, timed in-process (as ``bench_import.py`` does), for the three
  packages and ``import httpx, pydantic`` as the floor, all interleaved run by run. Goal: 10,000
  models within 1.15x of 100.
* **Incremental**: per round, ``oxgen generate`` cold into a fresh folder, then the same catalog
  with one model's schema changed (a property added), run on that folder: whole commands, wall
  time. Goal: the change costs at most 0.15x of the cold run. Also reported: a change to one
  model's display name (its summary: the catalog-wide files are rendered again, formatted only
  if their text changed) and the no-op run.

    python bench/bench_scale.py [--runs 15] [--rounds 3] [--sizes 100,1000,10000] [--strict]

The catalogs are bench/make_catalog.py's (real models cycled under new ids); everything goes to
bench/.work/ (the 10,000-model package is generated once and reused while oxgen is unchanged:
its cache makes the later runs no-ops).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import PYTHON, WORK, Goal, Sample, bin_dir, fmt_s, print_goals, print_table, run_timed
from bench_import import BASELINE, OURS, Child, first_model_id, run_child
from make_catalog import build_catalog

SCALE = WORK / "scale"
README_LIMIT = 100_000  # bytes, at 1,000 models


def _oxgen() -> list[str]:
    exe = bin_dir(Path(PYTHON).parent.parent) / "oxgen"
    return [str(exe)] if exe.exists() else [PYTHON, "-m", "oxgen.cli"]


def catalog(count: int) -> dict[str, Any]:
    path = SCALE / f"catalog-{count}.json"
    if not path.exists():
        SCALE.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(build_catalog(count)), encoding="utf-8")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def generate(src: Path, out: Path) -> float:
    return run_timed([*_oxgen(), "generate", "--schemas", str(src), "--out", str(out)])


def package(count: int) -> Path:
    """The generated package of `count` models (regenerated only where oxgen changed)."""
    catalog(count)
    out = SCALE / f"gen-{count}"
    generate(SCALE / f"catalog-{count}.json", out)
    return out


@dataclass
class ScaleResults:
    sizes: list[int]
    readme: dict[int, int]
    pages: dict[int, tuple[int, int]]  # count, total bytes
    startup: dict[int, Child]
    baseline: Child
    cold: Sample
    change: Sample
    rename: Sample
    noop: Sample
    goals: list[Goal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def measure_startup(dirs: dict[int, Path], runs: int) -> tuple[dict[int, Child], Child]:
    children = {n: Child(f"{n:,} models: import + Oxen() + first class") for n in dirs}
    firsts = {n: first_model_id(d) for n, d in dirs.items()}
    baseline = Child("import httpx, pydantic")
    for _ in range(2):  # warm-up: byte-code caches, page cache
        run_child(PYTHON, BASELINE, None)
        for n, d in dirs.items():
            run_child(PYTHON, OURS % {"first": firsts[n]}, d)
    order = list(dirs)
    for i in range(runs):
        run_child(PYTHON, BASELINE, None, baseline)
        for n in order[i % len(order) :] + order[: i % len(order)]:  # rotate who goes first
            run_child(PYTHON, OURS % {"first": firsts[n]}, dirs[n], children[n])
    return children, baseline


def _variant(data: dict[str, Any], round_: int, what: str) -> dict[str, Any]:
    data = copy.deepcopy(data)
    model = data["data"][len(data["data"]) // 2]
    if what == "schema":
        props = model["request_schema"].setdefault("properties", {})
        props[f"bench_extra_{round_}"] = {"type": "integer", "description": "added by the bench"}
    else:
        model["display_name"] = f"Renamed in round {round_}"
    return data


def measure_incremental(count: int, rounds: int) -> tuple[Sample, Sample, Sample, Sample]:
    base = catalog(count)
    src = SCALE / f"catalog-{count}.json"
    cold = Sample(f"oxgen generate, cold, {count:,} models")
    change = Sample("same folder, one model's schema changed")
    rename = Sample("same folder, one model's display name changed")
    noop = Sample("same folder, nothing changed")
    for r in range(rounds):
        out = SCALE / f"incr-{r}"
        if out.exists():
            import shutil

            shutil.rmtree(out)
        print(f"  round {r + 1}/{rounds}: cold ...", end="", flush=True)
        cold.times.append(generate(src, out))
        print(f" {fmt_s(cold.times[-1])}; no-op ...", end="", flush=True)
        noop.times.append(generate(src, out))
        changed = SCALE / f"catalog-{count}-schema-{r}.json"
        changed.write_text(json.dumps(_variant(base, r, "schema")), encoding="utf-8")
        print(f" {fmt_s(noop.times[-1])}; one schema ...", end="", flush=True)
        change.times.append(generate(changed, out))
        renamed = SCALE / f"catalog-{count}-name-{r}.json"
        renamed.write_text(json.dumps(_variant(base, r, "name")), encoding="utf-8")
        print(f" {fmt_s(change.times[-1])}; one display name ...", end="", flush=True)
        rename.times.append(generate(renamed, out))
        print(f" {fmt_s(rename.times[-1])}", flush=True)
    return cold, change, rename, noop


def measure(sizes: list[int], runs: int, rounds: int, incr_count: int = 1000) -> ScaleResults:
    dirs = {}
    for n in sizes:
        print(f"  generating the {n:,}-model package ...", flush=True)
        dirs[n] = package(n)
    readme = {n: (d / "README.md").stat().st_size for n, d in dirs.items()}
    pages = {}
    for n, d in dirs.items():
        files = list((d / "api").glob("*.md"))
        pages[n] = (len(files), sum(f.stat().st_size for f in files))
    print(f"  start-up: {runs} runs of each, interleaved ...", flush=True)
    startup, baseline = measure_startup(dirs, runs)
    print(f"  incremental, {incr_count:,} models:", flush=True)
    cold, change, rename, noop = measure_incremental(incr_count, rounds)
    res = ScaleResults(sizes, readme, pages, startup, baseline, cold, change, rename, noop)
    lo, hi = min(sizes), max(sizes)
    res.goals = [
        Goal(f"start-up at {hi:,} models vs {lo:,}", startup[hi].inproc, startup[lo].inproc, 1.15),
        Goal(f"one-model change vs cold, {incr_count:,} models", change, cold, 0.15),
    ]
    return res


def report(res: ScaleResults) -> None:
    rows = [["models", "README.md", "per model", "API pages", "pages total"]]
    lo = min(res.sizes)
    for n in res.sizes:
        count, total = res.pages[n]
        per = (res.readme[n] - res.readme[lo]) / (n - lo) if n != lo else 0
        rows.append(
            [
                f"{n:,}",
                f"{res.readme[n] / 1000:.1f} KB",
                f"{per:.0f} B" if per else "",
                str(count),
                f"{total / 1e6:.2f} MB",
            ]
        )
    print_table("README size (the guide + a one-line-per-model index)", rows)
    if 1000 in res.readme:
        ok = res.readme[1000] <= README_LIMIT
        print(
            f"  README at 1,000 models: {res.readme[1000]:,} bytes, limit {README_LIMIT:,}: "
            + ("PASS" if ok else "FAIL")
        )
    rows = [["fresh interpreter, in-process", "median", "min", "vs smallest", "vs httpx+pydantic"]]
    base = res.baseline.inproc.median
    first = res.startup[lo].inproc.median
    for c in [res.baseline, *res.startup.values()]:
        rows.append(
            [
                c.name,
                fmt_s(c.inproc.median),
                fmt_s(c.inproc.min),
                f"{c.inproc.median / first:.3f}x" if c is not res.baseline else "",
                f"{c.inproc.median / base:.3f}x",
            ]
        )
    print_table("Start-up at scale", rows)
    rows = [["run", "median", "min", "vs cold"]]
    for s in (res.cold, res.noop, res.change, res.rename):
        rows.append([s.name, fmt_s(s.median), fmt_s(s.min), f"{s.median / res.cold.median:.3f}x"])
    print_table("Incremental regeneration (whole commands)", rows)
    for note in res.notes:
        print(f"  {note}")


def readme_passed(res: ScaleResults) -> bool:
    return res.readme.get(1000, 0) <= README_LIMIT


def main() -> int:
    parser = argparse.ArgumentParser(
        description="README size, start-up and incremental runs at scale"
    )
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--strict", action="store_true", help="exit 1 if a goal fails")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    res = measure(sizes, args.runs, args.rounds)
    report(res)
    print_goals(res.goals)
    ok = all(g.passed for g in res.goals) and readme_passed(res)
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
