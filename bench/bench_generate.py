"""Generation speed goals: generating a 1,000-model catalog, against openapi-python-client.

In one run, interleaved round by round so that drift on the machine hits both sides alike:

* openapi-python-client ``generate --path openapi.json --output-path DIR --overwrite`` into a
  fresh DIR, with its default settings (``--meta poetry``, post-hooks ``ruff check --fix-only .``
  and ``ruff format .`` run with its own ruff: its venv is first on PATH);
* ``oxgen generate --schemas catalog.json --out DIR`` into a fresh, empty DIR (goal 1);
* ``oxgen generate`` again on that DIR with nothing changed (goal 2).

All three are timed as whole commands (process start to exit), the way a user runs them. Then a
phase breakdown of one cold and one no-op oxgen run, in-process, says where oxgen's time goes.

    python bench/bench_generate.py [--rounds 3] [--count 1000] [--profile] [--strict]
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    PYTHON,
    WORK,
    Goal,
    Sample,
    bin_dir,
    ensure_opc,
    fmt_s,
    opc_env,
    print_goals,
    print_table,
    run_timed,
)
from make_catalog import write_inputs

GEN = WORK / "gen"
OXGEN = [PYTHON, "-m", "oxgen.cli"]  # the same entry point as the `oxgen` script


@dataclass
class GenerateResults:
    count: int
    catalog: Path
    spec: Path
    opc: Sample
    cold: Sample
    noop: Sample
    oxgen_dir: Path  # a complete 1,000-model oxgen output (package oxen_inference)
    opc_dir: Path  # a complete openapi-python-client output
    opc_package: str
    notes: list[str] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)


def _fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    return path


def _oxgen_bin() -> list[str]:
    exe = bin_dir(Path(PYTHON).parent.parent) / "oxgen"
    return [str(exe)] if exe.exists() else OXGEN


def opc_summary(out: Path, log: Path) -> tuple[str, str]:
    """The peer's package name and a line on what it generated (and whether its hooks ran)."""
    packages = [p for p in out.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    if len(packages) != 1:
        raise RuntimeError(f"expected one package in {out}, found {packages}")
    package = packages[0]
    endpoints = len([p for p in (package / "api").rglob("*.py") if p.name != "__init__.py"])
    models = len([p for p in (package / "models").glob("*.py") if p.name != "__init__.py"])
    text = log.read_text(encoding="utf-8")
    removed = text.count("Failure to process schema has resulted in the removal of")
    hooks = (
        "post-hooks (ruff) ran"
        if "not in PATH" not in text and "failed" not in text
        else "POST-HOOKS DID NOT RUN"
    )
    return package.name, (
        f"openapi-python-client generated {endpoints} endpoint modules and {models} model modules; "
        f"it could not process {removed} request schemas (mixed-type enums), whose endpoints it "
        f"dropped; {hooks}."
    )


_COUNTS = re.compile(r"\((\d+) written, (\d+) unchanged, (\d+) removed\)")


def run_oxgen(catalog: Path, out: Path) -> tuple[float, str]:
    cmd = [*_oxgen_bin(), "generate", "--schemas", str(catalog), "--out", str(out)]
    log = out.parent / (out.name + ".log")
    elapsed = run_timed(cmd, log=log)
    m = _COUNTS.search(log.read_text(encoding="utf-8"))
    return elapsed, (m.group(0) if m else "?")


def measure(count: int = 1000, rounds: int = 3, noop_per_round: int = 2) -> GenerateResults:
    bindir = ensure_opc()
    env = opc_env(bindir)
    inputs = WORK / f"inputs-{count}"
    catalog, spec = write_inputs(inputs, count)
    GEN.mkdir(parents=True, exist_ok=True)
    opc = Sample("openapi-python-client generate")
    cold = Sample("oxgen generate (cold)")
    noop = Sample("oxgen generate (no-op)")
    notes: list[str] = []
    noop_counts: set[str] = set()
    opc_cmd = [
        str(bindir / "openapi-python-client"),
        "generate",
        "--path",
        str(spec),
        "--overwrite",
    ]
    for r in range(rounds):
        print(f"  round {r + 1}/{rounds}: openapi-python-client ...", end="", flush=True)
        out = _fresh(GEN / f"opc-{r}")
        opc.times.append(
            run_timed([*opc_cmd, "--output-path", str(out)], env=env, log=GEN / f"opc-{r}.log")
        )
        print(f" {fmt_s(opc.times[-1])}; oxgen cold ...", end="", flush=True)
        ox = _fresh(GEN / f"oxgen-{r}")
        elapsed, counts = run_oxgen(catalog, ox)
        cold.times.append(elapsed)
        print(f" {fmt_s(elapsed)} {counts}; oxgen no-op ...", end="", flush=True)
        for _ in range(noop_per_round):
            elapsed, counts = run_oxgen(catalog, ox)
            noop.times.append(elapsed)
            noop_counts.add(counts)
            print(f" {fmt_s(elapsed)}", end="", flush=True)
        print(f" {counts}", flush=True)
    if any(not c.startswith("(0 written") for c in noop_counts):
        notes.append(
            f"WARNING: a no-op run wrote files {sorted(noop_counts)} (templates edited meanwhile?)"
        )
    package, line = opc_summary(GEN / "opc-0", GEN / "opc-0.log")
    notes.append(line)
    res = GenerateResults(
        count, catalog, spec, opc, cold, noop, GEN / "oxgen-0", GEN / "opc-0", package, notes
    )
    res.goals = [
        Goal(f"1. cold generate, {count} models", cold, opc, 0.3),
        Goal(f"2. no-op re-generate, {count} models", noop, opc, 0.05),
    ]
    return res


# --- where oxgen's time goes -------------------------------------------------------------------

_PHASES = [
    ("load", "snapshot.load (read + normalise catalog)"),
    ("compile_package", "compile (every schema to IR)"),
    ("fingerprints", "fingerprints (hash inputs per model)"),
    ("read_state", "read cache"),
    ("stat", "stat output files"),
    ("finish", "ruff format: waiting for the last batches"),
    ("add", "stage files (write; ruff batches start meanwhile)"),
    ("stale", "scan out dir for stale files"),
    ("save_state", "write cache"),
]


def phase_breakdown(catalog: Path, out: Path) -> tuple[float, list[tuple[str, int, float]]]:
    """Run oxgen.generate.run in-process with its steps wrapped in timers.

    Only wraps module attributes (the generator is not modified); rendering is timed
    by wrapping the lazy jobs that render.runtime_jobs/catalog_jobs/model_jobs hand back.
    """
    import oxgen.generate as gen

    totals: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    saved: dict[str, Any] = {}

    def wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def inner(*a: Any, **k: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                totals[name] += time.perf_counter() - t
                calls[name] += 1

        return inner

    import oxgen.cache
    import oxgen.compile
    import oxgen.format

    # run() imports the compiler and the writer lazily (from their modules, at call time), so
    # those are wrapped where they live (Formatter's methods on the class); the cache steps are
    # names in oxgen.cache. Moving staged files into place is what remains as "other".
    homes: dict[str, Any] = {
        "load": gen,
        "compile_package": oxgen.compile,
        "add": oxgen.format.Formatter,
        "finish": oxgen.format.Formatter,
    }
    for name, _ in _PHASES:
        home = homes.get(name, oxgen.cache)
        if hasattr(home, name):
            saved[name] = (home, getattr(home, name))
            setattr(home, name, wrap(name, saved[name][1]))
    render_mod = gen.render
    orig_jobs = {
        name: getattr(render_mod, name) for name in ("runtime_jobs", "catalog_jobs", "model_jobs")
    }

    def group(path: str) -> str:
        name = path.rsplit("/", 1)[-1]
        if "/models/" in path and not name.startswith("__init__"):
            return "render models/<model>.py"
        if path.startswith("api/"):
            return "render api/<model>.md"
        return f"render {name}"

    def wrapped(orig: Callable[..., Any]) -> Callable[..., Any]:
        def jobs(*args: Any) -> Any:
            return [(path, wrap(group(path), job)) for path, job in orig(*args)]

        return jobs

    for name, orig in orig_jobs.items():
        setattr(render_mod, name, wrapped(orig))
    # Docstring escaping, a hot spot inside rendering (reported as a part of the render rows).
    import oxgen.literals as lit

    orig_doc = getattr(lit, "docstring_body", None)
    if orig_doc is not None:
        lit.docstring_body = wrap("docstring_body", orig_doc)
    oxgen.cache.builtin_fingerprint.cache_clear()  # as in a fresh process
    try:
        t0 = time.perf_counter()
        gen.run(str(catalog), out, package="oxen_inference")
        total = time.perf_counter() - t0
    finally:
        for name, orig in orig_jobs.items():
            setattr(render_mod, name, orig)
        if orig_doc is not None:
            lit.docstring_body = orig_doc
        for name, (home, fn) in saved.items():
            setattr(home, name, fn)
    labels = dict(_PHASES)
    rows = [(labels[n], calls[n], totals[n]) for n in labels if calls.get(n)]
    renders = sorted((n for n in totals if n.startswith("render ")), key=lambda n: -totals[n])
    big = [n for n in renders if totals[n] >= 0.02]
    rows += [(n + " (jinja)", calls[n], totals[n]) for n in big]
    small = [n for n in renders if n not in big]
    if small:
        rows.append(
            (
                f"render {len(small)} other files (jinja)",
                sum(calls[n] for n in small),
                sum(totals[n] for n in small),
            )
        )
    accounted = sum(t for _, _, t in rows)
    if calls.get("docstring_body"):
        rows.append(
            (
                "  of which literals.docstring_body (escaping)",
                calls["docstring_body"],
                totals["docstring_body"],
            )
        )
    rows.append(("other (in run)", 0, total - accounted))
    return total, rows


def startup_cost() -> tuple[float, float]:
    """Median wall time of `python -c pass` and of importing oxgen.cli + oxgen.generate."""
    bare = Sample("python -c pass")
    imp = Sample("import oxgen.generate")
    for _ in range(5):
        bare.times.append(run_timed([PYTHON, "-c", "pass"]))
        imp.times.append(run_timed([PYTHON, "-c", "import oxgen.cli, oxgen.generate"]))
    return bare.median, imp.median


def print_breakdown(catalog: Path, count: int, profile: bool) -> None:
    scratch = _fresh(GEN / "oxgen-phases")
    bare, imp = startup_cost()
    for label in ("cold (empty out dir)", "no-op (same out dir again)"):
        total, rows = phase_breakdown(catalog, scratch)
        rendered = sum(n for name, n, _ in rows if name.startswith("render"))
        if label.startswith("no-op") and rendered:
            # The generator's fingerprint covers its own source: someone edited it meanwhile.
            print(
                f"  (no-op breakdown rendered {rendered} files: generator changed meanwhile; again)"
            )
            total, rows = phase_breakdown(catalog, scratch)
        table = [["phase", "calls", "time", "share"]]
        for name, n, t in rows:
            table.append([name, str(n) if n else "", fmt_s(t), f"{100 * t / total:.0f}%"])
        table.append(["total oxgen.generate.run()", "", fmt_s(total), "100%"])
        print_table(f"oxgen {label}, {count} models, in-process phases", table)
    print(
        f"  process overhead outside run(): interpreter start {fmt_s(bare)}, "
        f"+ importing oxgen.cli/oxgen.generate {fmt_s(imp - bare)}"
    )
    if profile:
        import cProfile
        import pstats

        import oxgen.generate as gen

        prof = cProfile.Profile()
        prof.enable()
        gen.run(str(catalog), scratch, package="oxen_inference")
        prof.disable()
        print("\n  cProfile of the no-op run (top 20 by cumulative time):")
        stats = pstats.Stats(prof, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(20)


def report(res: GenerateResults) -> None:
    rows = [["what", "median", "min", "runs"]]
    for s in (res.opc, res.cold, res.noop):
        rows.append([s.name, fmt_s(s.median), fmt_s(s.min), str(len(s.times))])
    print_table(f"Generate, {res.count} models (wall time of the whole command)", rows)
    for note in res.notes:
        print(f"  {note}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Goals 1-2: oxgen generate vs openapi-python-client"
    )
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--profile", action="store_true", help="also print a cProfile of the no-op run"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 if a goal fails")
    args = parser.parse_args()
    res = measure(args.count, args.rounds)
    report(res)
    print_breakdown(res.catalog, args.count, args.profile)
    print_goals(res.goals)
    return 1 if args.strict and not all(g.passed for g in res.goals) else 0


if __name__ == "__main__":
    sys.exit(main())
