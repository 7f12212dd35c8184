"""The generated client's public types are complete, as pyright's ``--verifytypes`` measures it
(what ``py.typed`` promises to a user's type checker and IDE): at least 95% of the symbols the
package exports have a declared, fully known type (unknown types from httpx and pydantic
ignored), and every symbol that misses is named in the failure."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BAR = 0.95


def _pyright() -> str | None:
    here = str(Path(sys.executable).parent)
    return shutil.which("basedpyright", path=here) or shutil.which("pyright", path=here)


def misses(report: dict[str, Any]) -> list[str]:
    """One line per symbol whose type is not fully known, with pyright's reason."""
    lines = []
    for symbol in report["symbols"]:
        if symbol["isTypeKnown"] and not symbol.get("isTypeAmbiguous", False):
            continue
        reasons = [
            d["message"].splitlines()[0] for d in symbol["diagnostics"] if d["severity"] == "error"
        ]
        if reasons:
            lines.append(f"{symbol['name']}: {'; '.join(reasons)}")
    return lines


@pytest.mark.slow
@pytest.mark.skipif(_pyright() is None, reason="pyright is not installed (dev extra: basedpyright)")
def test_verifytypes_scores_at_least_the_bar(tmp_path: Path) -> None:
    pyright = _pyright()
    assert pyright is not None
    # verifytypes resolves the package through the `python` found on PATH (it ignores
    # --pythonpath), so the interpreter running the tests comes first.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [pyright, "--verifytypes", "oxen_inference", "--ignoreexternal", "--outputjson"],
        cwd=tmp_path,  # no project configuration of ours applies
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = json.loads(done.stdout)["typeCompleteness"]
    assert report["pyTypedPath"], "the package was not found, or it has no py.typed"
    counts = report["exportedSymbolCounts"]
    assert sum(counts.values()) > 1000, counts  # the whole package was read
    score = report["completenessScore"]
    assert score >= BAR, f"{score:.1%} < {BAR:.0%}:\n" + "\n".join(misses(report))
