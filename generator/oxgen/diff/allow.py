"""The allow-list: known changes a team has decided to accept, each with a reason.

The file is JSON: a list of entries, or an object with such a list under ``"allow"``::

    [
      {"rule": "property-removed", "model": "luma-ray-2", "pointer": "/properties/loop",
       "reason": "loop was never honoured by the server; announced in 2.3"}
    ]

``rule`` and ``model`` are required (``"*"`` matches any), ``pointer`` is optional (absent: any
pointer in that model), ``reason`` is required and must not be empty. An accepted change is still
reported, marked accepted, and no longer counts toward ``--fail-on``; an entry that matches no
change is reported as an ``allow-entry-stale`` warning so allow-lists do not rot.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import inputs
from .. import snapshot as snap
from .rules import RULES, Change
from .sources import DiffError

_KEYS = {"rule", "model", "pointer", "reason"}


@dataclass(frozen=True)
class Entry:
    """One allow-list entry; `index` is its position in the file, for messages."""

    rule: str
    model: str
    pointer: str | None
    reason: str
    index: int

    def matches(self, item: Change) -> bool:
        return (
            self.rule in ("*", item.rule)
            and self.model in ("*", item.model)
            and (self.pointer is None or self.pointer == item.pointer)
        )

    def describe(self) -> str:
        pointer = "any pointer" if self.pointer is None else f"pointer {self.pointer or '(model)'}"
        return f"entry {self.index} (rule {self.rule}, model {self.model}, {pointer})"


def load(path: str) -> list[Entry]:
    """Read and check an allow-list file; every problem is a :class:`DiffError` naming the entry."""
    try:
        raw = inputs.read_bytes(Path(path))
    except inputs.InputFileError as exc:
        raise DiffError(f"cannot read allow-list: {exc}") from None
    try:
        data = snap.parse_json(snap.decode_text(raw, Path(path)), f"{path}: allow-list")
    except snap.SnapshotError as exc:
        raise DiffError(str(exc)) from None
    if isinstance(data, dict) and "allow" in data:
        data = data["allow"]
    if not isinstance(data, list):
        raise DiffError(f'{path}: an allow-list is a JSON list of entries (or {{"allow": [...]}})')
    return [_entry(raw, i, path) for i, raw in enumerate(data)]


def _entry(raw: Any, index: int, path: str) -> Entry:
    where = f"{path}: entry {index}"
    if not isinstance(raw, dict):
        raise DiffError(f"{where}: must be an object with rule, model, pointer and reason")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise DiffError(
            f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(_KEYS))})"
        )
    for key in ("rule", "model"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise DiffError(f'{where}: `{key}` is required (a string; "*" matches any)')
    rule = raw["rule"]
    if rule != "*" and (rule not in RULES or RULES[rule].kind == "meta"):
        raise DiffError(
            f"{where}: unknown rule {rule!r} (see docs/schema-diff.md for the rule ids)"
        )
    pointer = raw.get("pointer")
    if pointer is not None and (
        not isinstance(pointer, str) or (pointer and not pointer.startswith("/"))
    ):
        raise DiffError(
            f'{where}: `pointer` must be a JSON pointer such as "/properties/seed" (or "" for the model)'
        )
    reason = raw.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise DiffError(f"{where}: `reason` is required: say why this change is accepted")
    return Entry(rule, raw["model"], pointer, reason.strip(), index)


def apply(changes: list[Change], entries: list[Entry], path: str) -> list[Change]:
    """`changes` with the allowed ones marked accepted, plus one stale warning per unused entry."""
    used: set[int] = set()
    out: list[Change] = []
    for item in changes:
        entry = next((e for e in entries if e.matches(item)), None)
        if entry is not None:
            used.add(entry.index)
            item = dataclasses.replace(item, accepted=entry.reason)
        out.append(item)
    for entry in entries:
        if entry.index not in used:
            model = entry.model
            message = (
                f"{path}: allow-list {entry.describe()} matched no change: remove it or fix it"
            )
            out.append(
                Change(
                    model,
                    entry.pointer or "",
                    "allow-entry-stale",
                    RULES["allow-entry-stale"].level,
                    message,
                )
            )
    return sorted(out, key=Change.sort_key)
