"""The generated client's own version and changelog, kept beside the snapshot it was made from.

``releases.json`` in the snapshot folder is the ledger, newest release first. Each release has a
version, the date it was recorded, the semantic-version verdict of ``oxgen diff`` that produced
it, the number of models, and the changes by level. Whenever a command replaces the snapshot
(``oxgen fetch``, ``oxgen snapshot``) the new content is compared with the old one by the schema
diff; when anything changed, a release is added with the version bumped by the verdict.
``oxgen generate`` only reads the ledger (``_version.py``, the distribution's version,
``CHANGELOG.md``), so generation stays a pure function of the snapshot folder.

Version policy (documented in the README):

- before 1.0 (``0.MINOR.PATCH``): a breaking change bumps MINOR (``0.3.1`` -> ``0.4.0``); any
  other change bumps PATCH (``0.3.1`` -> ``0.3.2``), as is usual for pre-1.0 packages;
- from 1.0 on: major, minor or patch, exactly as the diff's verdict says.

Going to 1.0 is a decision of the SDK team: edit the newest release's version in the ledger.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from oxgen import snapshot as snap
from oxgen.ir import INITIAL_VERSION, LEVELS, Entry, Release, current_version

__all__ = [
    "INITIAL_VERSION",
    "LEDGER",
    "LEVELS",
    "Entry",
    "Release",
    "bump",
    "count_models",
    "current_version",
    "dumps",
    "parse",
    "read",
    "record",
    "with_ledger",
]

LEDGER = snap.LEDGER
_VERSION = re.compile(r"(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})")


def bump(version: str, verdict: str) -> str:
    """The next version after `version` for a change the diff judged `verdict`."""
    match = _VERSION.fullmatch(version)
    if match is None:
        raise ValueError(f"version {version!r} is not MAJOR.MINOR.PATCH")
    major, minor, patch = (int(g) for g in match.groups())
    if verdict == "none":
        return version
    if major == 0:
        return f"0.{minor + 1}.0" if verdict == "major" else f"0.{minor}.{patch + 1}"
    if verdict == "major":
        return f"{major + 1}.0.0"
    if verdict == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def _release(raw: Any, where: str) -> Release:
    if not isinstance(raw, dict):
        raise snap.SnapshotError(f"{where}: a release must be an object")
    version, date, verdict = raw.get("version"), raw.get("date"), raw.get("semver")
    if not isinstance(version, str) or _VERSION.fullmatch(version) is None:
        raise snap.SnapshotError(f"{where}: `version` must be MAJOR.MINOR.PATCH, got {version!r}")
    if not isinstance(date, str) or not isinstance(verdict, str):
        raise snap.SnapshotError(f"{where}: `date` and `semver` must be strings")
    models = raw.get("models", 0)
    if not isinstance(models, int) or isinstance(models, bool) or models < 0:
        raise snap.SnapshotError(f"{where}: `models` must be a count")
    changes_raw = raw.get("changes", {})
    if not isinstance(changes_raw, dict):
        raise snap.SnapshotError(f"{where}: `changes` must be an object keyed by level")
    changes: dict[str, tuple[Entry, ...]] = {}
    for level in LEVELS:
        items = changes_raw.get(level, [])
        if not isinstance(items, list) or not all(
            isinstance(i, dict)
            and all(isinstance(i.get(k), str) for k in ("model", "rule", "message"))
            for i in items
        ):
            raise snap.SnapshotError(f"{where}: `changes.{level}` must list model/rule/message")
        changes[level] = tuple(Entry(i["model"], i["rule"], i["message"]) for i in items)
    return Release(version, date, verdict, models, changes)


def parse(text: str, where: str) -> tuple[Release, ...]:
    data = snap.parse_json(text, where)
    if not isinstance(data, dict) or not isinstance(data.get("releases"), list):
        raise snap.SnapshotError(f"{where}: not a release ledger (no `releases` list)")
    return tuple(_release(r, f"{where}: releases[{i}]") for i, r in enumerate(data["releases"]))


def dumps(releases: Sequence[Release]) -> str:
    return snap.dumps({"releases": [r.to_json() for r in releases]})


def read(src: str | Path) -> tuple[Release, ...]:
    """The ledger of a snapshot folder; empty for a catalog file or a folder without one."""
    path = Path(src) / LEDGER
    if not Path(src).is_dir() or not os.path.lexists(path):
        return ()
    return parse(snap.decode_text(snap.read_file(path, Path(src)), path), str(path))


def record(
    old: snap.Snapshot | None,
    new: snap.Snapshot,
    releases: Sequence[Release],
    *,
    today: datetime.date | None = None,
) -> tuple[Release, ...]:
    """The ledger after the snapshot went from `old` (None: there was none) to `new`."""
    date = (today or datetime.date.today()).isoformat()
    none: dict[str, tuple[Entry, ...]] = {level: () for level in LEVELS}
    if old is None:
        if not releases:
            return (Release(INITIAL_VERSION, date, "initial", count_models(new), none),)
        # A history without a readable previous snapshot: nothing can be judged, so the change
        # is taken as breaking, which is never wrong for users.
        unjudged = Entry(
            "*",
            "previous-snapshot-unreadable",
            "the previous snapshot could not be read; changes were not judged",
        )
        by_level = {**none, "breaking": (unjudged,)}
        return (
            Release(
                bump(current_version(releases), "major"), date, "major", count_models(new), by_level
            ),
            *releases,
        )
    if not releases:  # a snapshot from before the ledger existed: it becomes the first release
        releases = (Release(INITIAL_VERSION, date, "initial", count_models(old), none),)
    # The diff engine loads only when a ledger is recorded (fetch, snapshot), never in generate.
    from oxgen.diff import compare
    from oxgen.diff.report import semver

    changes = compare(old, new)
    verdict = semver(changes)
    if verdict == "none":
        return tuple(releases)
    by_level = {
        level: tuple(Entry(c.model, c.rule, c.message) for c in changes if c.level == level)
        for level in LEVELS
    }
    models = count_models(new)
    release = Release(bump(current_version(releases), verdict), date, verdict, models, by_level)
    return (release, *releases)


def count_models(snapshot: snap.Snapshot) -> int:
    return sum(1 for m in snapshot.models if m.get("request_schema") is not None)


def with_ledger(
    out: Path,
    new: snap.Snapshot,
    files: Mapping[str, str],
    *,
    today: datetime.date | None = None,
) -> dict[str, str]:
    """`files` (a snapshot about to replace `out`) plus the ledger that records the change.

    A release is dated the day it is recorded (`today`, default the local date): a snapshot
    fetched into an empty folder starts its history with an initial release of that day.
    """
    old: snap.Snapshot | None = None
    releases: tuple[Release, ...] = ()
    if (out / snap.MANIFEST).is_file():
        try:
            old = snap.from_folder(out, verify=False)
        except snap.SnapshotError:
            old = None  # unreadable: the new snapshot starts the history afresh
        releases = read(out)
    return {**files, LEDGER: dumps(record(old, new, releases, today=today))}
