"""Import speed goal: importing a 1,000-model generated client, against ``import httpx, pydantic``.

Each measurement is a fresh interpreter (``python -c``), run many times, interleaved with the
baseline, after warm-up runs (so byte-code caches exist for both). Two figures per run:

* in-process: from just before the first import to just after the request class is obtained,
  read with ``time.perf_counter`` inside the child (the goal is judged on this one: it leaves
  out interpreter start-up, which is the same for both sides and would flatter the ratio);
* whole process: the parent's wall time around the child, start-up included.

Ours: ``import oxen_inference``, ``Oxen(api_key="x")`` when the package has ``Oxen`` (the client
class; it is reported as missing otherwise), then ``oxen_inference.request_model(<first id>)``.
Baseline: ``import httpx, pydantic``. Context: the same for openapi-python-client's package
(``import pkg``, ``pkg.Client(base_url=...)``, first request class from ``pkg.models``, which
imports every model eagerly), run with its own venv's interpreter (it needs attrs and dateutil).

    python bench/bench_import.py [--runs 21] [--gen-dir DIR] [--opc-dir DIR] [--strict]
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import PYTHON, WORK, Goal, Sample, bin_dir, fmt_s, print_goals, print_table

PACKAGE = "oxen_inference"

# Each child prints one line, the repr of a dict: {"t": seconds in-process, ...}.
BASELINE = """\
from time import perf_counter as _p
_t0 = _p()
import httpx, pydantic
_t1 = _p()
print(repr({"t": _t1 - _t0}))
"""

OURS = """\
from time import perf_counter as _p
_t0 = _p()
import oxen_inference
try:
    from oxen_inference import Oxen
except ImportError:
    Oxen = None
if Oxen is not None:
    _client = Oxen(api_key="x")
_cls = oxen_inference.request_model(%(first)r)
_t1 = _p()
print(repr({"t": _t1 - _t0, "client": Oxen is not None, "file": oxen_inference.__file__}))
"""

FIRST_VALIDATION = """\
from time import perf_counter as _p
import oxen_inference
_cls = oxen_inference.request_model(%(first)r)
_t0 = _p()
try:
    _cls.model_validate({})
except Exception:
    pass
_t1 = _p()
try:
    _cls.model_validate({})
except Exception:
    pass
_t2 = _p()
print(repr({"t": _t1 - _t0, "second": _t2 - _t1, "cls": _cls.__name__}))
"""

OPC = """\
from time import perf_counter as _p
_t0 = _p()
import %(pkg)s as _pkg
_client = _pkg.Client(base_url="https://example.invalid")
import %(pkg)s.models as _models
_cls = getattr(_models, _models.__all__[0])
_t1 = _p()
print(repr({"t": _t1 - _t0, "cls": _cls.__name__, "n": len(_models.__all__)}))
"""


# Reference points between the baseline and ours: what a client built on pydantic models and an
# httpx client cannot avoid, and our steps one by one. Each: (label, code, needs our package).
_T = "from time import perf_counter as _p\n_t0 = _p()\n%s\n_t1 = _p()\nprint(repr({'t': _t1 - _t0}))\n"
_MODEL = "from pydantic import BaseModel\nclass _M(BaseModel):\n    x: int"
STEPS = [
    (
        "ref: import httpx, pydantic + define one BaseModel",
        "import httpx, pydantic\n" + _MODEL,
        False,
    ),
    ("ref: ... + httpx.Client()", "import httpx, pydantic\n" + _MODEL + "\nhttpx.Client()", False),
    ("ours: import oxen_inference", "import oxen_inference", True),
    (
        "ours: ... + from oxen_inference import Oxen",
        "import oxen_inference\ntry:\n    from oxen_inference import Oxen\nexcept ImportError:\n    pass",
        True,
    ),
    (
        "ours: ... + Oxen(api_key='x')",
        "import oxen_inference\ntry:\n    from oxen_inference import Oxen\n    Oxen(api_key='x')\n"
        "except ImportError:\n    pass",
        True,
    ),
]


@dataclass
class Child:
    """Timings of one snippet run in fresh interpreters."""

    name: str
    inproc: Sample = field(init=False)
    wall: Sample = field(init=False)
    last: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.inproc = Sample(self.name)
        self.wall = Sample(self.name + " (whole process)")


def run_child(
    python: str,
    code: str,
    path: Path | None,
    child: Child | None = None,
    extra: list[str] | None = None,
) -> dict:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if path is not None:
        env["PYTHONPATH"] = str(path)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    proc = subprocess.run(
        [python, *(extra or []), "-c", code], env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    data = ast.literal_eval(proc.stdout.strip().splitlines()[-1])
    data["_stderr"] = proc.stderr
    if child is not None:
        child.inproc.times.append(data["t"])
        child.wall.times.append(wall)
        child.last = data
    return data


def first_model_id(gen_dir: Path) -> str:
    code = f"import {PACKAGE}; print({PACKAGE}.model_ids()[0])"
    env = dict(os.environ, PYTHONPATH=str(gen_dir))
    out = subprocess.run([PYTHON, "-c", code], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def ensure_generated(gen_dir: Path | None, count: int) -> Path:
    if gen_dir is not None:
        return gen_dir
    from make_catalog import write_inputs

    catalog, _ = write_inputs(WORK / f"inputs-{count}", count)
    out = WORK / "gen" / "import-oxgen"
    subprocess.run(
        [PYTHON, "-m", "oxgen.cli", "generate", "--schemas", str(catalog), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    return out


@dataclass
class ImportResults:
    baseline: Child
    ours: Child
    client: bool
    first_id: str
    validation: Sample
    validation_second: Sample
    validation_cls: str
    opc: Child | None
    importtime: list[tuple[int, int, str]]
    notes: list[str]
    goals: list[Goal]
    steps: list[Child]


_STARTUP = {
    "_io",
    "marshal",
    "posix",
    "_frozen_importlib_external",
    "time",
    "zipimport",
    "_codecs",
    "codecs",
    "encodings",
    "encodings.aliases",
    "encodings.utf_8",
    "_signal",
    "_abc",
    "abc",
    "io",
    "site",
    "_stat",
    "stat",
    "_collections_abc",
    "genericpath",
    "posixpath",
    "os",
    "_sitebuiltins",
    "_distutils_hack",
    "__editable___oxgen_0_1_0_finder",
    "sitecustomize",
    "usercustomize",
    "encodings.latin_1",
}


def importtime_top(gen_dir: Path, first: str) -> list[tuple[int, int, str]]:
    """`python -X importtime` of our snippet: (self us, cumulative us, module), one run."""
    data = run_child(PYTHON, OURS % {"first": first}, gen_dir, extra=["-X", "importtime"])
    rows = []
    for line in data["_stderr"].splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (.*)$", line)
        if m:
            rows.append((int(m.group(1)), int(m.group(2)), m.group(3)))
    return rows


def measure(
    gen_dir: Path, opc_dir: Path | None, runs: int = 21, opc_runs: int = 3, step_runs: int = 7
) -> ImportResults:
    first = first_model_id(gen_dir)
    ours_code = OURS % {"first": first}
    baseline = Child("import httpx, pydantic")
    ours = Child(f"import {PACKAGE} + client + request_model()")
    for _ in range(2):  # warm-up: byte-code caches, page cache
        run_child(PYTHON, BASELINE, None)
        run_child(PYTHON, ours_code, gen_dir)
    for i in range(runs):
        if i % 2:
            run_child(PYTHON, BASELINE, None, baseline)
            run_child(PYTHON, ours_code, gen_dir, ours)
        else:
            run_child(PYTHON, ours_code, gen_dir, ours)
            run_child(PYTHON, BASELINE, None, baseline)
    notes = []
    if not Path(ours.last["file"]).resolve().is_relative_to(gen_dir.resolve()):
        notes.append(f"WARNING: imported {ours.last['file']}, not the package under {gen_dir}")
    client = bool(ours.last.get("client"))
    if not client:
        notes.append(
            "the client class `Oxen` is not in the generated package yet: measured import + "
            "request_model() only; the client part is MISSING from goal 3"
        )
    steps = []
    for label, code, ours_pkg in STEPS:
        child = Child(label)
        run_child(PYTHON, _T % code, gen_dir if ours_pkg else None)
        for _ in range(step_runs):
            run_child(PYTHON, _T % code, gen_dir if ours_pkg else None, child)
        steps.append(child)
    validation = Sample("first validation (builds the validator)")
    second = Sample("second validation")
    cls_name = ""
    for _ in range(7):
        data = run_child(PYTHON, FIRST_VALIDATION % {"first": first}, gen_dir)
        validation.times.append(data["t"])
        second.times.append(data["second"])
        cls_name = data["cls"]
    opc = None
    if opc_dir is not None and opc_runs > 0:
        packages = [p.name for p in opc_dir.iterdir() if (p / "__init__.py").exists()]
        opc_python = str(bin_dir(WORK / "opc-venv") / "python")
        code = OPC % {"pkg": packages[0]}
        opc = Child("openapi-python-client package + Client + first model")
        print("  openapi-python-client import: warm-up ...", end="", flush=True)
        run_child(opc_python, code, opc_dir)
        for _ in range(opc_runs):
            run_child(opc_python, code, opc_dir, opc)
            print(f" {fmt_s(opc.inproc.times[-1])}", end="", flush=True)
        print(flush=True)
    goals = [
        Goal(
            "3. import + client + first request class" + ("" if client else " (NO CLIENT YET)"),
            ours.inproc,
            baseline.inproc,
            1.15,
        )
    ]
    return ImportResults(
        baseline,
        ours,
        client,
        first,
        validation,
        second,
        cls_name,
        opc,
        importtime_top(gen_dir, first),
        notes,
        goals,
        steps,
    )


def report(res: ImportResults) -> None:
    rows = [
        [
            "what (fresh interpreter)",
            "in-process median",
            "min",
            "whole process median",
            "min",
            "runs",
        ]
    ]
    children = [res.baseline, res.ours, *([res.opc] if res.opc else [])]
    for c in children:
        rows.append(
            [
                c.name,
                fmt_s(c.inproc.median),
                fmt_s(c.inproc.min),
                fmt_s(c.wall.median),
                fmt_s(c.wall.min),
                str(len(c.inproc.times)),
            ]
        )
    print_table("Import, 1,000-model package", rows)
    steps = [["step (fresh interpreter, in-process)", "median", "min", "vs baseline"]]
    for c in res.steps:
        steps.append(
            [
                c.name,
                fmt_s(c.inproc.median),
                fmt_s(c.inproc.min),
                f"{c.inproc.median / res.baseline.inproc.median:.2f}x",
            ]
        )
    print_table(
        "Where the import time goes (reference points and our steps, fewer runs each)", steps
    )
    print(
        f"  first model id: {res.first_id}; client class Oxen: {'yes' if res.client else 'NOT PRESENT'}"
    )
    r_wall = res.ours.wall.median / res.baseline.wall.median
    print(f"  whole-process ratio (start-up included): {r_wall:.3f}x")
    if res.opc:
        print(
            f"  openapi-python-client's package imports {res.opc.last.get('n')} model names eagerly; "
            f"ours/theirs in-process: {res.ours.inproc.median / res.opc.inproc.median:.4f}x"
        )
    print(
        f"  first validation of {res.validation_cls}: {fmt_s(res.validation.median)} "
        f"(min {fmt_s(res.validation.min)}) builds the validator; a second one takes "
        f"{res.validation_second.median * 1e6:.0f} us"
    )
    for note in res.notes:
        print(f"  {note}")
    it = res.importtime
    total = sum(s for s, _, _ in it)
    print(
        f"\n  python -X importtime of our snippet (one run, {len(it)} modules, {total / 1000:.0f} ms self total)"
    )
    print("  top-level imports by cumulative time (interpreter start-up's own imports left out):")
    top = [
        r
        for r in it
        if not r[2].startswith(" ") and r[2] not in _STARTUP and not r[2].startswith("__editable__")
    ]
    for s, c, name in sorted(top, key=lambda r: -r[1])[:8]:
        print(f"    {c / 1000:7.1f} ms cum  {s / 1000:6.1f} ms self  {name}")
    print("  heaviest single modules (self time):")
    for s, c, name in sorted(it, key=lambda r: -r[0])[:6]:
        print(f"    {c / 1000:7.1f} ms cum  {s / 1000:6.1f} ms self  {name.strip()}")
    ours_mods = [r for r in it if r[2].strip().startswith(PACKAGE)]
    print(f"  {PACKAGE} modules ({sum(s for s, _, _ in ours_mods) / 1000:.1f} ms self in total):")
    for s, c, name in sorted(ours_mods, key=lambda r: -r[0])[:8]:
        print(f"    {c / 1000:7.1f} ms cum  {s / 1000:6.1f} ms self  {name.strip()}")


def main() -> int:
    parser = argparse.ArgumentParser(description="Goal 3: import time of a 1,000-model client")
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--gen-dir", type=Path, help="oxgen output dir (default: generate one)")
    parser.add_argument(
        "--opc-dir",
        type=Path,
        help="openapi-python-client output dir (default: bench/.work/gen/opc-0 if present)",
    )
    parser.add_argument("--opc-runs", type=int, default=3)
    parser.add_argument("--strict", action="store_true", help="exit 1 if the goal fails")
    args = parser.parse_args()
    gen_dir = ensure_generated(args.gen_dir, args.count)
    opc_dir = args.opc_dir or (WORK / "gen" / "opc-0")
    res = measure(gen_dir, opc_dir if opc_dir.exists() else None, args.runs, args.opc_runs)
    report(res)
    print_goals(res.goals)
    return 1 if args.strict and not all(g.passed for g in res.goals) else 0


if __name__ == "__main__":
    sys.exit(main())
