"""mypy --strict passes on the generator and on the generated client."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def _mypy(args: list[str], cwd: Path, env_path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if env_path:
        env["MYPYPATH"] = env_path
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary", *args],
                          cwd=cwd, env=env, capture_output=True, text=True)


@pytest.mark.slow
def test_generator_is_strictly_typed(tmp_path: Path) -> None:
    # The package lives in generator/ but imports as `oxgen`: give mypy that name through a link.
    (tmp_path / "oxgen").symlink_to(REPO / "generator", target_is_directory=True)
    proc = _mypy(["--cache-dir", str(tmp_path / "cache"), "-p", "oxgen"], cwd=REPO, env_path=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_generated_client_is_strictly_typed(tmp_path: Path) -> None:
    proc = _mypy(["--cache-dir", str(tmp_path / "cache"), "oxen_inference"], cwd=REPO / "generated")
    assert proc.returncode == 0, proc.stdout + proc.stderr
