"""Shared test helpers: generating a package into a temporary folder and importing it."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from oxgen.generate import Result, run

REPO = Path(__file__).resolve().parents[1]


def generate_package(
    catalog: dict[str, Any] | list[dict[str, Any]], out: Path, package: str
) -> Result:
    """Write `catalog` (a models-list dict or a list of models) and generate `package` into `out`."""
    if isinstance(catalog, list):
        catalog = {"object": "list", "data": catalog}
    out.mkdir(parents=True, exist_ok=True)
    src = out / "catalog.json"
    src.write_text(json.dumps(catalog), encoding="utf-8")
    return run(src, out / "gen", package=package)


def import_generated(out: Path, package: str) -> ModuleType:
    root = str(out / "gen")
    if root not in sys.path:
        sys.path.insert(0, root)
    importlib.invalidate_caches()
    return importlib.import_module(package)


@pytest.fixture
def make_package(tmp_path: Path) -> Iterator[Any]:
    """Generate a catalog into a fresh package and import it: ``make_package(models) -> (module, result)``."""
    made: list[str] = []
    counter = iter(range(10_000))

    def make(models: list[dict[str, Any]], package: str | None = None) -> tuple[ModuleType, Result]:
        name = package or f"gen_pkg_{tmp_path.name.replace('-', '_')}_{next(counter)}"
        out = tmp_path / name
        result = generate_package(models, out, name)
        made.append(name)
        return import_generated(out, name), result

    yield make
    for name in made:
        for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[mod]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from tests.fidelity.suite import FIGURES

    for name, text in FIGURES.items():
        terminalreporter.write_line(f"{name}: {text}")


def process_gone(pid: int, timeout: float = 10.0) -> bool:
    """Wait until the process `pid` (not necessarily a child of ours) has ended: it exited, or it
    is a zombie its parent has yet to reap. False when it still runs after `timeout` seconds."""
    import os
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
                state = f.read().rpartition(")")[2].split()[0]
        except FileNotFoundError:
            return True
        except OSError:  # no /proc: ask the kernel whether the pid is still there
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            state = "R"
        if state in ("Z", "X"):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
