"""The Python examples of docs/client.md run as written: the guide's blocks, unchanged and in
order, as one session (later blocks use the `client` and `job` of earlier ones) in a fresh
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


def test_the_guides_examples_run_as_written(mock: MockServer, tmp_path: Path) -> None:
    code = blocks(GUIDE.read_text(encoding="utf-8"), "python")
    assert code, "docs/client.md has no Python example"
    session = "\n".join(code)
    assert 'with open("tiger.png", "rb") as' in session  # a file object as a media input
    assert not re.search(r"(?<!with )\bopen\(", session)  # every file closed by its with block
    for name in ("tiger.png", "a.png"):
        (tmp_path / name).write_bytes(png())
    env = {"OXEN_BASE_URL": mock.base_url, "OXEN_API_KEY": mock.api_key}
    done = run_block(session, env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout, "the examples printed nothing"
    image = "data:image/png;base64,"
    sent = [job.params for job in mock.state.jobs.jobs.values()]
    media = [p["input_image"] for p in sent if str(p.get("input_image", "")).startswith(image)]
    assert len(media) >= 2  # Path("tiger.png") and the opened file, read and inlined
    assert len(set(media)) == 1  # the same bytes either way
