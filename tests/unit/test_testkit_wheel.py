"""The client's test kit works from its wheel alone: the wheel, installed into a fresh virtualenv
with pytest and nothing else (no oxgen, no repository on the path), registers the ``oxen_mock``
fixture, and a user's test suite (``testkit_user_suite.py``: sync, async, failing jobs, faults,
recorded bodies) passes there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

SUITE = Path(__file__).with_name("testkit_user_suite.py")


def run(
    argv: list[str | Path], cwd: Path, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "OXEN_", "PYTHONPATH"))
    }
    done = subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.mark.slow
def test_the_wheel_alone_runs_a_user_suite_with_the_fixture(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, REPO / "generated"],
        tmp_path,
    )
    (wheel,) = dist.glob("oxen_inference-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        [entry_points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        registered = archive.read(entry_points).decode()
    assert (
        "[pytest11]\noxen_inference.testing._plugin = oxen_inference.testing._plugin" in registered
    )
    assert "oxen_inference/testing/_protocol/router.py" in names

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], tmp_path)
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "-q", wheel, "pytest"], tmp_path)
    listed = run([python, "-m", "pip", "list", "--format=json"], tmp_path).stdout
    installed = {p["name"].lower() for p in json.loads(listed)}
    assert {"oxen-inference", "httpx", "pydantic", "pytest"} <= installed
    assert not installed & {"oxgen", "starlette", "uvicorn", "jsonschema", "pytest-asyncio"}

    user = tmp_path / "user"
    user.mkdir()
    shutil.copy(SUITE, user / "test_user_suite.py")
    done = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", user], user)
    assert "7 passed" in done.stdout, done.stdout
