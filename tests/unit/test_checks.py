"""The repository's own checks, run by the test suite too, so that nothing lands that CI's
`scripts/check` would refuse: ruff (format and lint, generated/ included) and actionlint on the
GitHub workflows. mypy runs in test_typing.py."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, check=False)


@pytest.mark.static
def test_ruff_format_is_clean() -> None:
    done = _run(sys.executable, "-m", "ruff", "format", "--check", "--no-cache", ".")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.static
def test_ruff_lint_is_clean_generated_code_included() -> None:
    done = _run(sys.executable, "-m", "ruff", "check", "--no-cache", ".")
    assert done.returncode == 0, done.stdout + done.stderr
    listed = _run(sys.executable, "-m", "ruff", "check", "--no-cache", "--show-files", ".")
    assert "generated/oxen_inference/_base_client.py" in listed.stdout  # not excluded


def _actionlint() -> str:
    path = Path(sysconfig.get_path("scripts")) / "actionlint"
    if not path.exists():
        pytest.fail(f"actionlint is not installed at {path}: pip install -e '.[dev]'")
    return str(path)


@pytest.mark.static
@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[w.name for w in WORKFLOWS])
def test_workflows_pass_actionlint(workflow: Path) -> None:
    done = _run(_actionlint(), "-no-color", str(workflow))
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_does_catch_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ steps.nope.outputs.x }}\n        uses: actions/checkout@v4\n",
        encoding="utf-8",
    )
    done = _run(_actionlint(), "-no-color", str(broken))
    assert done.returncode != 0 and "broken.yml" in done.stdout


def test_ci_runs_the_check_script_on_push_and_pull_request() -> None:
    ci = yaml.safe_load((REPO / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))
    triggers = ci.get("on", ci.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request"} <= set(triggers)
    runs = [s.get("run", "") for s in ci["jobs"]["check"]["steps"]]
    assert "scripts/check" in runs
    assert any('pip install -e ".[dev]" -e ./generated' in r for r in runs)


def test_check_script_runs_every_check() -> None:
    script = (REPO / "scripts" / "check").read_text(encoding="utf-8")
    for command in (
        "-m ruff format --check",
        "-m ruff check",
        "-m mypy",
        "-m mypy --strict -p oxen_inference",
        "actionlint",
        "-m oxgen generate --check",
        "scripts/unasync.py --check",
        "-m pytest",
    ):
        assert command in script, command
    # the tests that run those same tools are left to the script's own steps, not run twice
    assert '-m pytest -q -m "not static"' in script
    assert os.access(REPO / "scripts" / "check", os.X_OK)


def test_readme_test_command_is_the_check_script() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    run = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    command = next(line for line in run.splitlines() if line.startswith("python3 -m venv"))
    assert command.endswith("&& scripts/check")
    assert command in readme
