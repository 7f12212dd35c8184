"""Turning judged changes into the four output formats, the summary, the semver hint and the
exit code. Pure: every function takes changes and returns text or numbers."""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .rules import LEVELS, RULES, Change, level_rank

# GitHub caps a pull-request body at 65,536 characters; stay well below with the markdown report.
MARKDOWN_LIMIT = 60_000
_FAIL_LEVELS: dict[str, set[str]] = {"breaking": {"breaking"}, "any": set(LEVELS), "never": set()}


@dataclass(frozen=True)
class Report:
    """Changes in report order, and what the reports say about the two sides."""

    changes: Sequence[Change]
    old_label: str
    new_label: str
    new_files: Mapping[str, str] = field(default_factory=dict)


def exit_code(changes: Sequence[Change], fail_on: str) -> int:
    """1 when an unaccepted change at or above `fail_on` is present, else 0."""
    levels = _FAIL_LEVELS[fail_on]
    return 1 if any(c.counts and c.level in levels for c in changes) else 0


def semver(changes: Sequence[Change]) -> str:
    """The release a client regenerated from NEW needs: major, minor, patch or none.

    Accepted changes still count (accepting a break does not make it compatible); allow-list
    housekeeping does not.
    """
    kinds = {RULES[c.rule].kind for c in changes if RULES[c.rule].kind != "meta"}
    if "breaking" in kinds:
        return "major"
    if kinds & {"behaviour", "additive"}:
        return "minor"
    return "patch" if "docs" in kinds else "none"


def summary(changes: Sequence[Change]) -> dict[str, int]:
    """Counts by level (accepted included), accepted, unaccepted breaking, and models touched."""
    by_level = Counter(c.level for c in changes)
    schema_changes = [c for c in changes if RULES[c.rule].kind != "meta"]
    added = {c.model for c in schema_changes if c.rule == "model-added"}
    removed = {c.model for c in schema_changes if c.rule == "model-removed"}
    return {
        "breaking": by_level["breaking"],
        "warning": by_level["warning"],
        "info": by_level["info"],
        "accepted": sum(1 for c in changes if not c.counts),
        "unaccepted_breaking": sum(1 for c in changes if c.counts and c.level == "breaking"),
        "models_added": len(added),
        "models_removed": len(removed),
        "models_changed": len({c.model for c in schema_changes} - added - removed),
    }


def _message(item: Change) -> str:
    return item.message + (f" [accepted: {item.accepted}]" if item.accepted else "")


def _detail(item: Change) -> str:
    """The message without its "model at pointer: " prefix (tables show those in columns)."""
    where = f"{item.model} at {item.pointer}: " if item.pointer else f"{item.model}: "
    return item.message.removeprefix(where)


def _headline(changes: Sequence[Change]) -> str:
    s = summary(changes)
    models = f"models: {s['models_added']} added, {s['models_removed']} removed, {s['models_changed']} changed"
    return (
        f"{s['breaking']} breaking, {s['warning']} warning, {s['info']} info "
        f"({s['accepted']} accepted); {models}; semver: {semver(changes)}"
    )


def render_json(report: Report) -> str:
    body: dict[str, Any] = {
        "changes": [
            {
                "model": c.model,
                "pointer": c.pointer,
                "rule": c.rule,
                "level": c.level,
                "message": _message(c),
            }
            for c in report.changes
        ],
        "summary": summary(report.changes),
        "semver": semver(report.changes),
    }
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def render_text(report: Report) -> str:
    lines = [f"oxgen diff {report.old_label} -> {report.new_label}"]
    if not report.changes:
        lines.append("no changes")
    for c in report.changes:
        tag = "ACCEPTED" if c.accepted else c.level.upper()
        lines.append(f"{tag:<9}{c.rule}: {_message(c)}")
    lines.append(_headline(report.changes))
    return "\n".join(lines) + "\n"


# --- markdown --------------------------------------------------------------------------------

_ICONS = {
    "breaking": ":red_circle: breaking",
    "warning": ":warning: warning",
    "info": ":information_source: info",
}


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell (no pipes, no line breaks, no stray HTML)."""
    return (
        text.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace("\r", " ")
        .replace("\n", " ")
    )


def _code(text: str) -> str:
    return f"`{text}`" if "`" not in text else f"``{text}``"


def _model_section(model: str, items: Sequence[Change]) -> str:
    counts = Counter(c.level for c in items)
    tally = ", ".join(f"{counts[lv]} {lv}" for lv in LEVELS if counts[lv])
    rows = ["| Level | Rule | Pointer | Change |", "|---|---|---|---|"]
    for c in items:
        level = _ICONS[c.level] + (" (accepted)" if c.accepted else "")
        detail = _cell(_detail(c)) + (f" **Accepted:** {_cell(c.accepted)}" if c.accepted else "")
        rows.append(f"| {level} | {_code(c.rule)} | {_code(c.pointer or '(model)')} | {detail} |")
    table = "\n".join(rows)
    if all(c.level == "info" for c in items):
        summary_line = f"<code>{html.escape(model)}</code>: {tally}"
        return f"<details><summary>{summary_line}</summary>\n\n{table}\n\n</details>\n"
    return f"#### {_code(model)}: {tally}\n\n{table}\n"


def render_markdown(report: Report) -> str:
    changes = report.changes
    s = summary(changes)
    out = [
        "## Schema changes",
        "",
        f"{_code(report.old_label)} -> {_code(report.new_label)}: suggested release **{semver(changes)}**",
        "",
        "| | Count |",
        "|---|---:|",
        f"| :red_circle: Breaking | {s['breaking']} |",
        f"| :warning: Warning | {s['warning']} |",
        f"| :information_source: Info | {s['info']} |",
        f"| Accepted (allow-list) | {s['accepted']} |",
        f"| Models added | {s['models_added']} |",
        f"| Models removed | {s['models_removed']} |",
        f"| Models changed | {s['models_changed']} |",
        "",
    ]
    if not changes:
        out.append("No changes.\n")
        return "\n".join(out)
    if s["unaccepted_breaking"]:
        out.append(
            f"**{s['unaccepted_breaking']} breaking change(s) not accepted by the allow-list.**\n"
        )
    groups: dict[str, list[Change]] = {}
    for c in changes:
        groups.setdefault(c.model, []).append(c)
    ordered = sorted(
        groups.items(), key=lambda kv: (min(level_rank(c.level) for c in kv[1]), kv[0])
    )
    text = "\n".join(out)
    for shown, (model, items) in enumerate(ordered):
        section = _model_section(model, sorted(items, key=Change.sort_key))
        if len(text) + len(section) > MARKDOWN_LIMIT:
            rest = sum(len(i) for _, i in ordered[shown:])
            text += f"\n_... {rest} more change(s) in {len(ordered) - shown} model(s) not shown; run `oxgen diff` for the full list._\n"
            break
        text += "\n" + section
    return text


# --- GitHub workflow commands ----------------------------------------------------------------

_COMMANDS = {"breaking": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    """A workflow command's message, escaped the way the Actions runner unescapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command property value (title, file): data escaping plus ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report) -> str:
    lines = []
    for c in report.changes:
        command = "notice" if c.accepted else _COMMANDS[c.level]
        props = []
        if c.model in report.new_files:
            props.append(f"file={escape_property(report.new_files[c.model])}")
        title = f"oxgen diff: {c.rule}" + (" (accepted)" if c.accepted else "")
        props.append(f"title={escape_property(title)}")
        lines.append(f"::{command} {','.join(props)}::{escape_data(_message(c))}")
    lines.append(
        f"::notice title={escape_property('oxgen diff summary')}::{escape_data(_headline(report.changes))}"
    )
    return "\n".join(lines) + "\n"


RENDERERS = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
    "github": render_github,
}
