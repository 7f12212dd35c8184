"""The generated README's command-line quickstart runs as written: its ``sh`` block, in a folder
holding ``tiger.png``, against `oxgen mock-server`, saves the video it prints."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import httpx

from oxgen.mock.media import png
from oxgen.mock.testing import MockServer
from tests.conftest import REPO
from tests.e2e.cli import SCRIPT, environment
from tests.e2e.test_readme_quickstart import blocks, section

README = REPO / "generated" / "README.md"


def test_the_one_line_run_works_as_written(mock: MockServer, tmp_path: Path) -> None:
    [block] = blocks(section(README.read_text(encoding="utf-8"), "Quickstart"), "sh")
    [line] = block.splitlines()
    argv = shlex.split(line)
    # as a fresh clone runs it after the quickstart's set-up: the script in .venv/bin/
    assert argv[:3] == [".venv/bin/oxen-inference", "run", "luma-ray-v3-2-image-to-video"]
    assert "input_image=@tiger.png" in argv  # a local image
    (tmp_path / "tiger.png").write_bytes(png())
    done = subprocess.run(
        [str(SCRIPT), *argv[1:]],
        cwd=tmp_path,
        env=environment(mock),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    url, path = done.stdout.splitlines()
    assert url.startswith(mock.root_url + "/files/") and url.endswith(".mp4")
    saved = tmp_path / path
    assert Path(path).parent == Path("out") and saved.read_bytes() == httpx.get(url).content
    assert saved.read_bytes()[4:8] == b"ftyp"


def test_the_batch_command_runs_as_written(mock: MockServer, tmp_path: Path) -> None:
    """The batch section's one-line command, in a folder holding ``prompts.jsonl``."""
    [block] = blocks(section(README.read_text(encoding="utf-8"), "Batch runs"), "sh")
    [line] = block.splitlines()
    argv = shlex.split(line)
    assert argv[:4] == ["oxen-inference", "batch", "run", "prompts.jsonl"]
    rows = [
        {"id": "fox", "model": "flux-2-pro", "prompt": "a red fox in the snow"},
        {
            "model": "luma-ray-v3-2-image-to-video",
            "prompt": "Slow push-in",
            "input_image": "@tiger.png",
        },
    ]
    (tmp_path / "prompts.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "tiger.png").write_bytes(png())
    done = subprocess.run(
        [str(SCRIPT), *argv[1:]],
        cwd=tmp_path,
        env=environment(mock),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "2 inputs: 2 succeeded; results: runs/first/results.jsonl\n"
    saved = sorted(p.name for p in (tmp_path / "runs" / "first" / "outputs").iterdir())
    assert saved == ["2.mp4", "fox.png"]
