"""The generated README's command lines run as written, with Python's warnings made errors
(``PYTHONWARNINGS=error``, as ``python -W error``): the quickstart's ``sh`` block, in a folder
holding ``tiger.png``, against `oxgen mock-server`, saves the video it prints; the batch section's
inputs file, command and Python block run as the README shows them."""

from __future__ import annotations

import shlex
import subprocess
import sys
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
        env=environment(mock, PYTHONWARNINGS="error"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    url, path = done.stdout.splitlines()
    assert url.startswith(mock.root_url + "/files/") and url.endswith(".mp4")
    saved = tmp_path / path
    assert Path(path).parent == Path("out") and saved.read_bytes() == httpx.get(url).content
    assert saved.read_bytes()[4:8] == b"ftyp"


def test_the_batch_example_runs_as_written(mock: MockServer, tmp_path: Path) -> None:
    """The batch section's inputs file, its one-line command and its Python block, as written,
    in a folder holding ``tiger.png``."""
    text = section(README.read_text(encoding="utf-8"), "Batch runs")
    [inputs] = blocks(text, "jsonl")
    [line] = blocks(text, "sh")[0].splitlines()
    [code] = blocks(text, "python")
    (tmp_path / "prompts.jsonl").write_text(inputs)
    (tmp_path / "tiger.png").write_bytes(png())
    argv = shlex.split(line)
    assert argv[:4] == [".venv/bin/oxen-inference", "batch", "run", "prompts.jsonl"]
    done = subprocess.run(
        [str(SCRIPT), *argv[1:]],
        cwd=tmp_path,
        env=environment(mock, PYTHONWARNINGS="error"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert done.stdout == (
        "2 inputs: 2 succeeded; results: runs/first/results.jsonl; page: runs/first/index.html\n"
    )
    saved = sorted(p.name for p in (tmp_path / "runs" / "first" / "outputs").iterdir())
    assert saved == ["fox.png", "tiger.mp4"]
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        cwd=tmp_path,
        env=environment(mock),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[:4] == [
        "  flux-2-pro: 1 input(s), $0.10",
        "  luma-ray-v3-2-image-to-video: 1 input(s), cost unknown (no pricing in the catalog)",
        "  estimated total: $0.10 (inputs without a price left out)",
        "2 of 2 succeeded",
    ]
    assert len(lines) == 7 and all(ln.endswith(" succeeded") for ln in lines[4:])
