"""The Python examples of docs/client.md run as written: each block, unchanged, in a fresh
``python -W error`` against the mock server, in a folder holding the files they name, with nothing
on stderr (a file left open is a warning Python can only print, exit status 0)."""

from __future__ import annotations

import re
from pathlib import Path

from oxgen.mock.media import png
from oxgen.mock.testing import MockServer
from tests.conftest import REPO
from tests.e2e.test_readme_quickstart import blocks, run_block

GUIDE = REPO / "docs" / "client.md"


def test_the_local_files_example_runs_as_written(mock: MockServer, tmp_path: Path) -> None:
    [code] = blocks(GUIDE.read_text(encoding="utf-8"), "python")
    assert 'with open("tiger.png", "rb") as' in code  # an opened file, closed by its block
    for name in ("tiger.png", "a.png"):
        (tmp_path / name).write_bytes(png())
    env = {"OXEN_BASE_URL": mock.base_url, "OXEN_API_KEY": mock.api_key}
    done = run_block(code, env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(rf"{re.escape(mock.root_url)}/files/\S+\.mp4 succeeded\n", done.stdout)
    image = "data:image/png;base64,"
    blocking, queued = (job.params for job in mock.state.jobs.jobs.values())
    assert blocking["input_image"].startswith(image)  # Path("tiger.png"), read and inlined
    assert queued["input_image"] == blocking["input_image"]  # the opened file, the same bytes
    first, second, url = queued["reference_image_urls"]
    assert first.startswith(image) and second == first and url == "https://example.com/b.png"
