"""docs/cli.md's shell blocks work as written: the mock server's set-up is the README quickstart's
(which tests/e2e/test_readme_quickstart.py runs), and the scripting example runs in bash against
`oxgen mock-server`, its `jq` reading the saved file's path from the command's JSON."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from oxgen.mock.testing import MockServer
from tests.conftest import REPO
from tests.e2e.cli import SCRIPT, environment
from tests.e2e.test_readme_quickstart import blocks, section

DOCS = REPO / "docs" / "cli.md"
README = REPO / "generated" / "README.md"


def test_the_mock_set_up_is_the_readmes() -> None:
    [set_up, _] = blocks(DOCS.read_text(encoding="utf-8"), "bash")
    [quickstart] = blocks(section(README.read_text(encoding="utf-8"), "Quickstart"), "bash")
    lines = set_up.splitlines()
    assert any("mock-server" in line and "--port 0" in line for line in lines)
    assert set(lines) <= set(quickstart.splitlines())


@pytest.mark.skipif(shutil.which("jq") is None, reason="needs jq")
def test_the_scripting_example_runs_as_written(mock: MockServer, tmp_path: Path) -> None:
    [_, script] = blocks(DOCS.read_text(encoding="utf-8"), "bash")
    env = environment(mock)
    env["PATH"] = f"{SCRIPT.parent}{os.pathsep}{env['PATH']}"  # oxen-inference as installed
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    [saved] = done.stdout.splitlines()
    [job] = httpx.get(
        f"{mock.base_url}/ai/queue", params={"status": "succeeded"}, headers=mock.headers
    ).json()["generations"]
    assert Path(saved) == Path("out") / f"{job['generation_id']}.png"
    served = httpx.get(job["result_url"]).raise_for_status().content
    assert (tmp_path / saved).read_bytes() == served
    assert job["seed"] == 7 and job["prompt"] == "a red fox"
