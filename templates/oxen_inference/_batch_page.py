"""A batch run's results as one HTML page (``index.html`` in the output folder).

:func:`render` is pure: the journal's rows (and a summary) in, the page out. The page is one
self-contained file for people to open from disk: no network (a Content-Security-Policy that
allows only files beside it, the page's own style and its own small script), results referenced
relatively (``outputs/<id>.<ext>``), media loaded lazily. Everything that comes from the inputs
or the server is escaped text. The filter by status and model is a few lines of script; without
script the page shows everything.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import json
import os
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from ._progress import format_duration

if TYPE_CHECKING:
    from ._journal import Row
    from ._pricing import CostEstimate

__all__ = [
    "PAGE_NAME",
    "PageSummary",
    "media_kind",
    "page_temporary",
    "relative_src",
    "remove_stale_pages",
    "render",
]

PAGE_NAME = "index.html"
STALE_PAGE = 600.0  # seconds after which a page's temporary file is a killed writer's leftover


def page_temporary(folder: Path) -> Path:
    """Where this process writes the page before moving it into place."""
    return folder / f".{PAGE_NAME}.{os.getpid()}.tmp"


def remove_stale_pages(folder: Path, now: float | None = None) -> None:
    """Remove the temporary pages of writers killed mid-write (a page takes well under
    STALE_PAGE seconds to write; one written now, by `batch report` say, stays)."""
    now = time.time() if now is None else now
    for entry in folder.glob(f".{PAGE_NAME}.*.tmp"):
        with contextlib.suppress(OSError):
            if entry.stem.rpartition(".")[2].isdigit() and entry.stat().st_mtime < now - STALE_PAGE:
                entry.unlink()


LABELS = {
    "pending": "not sent",
    "sending": "sending",
    "waiting": "running",
    "succeeded": "succeeded",
    "failed": "failed",
    "cancelled": "cancelled",
}
KINDS = {
    "image": (".png", ".jpg", ".jpeg", ".webp", ".gif", ".avif", ".bmp", ".svg"),
    "video": (".mp4", ".webm", ".mov", ".m4v", ".ogv"),
    "audio": (".wav", ".mp3", ".ogg", ".oga", ".m4a", ".flac", ".aac", ".opus"),
}
EAGER = 12  # the first videos and audios load their metadata; the rest wait to be played
MAX_TEXT = 4000  # characters of a prompt, parameter or error shown (the rest is counted)

STYLE = """
:root{color-scheme:light dark;--bg:#f6f6f4;--fg:#1d1d1f;--card:#fff;--line:#ddd;--dim:#666}
@media (prefers-color-scheme:dark){:root{--bg:#151517;--fg:#eee;--card:#222226;--line:#3a3a3f;--dim:#aaa}}
*{box-sizing:border-box}
body{margin:0;padding:16px 20px;font:14px/1.4 system-ui,sans-serif;background:var(--bg);color:var(--fg)}
h1{font-size:20px;margin:0 0 8px}
[hidden]{display:none!important}
.summary{display:flex;flex-wrap:wrap;gap:6px 18px;margin:0 0 8px;padding:0;list-style:none}
.summary b{font-size:16px}
.cost{margin:0 0 12px;color:var(--dim)}
.cost li{list-style:none}
.cost ul{margin:0;padding:0}
form{margin:0 0 12px;display:flex;gap:12px;align-items:center}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:12px}
.card{background:var(--card);border:1px solid var(--line);border-left-width:4px;border-radius:6px;
padding:10px;overflow-wrap:anywhere;min-width:0}
.card header{display:flex;justify-content:space-between;gap:8px;font-weight:600}
.st{font-weight:600;border-radius:10px;padding:0 8px;font-size:12px;white-space:nowrap}
.succeeded{border-left-color:#2e9d5b}.succeeded .st{background:#2e9d5b;color:#fff}
.failed{border-left-color:#d0453b}.failed .st{background:#d0453b;color:#fff}
.cancelled{border-left-color:#999}.cancelled .st{background:#999;color:#fff}
.pending,.sending,.waiting{border-left-color:#d9a43a}
.pending .st,.sending .st,.waiting .st{background:#d9a43a;color:#000}
.media{margin:8px 0;background:#111;border-radius:4px;min-height:24px}
.media img,.media video{display:block;width:100%;aspect-ratio:16/10;object-fit:contain}
.media audio{display:block;width:100%}
.prompt{white-space:pre-wrap;margin:6px 0}
.error{white-space:pre-wrap;margin:6px 0;color:#d0453b}
dl{display:grid;grid-template-columns:auto 1fr;gap:0 8px;margin:6px 0;font-size:12px}
dt{color:var(--dim)}dd{margin:0;white-space:pre-wrap}
.meta{font-size:12px;color:var(--dim);margin:6px 0 0}
code{font-size:12px}
""".strip()

SCRIPT = """
(function () {
  var form = document.getElementById("filters");
  var status = document.getElementById("f-status");
  var model = document.getElementById("f-model");
  var shown = document.getElementById("f-shown");
  var cards = document.querySelectorAll(".card");
  function apply() {
    var count = 0;
    for (var i = 0; i < cards.length; i++) {
      var card = cards[i];
      var keep = (!status.value || card.dataset.status === status.value) &&
        (!model.value || card.dataset.model === model.value);
      card.hidden = !keep;
      if (keep) count++;
    }
    shown.textContent = count + " shown";
  }
  status.addEventListener("change", apply);
  model.addEventListener("change", apply);
  form.hidden = false;
})();
""".strip()


def _digest(source: str) -> str:
    return base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()


# Only the page's own style and script run; images and media come from files (never http).
CSP = (
    "default-src 'none'; img-src 'self'; media-src 'self'; "
    f"style-src 'sha256-{_digest(STYLE)}'; script-src 'sha256-{_digest(SCRIPT)}'; "
    "base-uri 'none'; form-action 'none'"
)

_UNPRINTABLE = re.compile("[\x00\ud800-\udfff]")
_SPACE = re.compile(r"\s")


@dataclass(frozen=True, slots=True)
class PageSummary:
    """What the page says of the run as a whole: its title (the folder's name), when it started
    (the journal's creation, seconds since the epoch) and the cost estimate of its inputs."""

    title: str
    started_at: float | None = None
    cost: CostEstimate | None = None


def _text(value: object, limit: int = MAX_TEXT) -> str:
    """`value` as escaped text (at most `limit` characters shown, the rest counted)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    more = ""
    if len(text) > limit:
        more = f"… ({len(text) - limit:,} more characters)"
        text = text[:limit]
    return html.escape(_UNPRINTABLE.sub("\ufffd", text + more), quote=True)


def media_kind(file: str) -> str | None:
    """``image``, ``video`` or ``audio`` by the file's extension (None: something else)."""
    lower = file.lower()
    return next((kind for kind, ends in KINDS.items() if lower.endswith(ends)), None)


def relative_src(file: str) -> str | None:
    """`file` (a path relative to the output folder) as a relative URL, or None when it is not
    one: absolute, with a scheme or a drive, leaving the folder, or with a backslash."""
    if not file or "\\" in file or file.startswith("/") or ":" in file:
        return None
    parts = file.split("/")
    if any(part in ("", ".", "..") for part in parts) or _UNPRINTABLE.search(file):
        return None
    return quote(file, safe="/")


def _link(url: str | None) -> str | None:
    """An http(s) result URL, escaped for an attribute (None for anything else)."""
    if not url or _UNPRINTABLE.search(url) or _SPACE.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return html.escape(url, quote=True)


def _clock(moment: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(moment))


def _media(row: Row, number: int) -> str:
    src = relative_src(row.file) if row.file else None
    if src is None or row.file is None:
        return ""
    kind = media_kind(row.file)
    preload = "metadata" if number < EAGER else "none"
    if kind == "image":
        element = (
            f'<img src="{src}" alt="result of {_text(row.id)}" loading="lazy" decoding="async">'
        )
    elif kind == "video":
        element = f'<video src="{src}" controls preload="{preload}"></video>'
    elif kind == "audio":
        element = f'<audio src="{src}" controls preload="{preload}"></audio>'
    else:
        return f'<p class="meta">saved: <a href="{src}">{_text(row.file)}</a></p>'
    return f'<div class="media">{element}</div>'


def _params(params: Mapping[str, Any]) -> str:
    cells = "".join(
        f"<dt>{_text(name, 200)}</dt><dd>{_text(value)}</dd>"
        for name, value in params.items()
        if name != "prompt"
    )
    return f"<dl>{cells}</dl>" if cells else ""


def _meta(row: Row) -> str:
    parts = [_text(row.model), f"line {row.line}"]
    if row.sent_at is not None:
        parts.append(f"sent {_clock(row.sent_at)}")
    if row.ended_at is not None:
        took = ""
        if row.sent_at is not None and row.ended_at >= row.sent_at:
            took = f" ({format_duration(row.ended_at - row.sent_at)})"
        parts.append(f"ended {_clock(row.ended_at)}{took}")
    if row.generation_id:
        parts.append(f"generation <code>{_text(row.generation_id, 200)}</code>")
    href = _link(row.result_url)
    if href is not None:
        parts.append(f'<a href="{href}" rel="noreferrer noopener">result URL</a>')
    elif row.result_url:
        parts.append(f"result URL (not a web address): {_text(row.result_url, 200)}")
    return '<p class="meta">' + " · ".join(parts) + "</p>"


def _card(row: Row, number: int) -> str:
    state = row.state if row.state in LABELS else "pending"
    prompt = row.params.get("prompt")
    body = [
        f'<article class="card {state}" id="input-{row.seq}" data-status="{state}" '
        f'data-model="{_text(row.model, 10**6)}">',
        f'<header><span>{_text(row.id, 300)}</span><span class="st">{LABELS[state]}</span></header>',
        _media(row, number),
        f'<p class="prompt">{_text(prompt)}</p>' if isinstance(prompt, str) else "",
        _params(row.params),
        f'<p class="error">{_text(row.error)}</p>' if row.error else "",
        _meta(row),
        "</article>",
    ]
    return "".join(body)


def _summary(rows: Sequence[Row], summary: PageSummary) -> str:
    counts = {state: 0 for state in LABELS}
    for row in rows:
        counts[row.state if row.state in counts else "pending"] += 1
    items = [f"<li><b>{len(rows)}</b> inputs</li>"]
    items += [f"<li><b>{n}</b> {LABELS[s]}</li>" for s, n in counts.items() if n]
    moments = [m for r in rows for m in (r.sent_at, r.ended_at) if m is not None]
    if summary.started_at is not None:
        items.append(f"<li>started {_clock(summary.started_at)}</li>")
        if moments and max(moments) >= summary.started_at:
            last = max(moments)
            items.append(f"<li>last change {_clock(last)}</li>")
            items.append(f"<li>elapsed <b>{format_duration(last - summary.started_at)}</b></li>")
    return f'<ul class="summary">{"".join(items)}</ul>' + _cost(summary.cost)


def _cost(cost: CostEstimate | None) -> str:
    if cost is None or not cost.models:
        return ""
    lines = []
    for m in cost.models:
        if m.unknown == m.count:
            what = f"cost unknown ({_text(m.reason)})"
        elif m.unknown:
            what = f"${m.cost or 0:,.2f} for {m.count - m.unknown}; {m.unknown} unknown ({_text(m.reason)})"
        else:
            what = f"${m.cost or 0:,.2f}"
        lines.append(f"<li>{_text(m.model)}: {m.count} input(s), {what}</li>")
    note = "" if cost.complete else " (inputs without a price left out)"
    head = f"estimated cost <b>${cost.total:,.2f}</b>{note}, from the catalog's prices"
    return f'<div class="cost">{head}<ul>{"".join(lines)}</ul></div>'


def _options(values: Iterable[tuple[str, str]]) -> str:
    return "".join(
        f'<option value="{_text(v, 10**6)}">{_text(label)}</option>' for v, label in values
    )


def _filters(rows: Sequence[Row]) -> str:
    states = [s for s in LABELS if any(r.state == s for r in rows)]
    models = sorted({r.model for r in rows})
    return (
        '<form id="filters" hidden><label>status <select id="f-status"><option value="">all</option>'
        f"{_options((s, LABELS[s]) for s in states)}</select></label>"
        '<label>model <select id="f-model"><option value="">all</option>'
        f"{_options((m, m) for m in models)}</select></label>"
        f'<span id="f-shown">{len(rows)} shown</span></form>'
    )


def render(rows: Sequence[Row], summary: PageSummary) -> str:
    """The page of a run whose journal holds `rows` (in input order). A row's `file` is shown
    when it is a relative path inside the folder (the caller leaves out files that are gone)."""
    title = _text(f"Batch {summary.title}", 300)
    cards = "\n".join(_card(row, number) for number, row in enumerate(rows))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{STYLE}</style></head>\n"
        f"<body><h1>{title}</h1>\n{_summary(rows, summary)}\n{_filters(rows)}\n"
        f'<main class="cards">\n{cards}\n</main>\n<script>{SCRIPT}</script>\n</body></html>\n'
    )
