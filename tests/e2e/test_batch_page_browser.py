"""The results page in a real browser: a batch run against ``oxgen mock-server`` (images, videos,
failed inputs, a hostile prompt), then headless Chromium opens its ``index.html`` from ``file://``.

Chromium is Debian's ``chromium`` package (``.ci/run`` installs it when it is missing). Without it
this test is skipped, unless ``OXGEN_REQUIRE_BROWSER`` is set (CI sets it): then it fails.
``OXGEN_BATCH_SCREENSHOT=PATH`` also copies the screenshot there (docs/batch-page.png is made so).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from oxgen.mock.testing import mock_server_process

from .cli import environment
from .conftest import SCHEMAS

IMAGE, VIDEO = "flux-2-pro", "luma-ray-v3-2-text-to-video"
HOSTILE = (
    "</script><script>document.documentElement.dataset.pwned = 'script'</script>"
    "<img src=x onerror=\"document.documentElement.dataset.pwned = 'img'\"> & a fox"
)
WIDTH = 1000


BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chromium() -> str:
    found = next(filter(None, map(shutil.which, BROWSERS)), None)
    if found is None and os.environ.get("OXGEN_REQUIRE_BROWSER"):
        pytest.fail(f"OXGEN_REQUIRE_BROWSER is set but none of {', '.join(BROWSERS)} is on PATH")
    if found is None:
        pytest.skip("no chromium on PATH (Debian: apt-get install chromium)")
    return found


def browse(browser: str, page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium on `page` (file://), its console logged on stderr."""
    return subprocess.run(
        [
            browser,
            *("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"),
            *("--disable-component-update", "--disable-sync", "--no-first-run", "--mute-audio"),
            *("--hide-scrollbars", f"--user-data-dir={profile}", f"--window-size={WIDTH},900"),
            *("--enable-logging=stderr", "--v=0"),
            *args,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": str(profile)},
    )


class Dom(HTMLParser):
    """The cards of the dumped page: for each, its attributes, its media and its texts by class."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root: dict[str, str | None] = {}
        self.cards: list[dict[str, Any]] = []
        self.scripts = 0
        self.links: list[str] = []
        self.forms: list[dict[str, str | None]] = []
        self._open: list[str] = []
        self.feed(source)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.root = found
        elif tag == "article":
            self.cards.append({"attrs": found, "media": [], "text": {}})
        elif tag in ("img", "video", "audio") and self.cards:
            self.cards[-1]["media"].append((tag, found))
        elif tag == "script":
            self.scripts += 1
        elif tag == "a":
            self.links.append(found.get("href") or "")
        elif tag == "form":
            self.forms.append(found)
        if tag not in ("meta", "img", "br", "input"):
            self._open.append(found.get("class") or tag)

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self.cards and self._open:
            text = self.cards[-1]["text"]
            text[self._open[-1]] = text.get(self._open[-1], "") + data


def png_rows(path: Path) -> tuple[int, int, list[bytearray]]:
    """The width, the bytes per pixel and the rows of an 8-bit RGB(A) PNG without interlacing
    (what Chromium writes), unfiltered."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, packed, header = 8, b"", (0, 0, 0, 0, 0, 0, 0)
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", data[pos + 8 : pos + 8 + length])
        elif kind == b"IDAT":
            packed += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    step = 4 if colour == 6 else 3
    stride, raw = width * step, zlib.decompress(packed)
    rows, above = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 :][:stride])
        for i in range(stride):
            a = line[i - step] if i >= step else 0
            b = above[i]
            c = above[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        above = line
    return width, step, rows


def gradient_pixels(path: Path) -> int:
    """Pixels in the colours of the mock's result images (a gradient with blue at 200)."""
    _, step, rows = png_rows(path)
    return sum(
        1
        for line in rows
        for x in range(0, len(line), step)
        if abs(line[x + 2] - 200) <= 10 and 30 <= line[x] <= 190 and 80 <= line[x + 1] <= 205
    )


def test_the_results_page_in_a_browser(tmp_path: Path) -> None:
    browser = chromium()
    rows: list[dict[str, Any]] = [
        {"id": "fox", "model": IMAGE, "prompt": "a red fox in the snow", "seed": 7},
        {"id": "owl", "model": IMAGE, "prompt": "an owl at dusk", "aspect_ratio": "1:1"},
        {"id": "river", "model": VIDEO, "prompt": "a river through a canyon, drone shot"},
        {"id": "hostile", "model": IMAGE, "prompt": HOSTILE},
        {"model": IMAGE, "prompt": "a lighthouse in a storm"},
        {"id": "city", "model": VIDEO, "prompt": "a city at night, timelapse"},
    ]
    log = tmp_path / "mock.log"
    with (
        log.open("w") as requests,
        mock_server_process("--schemas", str(SCHEMAS), "--latency", "0.3", stderr=requests) as (
            url,
            _,
        ),
    ):
        root = url.removesuffix("/api")  # the URL printed is the API's base
        missing = f"{root}/files/no-such-input.png"  # the server fails these generations
        rows.insert(
            2, {"id": "broken", "model": IMAGE, "prompt": "a fox", "input_image": [missing]}
        )
        rows.append({"id": "lost", "model": IMAGE, "prompt": "a tiger", "input_image": [missing]})
        inputs = tmp_path / "in.jsonl"
        inputs.write_text("".join(json.dumps(r) + "\n" for r in rows))
        out = tmp_path / "run"
        env = environment(None, OXEN_BASE_URL=url, OXEN_API_KEY="browser-test-key")
        command = ["batch", "run", str(inputs), "--out", str(out)]
        done = subprocess.run(
            [sys.executable, "-m", "oxen_inference", *command],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 1, done.stderr  # two inputs failed
        results = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
        served = log.read_text().count(' HTTP/1.1"')  # a line per request
        profile = tmp_path / "profile"
        dumped = browse(browser, out / "index.html", profile, "--dump-dom")
        shot = tmp_path / "page.png"
        pictured = browse(browser, out / "index.html", profile, f"--screenshot={shot}")
        assert log.read_text().count(' HTTP/1.1"') == served  # the page asked the server nothing
    assert dumped.returncode == 0 and pictured.returncode == 0, dumped.stderr[-2000:]

    # nothing refused by the page's policy, no resource that failed to load, no script error
    for run in (dumped, pictured):
        console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
        assert console == [], console

    dom = Dom(dumped.stdout)
    assert "data-pwned" not in dumped.stdout and "pwned" not in str(dom.root)
    assert dom.scripts == 1  # the page's own; the hostile prompt made none
    assert dom.forms and "hidden" not in dom.forms[0]  # the page's script ran: filters shown
    assert [c["attrs"]["data-status"] for c in dom.cards] == [r["status"] for r in results]
    by_id = {r["id"]: r for r in results}
    assert len(dom.cards) == len(rows) == len(results)
    for card, row in zip(dom.cards, rows, strict=True):
        result = by_id[row.get("id", str(rows.index(row) + 1))]
        texts = card["text"]
        assert texts["prompt"] == row["prompt"]  # the hostile one too: as text
        header = texts.get("span", "")
        assert result["id"] in header
        if result["status"] == "failed":
            assert card["media"] == []
            assert texts["error"] == result["error"] and "no-such-input.png" in result["error"]
            continue
        assert result["status"] == "succeeded" and "error" not in texts
        [(tag, attrs)] = card["media"]
        assert tag == ("video" if row["model"] == VIDEO else "img")
        src = attrs["src"] or ""
        assert not re.match(r"[a-z]+:|/", src)  # relative
        assert (out / unquote(src)).is_file() and unquote(src) == result["file"]
        assert result["result_url"] in dom.links
    # the only links are the result URLs; no src is a web address
    assert dom.links == [r["result_url"] for r in results if r["result_url"]]
    assert all(link.startswith(f"{root}/files/") for link in dom.links)
    assert not re.search(r"""src=["']?(https?:)?//""", dumped.stdout)

    assert png_rows(shot)[0] == WIDTH
    # the result images were drawn (the page's policy let them load): each card's image is some
    # 180x180 pixels of the mock's gradient; a page whose images did not load has next to none
    assert gradient_pixels(shot) > 2 * 20_000
    copy = os.environ.get("OXGEN_BATCH_SCREENSHOT")
    if copy:
        shutil.copyfile(shot, copy)
