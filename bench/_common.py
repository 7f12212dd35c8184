"""Shared helpers of the benchmarks: paths, the peer's venv, timing and the results table."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
import venv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / ".work"  # gitignored
OPC_VERSION = "0.29.1"
OPC_VENV = WORK / "opc-venv"
PYTHON = sys.executable  # the project's venv (oxgen installed editable)


def bin_dir(env_root: Path) -> Path:
    return env_root / ("Scripts" if os.name == "nt" else "bin")


def ensure_opc() -> Path:
    """openapi-python-client ==OPC_VERSION in its own venv (it pins its own deps); its bin dir."""
    bindir = bin_dir(OPC_VENV)
    exe = bindir / "openapi-python-client"
    if exe.exists():
        probe = subprocess.run(
            [
                str(bindir / "python"),
                "-c",
                "import importlib.metadata as m; print(m.version('openapi-python-client'))",
            ],
            capture_output=True,
            text=True,
        )
        if probe.stdout.strip() == OPC_VERSION:
            return bindir
    print(f"setting up openapi-python-client {OPC_VERSION} in {OPC_VENV} ...", flush=True)
    if OPC_VENV.exists():
        shutil.rmtree(OPC_VENV)
    venv.EnvBuilder(with_pip=True).create(OPC_VENV)
    subprocess.run(
        [
            str(bindir / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"openapi-python-client=={OPC_VERSION}",
        ],
        check=True,
    )
    return bindir


def opc_env(bindir: Path) -> dict[str, str]:
    """Environment for the peer: its venv first on PATH, so its post-hooks find its own ruff."""
    env = dict(os.environ)
    env["PATH"] = str(bindir) + os.pathsep + env.get("PATH", "")
    env["VIRTUAL_ENV"] = str(OPC_VENV)
    return env


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_timed(
    cmd: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    log: Path | None = None,
) -> float:
    """Wall time of a command; raises with its output if it fails."""
    start = time.perf_counter()
    proc = subprocess.run(list(cmd), env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if log is not None:
        log.write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr, encoding="utf-8")
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
        )
    return elapsed


@dataclass
class Sample:
    """Repeated timings of one thing, in seconds."""

    name: str
    times: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def min(self) -> float:
        return min(self.times)

    def fmt(self) -> str:
        return f"{fmt_s(self.median)} (min {fmt_s(self.min)}, n={len(self.times)})"


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


@dataclass
class Goal:
    label: str
    ours: Sample
    theirs: Sample
    limit: float  # the ratio must be at most this

    @property
    def ratio(self) -> float:
        return self.ours.median / self.theirs.median

    @property
    def ratio_min(self) -> float:
        return self.ours.min / self.theirs.min

    @property
    def passed(self) -> bool:
        return self.ratio <= self.limit


def print_table(title: str, rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print(f"\n{title}")
    for n, row in enumerate(rows):
        print("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))


def print_goals(goals: Sequence[Goal]) -> None:
    rows = [
        ["goal", "ours (median)", "baseline (median)", "ratio", "ratio of mins", "limit", "result"]
    ]
    for g in goals:
        rows.append(
            [
                g.label,
                g.ours.fmt(),
                f"{g.theirs.name}: {g.theirs.fmt()}",
                f"{g.ratio:.3f}x",
                f"{g.ratio_min:.3f}x",
                f"<= {g.limit}x",
                "PASS" if g.passed else "FAIL",
            ]
        )
    print_table("Goals (ratio = our median / baseline median, measured in this run)", rows)
