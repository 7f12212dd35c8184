"""The results page of a batch run (``index.html``): escaping of everything that comes from the
inputs or the server, media referenced relatively and lazily, a page that loads nothing over
the network and shows everything without script, and its size at 1,000 rows."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import time
from html.parser import HTMLParser
from typing import Any

import pytest
from oxen_inference._batch_page import (
    CSP,
    EAGER,
    MAX_TEXT,
    SCRIPT,
    STYLE,
    PageSummary,
    media_kind,
    relative_src,
    render,
)
from oxen_inference._journal import Row
from oxen_inference._pricing import CostEstimate, ModelCost

T0 = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC


def row(seq: int = 0, **fields: Any) -> Row:
    values: dict[str, Any] = {
        "seq": seq,
        "id": f"in-{seq}",
        "line": seq + 1,
        "model": "flux-2-pro",
        "params": {"prompt": f"prompt {seq}"},
        "namespace": None,
        "key": "k",
        "stem": f"in-{seq}",
        "state": "succeeded",
        "generation_id": f"gen-{seq}",
        "result_url": f"https://hub.oxen.ai/results/{seq}.png",
        "error": None,
        "file": f"outputs/in-{seq}.png",
        "sent_at": T0 + seq,
        "ended_at": T0 + seq + 30,
    }
    values.update(fields)
    return Row(**values)


class Page(HTMLParser):
    """The parsed page: every start tag with its attributes, the text of each card's parts, the
    text of script and style elements."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.texts: dict[str, list[str]] = {}
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self._open: list[str] = []
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        if tag in ("script", "style"):
            (self.scripts if tag == "script" else self.styles).append("")
        if tag not in ("meta", "img", "br", "hr", "input", "source", "wbr"):  # no end tag
            self._open.append(found.get("class") or tag)

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        where = self._open[-1] if self._open else ""
        if where == "script":
            self.scripts[-1] += data
        elif where == "style":
            self.styles[-1] += data
        else:
            self.texts.setdefault(where, []).append(data)

    def attrs(self, tag: str, name: str) -> list[str]:
        return [a[name] or "" for t, a in self.tags if t == tag and name in a]


HOSTILE = [
    "</script><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "' onmouseover='alert(1)",
    "</style><style>*{display:none}</style>",
    "<!-- a comment --><![CDATA[ x ]]>",
    "&lt;already escaped&gt; &amp;",
    "</article></main><h1>forged</h1>",
    "<a href='https://evil.example/'>click</a>",
    "\u202eright-to-left\u202c and \u200b zero width",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_from_inputs_and_servers_shows_as_text(text: str) -> None:
    hostile = row(
        id=text,
        model=text,
        params={"prompt": text, text: text, "seed": 7},
        state="failed",
        generation_id=text,
        error=text,
        result_url=None,
        file=None,
    )
    source = render([hostile], PageSummary(title=text))
    page = Page(source)
    assert text not in source or html.escape(text) == text
    # the only markup is the page's own: one script (ours), one style (ours), no handlers
    assert page.scripts == [SCRIPT] and page.styles == [STYLE]
    assert not [(t, a) for t, a in page.tags for name in a if name.startswith("on")]
    assert {t for t, _ in page.tags} <= {
        *("html", "head", "meta", "title", "style", "body", "h1", "ul", "li", "b", "div"),
        *("form", "label", "select", "option", "span", "main", "article", "header", "p"),
        *("dl", "dt", "dd", "code", "script"),
    }
    assert page.attrs("a", "href") == []  # no result URL, and nothing in the text became a link
    # and each part shows the text itself
    assert page.texts["prompt"] == [text]
    assert page.texts["error"] == [text]
    assert "".join(page.texts["dd"]) == text + "7"
    assert text in "".join(page.texts["span"])
    assert page.texts["title"] == [f"Batch {text}"]
    assert text in page.attrs("article", "data-model")
    assert text in page.attrs("option", "value")


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://hub.oxen.ai/results/1.png", True),
        ('https://hub.oxen.ai/x?a="b"&c=<d>', True),
        ("http://127.0.0.1:8080/files/1.mp4", True),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("vbscript:msgbox", False),
        ("file:///etc/passwd", False),
        ("//evil.example/x.png", False),
        ('https://ok.example/a b" onclick="x', False),
        ("https://ok.example/\x00", False),
        ("https:", False),
        ("", False),
    ],
)
def test_a_result_url_is_a_link_only_when_it_is_a_web_address(url: str, linked: bool) -> None:
    page = Page(render([row(result_url=url, file=None)], PageSummary(title="t")))
    assert page.attrs("a", "href") == ([url] if linked else [])
    if url and not linked:  # shown, as text
        assert any(url.replace("\x00", "\ufffd") in t for t in page.texts["meta"])


@pytest.mark.parametrize(
    ("file", "src"),
    [
        ("outputs/fox.png", "outputs/fox.png"),
        ("outputs/odd_.._id-8340dfc22d.png", "outputs/odd_.._id-8340dfc22d.png"),
        ("outputs/a b#c?d%.png", "outputs/a%20b%23c%3Fd%25.png"),
        ("outputs/ü.png", "outputs/%C3%BC.png"),
        ('outputs/"><script>.png', "outputs/%22%3E%3Cscript%3E.png"),
        ("../../etc/passwd.png", None),
        ("outputs/../../x.png", None),
        ("/etc/x.png", None),
        ("C:/x.png", None),
        ("outputs\\x.png", None),
        ("file:///etc/x.png", None),
        ("https://evil.example/x.png", None),
        ("//evil.example/x.png", None),
        ("outputs//x.png", None),
        ("outputs/./x.png", None),
        ("outputs/\ud800.png", None),
        ("", None),
    ],
)
def test_media_are_files_in_the_folder_referenced_relatively(file: str, src: str | None) -> None:
    assert relative_src(file) == src
    page = Page(render([row(file=file)], PageSummary(title="t")))
    assert page.attrs("img", "src") == ([src] if src else [])


def test_each_kind_of_result_gets_its_element_loaded_lazily() -> None:
    files = ["a.png", "b.JPG", "c.webp", "d.mp4", "e.webm", "f.wav", "g.mp3", "h.bin"]
    assert [media_kind(f) for f in files] == [
        *("image", "image", "image", "video", "video", "audio", "audio", None)
    ]
    rows = [row(i, file=f"outputs/{name}") for i, name in enumerate(files)]
    rows += [row(len(rows) + i, file=f"outputs/v{i}.mp4") for i in range(EAGER)]
    page = Page(render(rows, PageSummary(title="t")))
    images = [a for t, a in page.tags if t == "img"]
    assert [a["src"] for a in images] == ["outputs/a.png", "outputs/b.JPG", "outputs/c.webp"]
    assert all(a["loading"] == "lazy" for a in images)
    videos = [a for t, a in page.tags if t == "video"]
    assert len(videos) == 2 + EAGER and all("controls" in a for a in videos)
    audios = [a for t, a in page.tags if t == "audio"]
    assert [a["src"] for a in audios] == ["outputs/f.wav", "outputs/g.mp3"]
    # the first cards' load their metadata (a frame and a length to show), the rest when played
    preloads = [a["preload"] for t, a in page.tags if t in ("video", "audio")]
    timed = [3, 4, 5, 6, *range(8, 8 + EAGER)]  # the cards with a video or an audio
    assert preloads == ["metadata" if card < EAGER else "none" for card in timed]
    assert "none" in preloads
    assert page.attrs("a", "href")[-1] != "outputs/h.bin"  # result URLs come last in a card
    assert "outputs/h.bin" in page.attrs("a", "href")  # another kind of file: a link to it


def test_a_card_per_input_in_input_order_with_what_is_known_of_it() -> None:
    rows = [
        row(0, params={"prompt": "a fox", "seed": 7, "aspect_ratio": "16:9"}),
        row(1, state="failed", error="NSFW content detected", file=None, result_url=None),
        row(2, state="waiting", file=None, result_url=None, ended_at=None),
        row(3, state="pending", file=None, result_url=None, generation_id=None, sent_at=None),
        row(4, state="cancelled", file=None, result_url=None),
    ]
    page = Page(render(rows, PageSummary(title="foxes", started_at=T0 - 10)))
    cards = [a for t, a in page.tags if t == "article"]
    assert [a["data-status"] for a in cards] == [
        *("succeeded", "failed", "waiting", "pending", "cancelled")
    ]
    assert [a["id"] for a in cards] == [f"input-{i}" for i in range(5)]
    assert not any("hidden" in a for a in cards)
    assert page.texts["prompt"] == ["a fox", "prompt 1", "prompt 2", "prompt 3", "prompt 4"]
    assert page.texts["dt"][:2] == ["seed", "aspect_ratio"]
    assert page.texts["error"] == ["NSFW content detected"]
    assert page.texts["st"] == ["succeeded", "failed", "running", "not sent", "cancelled"]
    meta = page.texts["meta"]
    assert "sent 2026-01-01 00:00:00 UTC" in meta[0]
    assert "ended 2026-01-01 00:00:30 UTC (30s)" in meta[0]
    assert "gen-0" in page.texts["code"]
    assert page.attrs("a", "href") == ["https://hub.oxen.ai/results/0.png"]
    summary = "".join(page.texts["b"] + page.texts["li"])
    for words in ("5 inputs", "1 succeeded", "1 failed", "1 running", "1 not sent"):
        number, label = words.split(" ", 1)
        assert number in page.texts["b"] and f" {label}" in page.texts["li"]
    assert "started 2026-01-01 00:00:00 UTC" not in summary  # started 10 s before T0
    assert "started 2025-12-31 23:59:50 UTC" in page.texts["li"]
    assert "elapsed " in page.texts["li"] and "44s" in page.texts["b"]  # to the last change


def test_the_cost_estimate_is_shown_with_what_it_leaves_out() -> None:
    cost = CostEstimate(
        (
            ModelCost("flux-2-pro", 3, 0.09),
            ModelCost("veo", 2, None, "no pricing in the catalog", unknown=2),
        )
    )
    page = Page(render([row()], PageSummary(title="t", cost=cost)))
    text = " ".join(page.texts["cost"] + page.texts["li"] + page.texts["b"])
    assert "$0.09" in text and "(inputs without a price left out)" in text
    assert "flux-2-pro: 3 input(s), $0.09" in text
    assert "veo: 2 input(s), cost unknown (no pricing in the catalog)" in text


def test_the_page_loads_nothing_but_its_own_files_and_code() -> None:
    source = render([row(i, file=f"outputs/{i}.mp4") for i in range(3)], PageSummary(title="t"))
    page = Page(source)
    policy = page.attrs("meta", "content")[0]
    assert policy == CSP and [
        a["http-equiv"] for t, a in page.tags if t == "meta" and "http-equiv" in a
    ] == ["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["img-src"] == directives["media-src"] == "'self'"
    assert directives["base-uri"] == "'none'" and directives["form-action"] == "'none'"

    def sha(text: str) -> str:
        return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    # the script and style allowed are exactly those in the page
    assert directives["script-src"] == f"'sha256-{sha(page.scripts[0])}'"
    assert directives["style-src"] == f"'sha256-{sha(page.styles[0])}'"
    assert not re.search(r"url\(|@import|https?:", page.styles[0] + page.scripts[0])
    assert {t for t, _ in page.tags}.isdisjoint({"link", "iframe", "object", "embed", "base"})
    sources = [a.get("src") or "" for _, a in page.tags if "src" in a]
    assert sources and all(s.startswith("outputs/") for s in sources)
    assert [h for h in page.attrs("a", "href") if not h.startswith("https://hub.oxen.ai/")] == []


def test_the_page_is_complete_without_script() -> None:
    rows = [row(i, model=m) for i, m in enumerate(["b-model", "a-model", "b-model"])]
    page = Page(render(rows, PageSummary(title="t")))
    forms = [a for t, a in page.tags if t == "form"]
    assert forms == [{"id": "filters", "hidden": None}]  # the script shows the filters
    values = page.attrs("option", "value")
    assert values == ["", "succeeded", "", "a-model", "b-model"]
    assert len([t for t, _ in page.tags if t == "article"]) == 3


def test_long_and_unencodable_text_is_cut_and_replaced() -> None:
    long = "x" * (MAX_TEXT + 1234)
    source = render(
        [row(params={"prompt": long, "note": "a\ud800b\x00c"}, error="e\udfff")],
        PageSummary(title="t"),
    )
    source.encode("utf-8")  # no lone surrogate left to fail the file's encoding
    page = Page(source)
    assert page.texts["prompt"] == ["x" * MAX_TEXT + "… (1,234 more characters)"]
    assert page.texts["dd"] == ["a\ufffdb\ufffdc"] and page.texts["error"] == ["e\ufffd"]


def test_a_thousand_rows_make_a_page_of_a_few_hundred_kilobytes() -> None:
    def rows(n: int) -> list[Row]:
        return [
            row(
                i,
                params={"prompt": f"a fox number {i} in the snow, cinematic", "seed": i},
                file=f"outputs/in-{i}.{'mp4' if i % 2 else 'png'}",
            )
            for i in range(n)
        ]

    started = time.perf_counter()
    thousand = render(rows(1000), PageSummary(title="t", started_at=T0))
    took = time.perf_counter() - started
    two_thousand = render(rows(2000), PageSummary(title="t", started_at=T0))
    per_row = (len(two_thousand) - len(thousand)) / 1000
    assert per_row < 1000  # bytes per card
    assert len(thousand) < 1000 * per_row + 20_000  # the fixed part: style, script, summary
    assert took < 10  # loosely: it takes a few tens of milliseconds
    assert Page(thousand).attrs("article", "id")[-1] == "input-999"
