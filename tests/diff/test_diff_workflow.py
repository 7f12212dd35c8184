"""The schema-drift GitHub workflow: valid YAML, the expected steps in the expected order, shell
scripts that parse, and its report step run for real against a temporary repository.

Uses PyYAML (a dev dependency) to read the workflow as GitHub does.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import MODEL_ID, base_model, git, write_snapshot

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "schema-drift.yml"


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = workflow["jobs"]["drift"]["steps"]
    return result


def step(workflow: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in steps(workflow) if s.get("name") == name)


def test_triggers_and_permissions(workflow: dict[str, Any]) -> None:
    raw: dict[Any, Any] = workflow
    triggers = raw.get("on", raw.get(True))  # YAML 1.1 reads a bare `on` as true
    assert isinstance(triggers, dict)
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    assert triggers["schedule"][0]["cron"]
    assert workflow["permissions"] == {"contents": "write", "pull-requests": "write"}


def test_steps_in_order(workflow: dict[str, Any]) -> None:
    names = [s["name"] for s in steps(workflow)]
    assert names == [
        "Check out main",
        "Set up Python",
        "Install oxgen",
        "Fetch the live schemas",
        "Read the client version",
        "Report the changes",
        "Annotate the changes",
        "Regenerate the client",
        "Open or update the pull request",
        "Run the checks",
        "Fail on unaccepted breaking changes",
    ]
    for s in steps(workflow):
        assert ("run" in s) != ("uses" in s), s["name"]


def test_each_step_does_its_job(workflow: dict[str, Any]) -> None:
    assert step(workflow, "Check out main")["with"]["fetch-depth"] == 0
    assert "pip install" in step(workflow, "Install oxgen")["run"]
    fetch = step(workflow, "Fetch the live schemas")
    assert (
        fetch["env"]["OXEN_API_KEY"] == "${{ secrets.OXEN_API_KEY }}"
        and "oxgen fetch" in fetch["run"]
    )
    assert workflow["env"]["BASE"] == "git:origin/main:schemas"
    report = step(workflow, "Report the changes")["run"]
    assert (
        'oxgen diff "$BASE" schemas/ --format markdown' in report
        and "GITHUB_STEP_SUMMARY" in report
    )
    annotate = step(workflow, "Annotate the changes")["run"]
    assert "--format github --fail-on never" in annotate
    assert "oxgen generate" in step(workflow, "Regenerate the client")["run"]
    pr = step(workflow, "Open or update the pull request")
    assert pr["uses"].startswith("peter-evans/create-pull-request@")
    assert pr["with"]["body-path"] == "${{ steps.report.outputs.report }}"
    assert "oxen-inference ${{ steps.version.outputs.version }}" in pr["with"]["title"]
    assert "oxgen.releases" in step(workflow, "Read the client version")["run"]
    assert step(workflow, "Run the checks")["run"] == "scripts/check"
    fail = step(workflow, "Fail on unaccepted breaking changes")
    assert fail["if"] == "steps.report.outputs.breaking != '0'" and "exit 1" in fail["run"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_run_scripts_parse(workflow: dict[str, Any]) -> None:
    for s in steps(workflow):
        if "run" in s:
            script = re.sub(r"\$\{\{[^}]*\}\}", "x", s["run"])
            done = subprocess.run(
                ["bash", "-n"], input=script, text=True, capture_output=True, check=False
            )
            assert done.returncode == 0, f"{s['name']}: {done.stderr}"


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("allowed", [False, True], ids=["plain", "with-allow-list"])
def test_report_step_runs(workflow: dict[str, Any], tmp_path: Path, allowed: bool) -> None:
    """The report step's script, run as the runner would, in a repository with one breaking change
    (accepted by the repository's allow-list file in the second run)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "test@example.com")
    git(repo, "config", "user.name", "Test")
    write_snapshot(repo / "schemas", [base_model()])
    git(repo, "add", ".")
    git(repo, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "snapshot")
    changed = base_model()
    del changed["request_schema"]["properties"]["style"]
    write_snapshot(repo / "schemas", [changed])
    if allowed:
        entry = {"rule": "property-removed", "model": MODEL_ID, "reason": "announced"}
        allow_path = repo / workflow["env"]["ALLOW_FILE"]
        allow_path.parent.mkdir(parents=True, exist_ok=True)
        allow_path.write_text(json.dumps([entry]), encoding="utf-8")
    runner = tmp_path / "runner"
    runner.mkdir()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "BASE": "git:main:schemas",  # the workflow's origin/main, here the local branch
        "ALLOW_FILE": workflow["env"]["ALLOW_FILE"],
        "RUNNER_TEMP": str(runner),
        "GITHUB_OUTPUT": str(runner / "output"),
        "GITHUB_STEP_SUMMARY": str(runner / "summary.md"),
    }
    script = step(workflow, "Report the changes")["run"]
    done = subprocess.run(
        ["bash", "-c", script], cwd=repo, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    outputs = dict(
        line.split("=", 1) for line in (runner / "output").read_text(encoding="utf-8").splitlines()
    )
    assert outputs == {
        "changed": "true",
        "semver": "major",
        "breaking": "0" if allowed else "1",
        "report": str(runner / "schema-diff.md"),
    }
    summary = (runner / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("## Schema changes") and "property-removed" in summary
