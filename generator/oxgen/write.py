"""The last stage of `oxgen generate`: format the rendered files, then write or compare them.

Rendered files are staged in a folder beside ``--out`` (so moving one in is a rename; a throwaway
one for ``--check``, which writes nothing under ``--out``) and formatted there in background
batches while rendering goes on. Then each staged file is compared with the one in place: equal
files are left alone, changed ones are moved in (or, under ``--check``, reported as drift), and
generated files that no longer belong to the package are removed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from oxgen import cache
from oxgen.cache import FileRecord, Job
from oxgen.format import FormatError, Formatter


class WriteError(Exception):
    """A file could not be formatted or would land outside ``--out``; the message is for the user."""


@dataclass
class Outcome:
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    drift: list[str] = field(default_factory=list)
    # per written or compared path: what the cache records about it (not under --check)
    records: dict[str, FileRecord] = field(default_factory=dict)


def safe_target(out: Path, rel: str) -> Path:
    target = (out / rel).resolve()
    root = out.resolve()
    if root != target and root not in target.parents:
        raise WriteError(f"refusing to write {rel!r}: it would leave {out}")
    return target


def write(
    out: Path,
    roots: Collection[str],
    todo: Iterable[Job],
    expected: Collection[str],
    *,
    check: bool,
) -> Outcome:
    """Render, format and write (or compare) every file of `todo`; remove generated files under
    ``out/<root>`` (for each of `roots`) that are not in `expected`."""
    outcome = Outcome()
    with contextlib.ExitStack() as stack:
        if check:
            stage = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="oxgen-check-")))
        else:
            (out / cache.CACHE_DIR).mkdir(
                parents=True, exist_ok=True
            )  # one per run: runs never share
            stage = Path(tempfile.mkdtemp(prefix="stage-", dir=out / cache.CACHE_DIR))
            stack.callback(shutil.rmtree, stage, True)
        formatter = Formatter(stage)
        stack.callback(formatter.close)  # before the stage goes: no ruff left writing into it
        jobs = {job.path: job for job in todo}
        targets = {path: safe_target(out, path) for path in sorted(jobs)}
        try:
            for path in targets:
                formatter.add(path, jobs[path].render())
            formatter.finish()
        except FormatError as exc:
            raise WriteError(str(exc)) from None
        stale = cache.stale(out, roots, expected)
        made: set[Path] = set()
        for path, target in targets.items():
            staged = stage / path
            try:
                same = target.read_bytes() == staged.read_bytes()
            except OSError:
                same = False
            if same:
                outcome.unchanged += 1
            elif check:
                outcome.drift.append(path)
            else:
                if target.parent not in made:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    made.add(target.parent)
                os.replace(staged, target)
                outcome.written += 1
            if not check:
                job = jobs[path]
                outcome.records[path] = FileRecord(job.inputs, cache.stat(target), job.text)
    if check:
        outcome.drift.extend(stale)
        return outcome
    for path in stale:
        (out / path).unlink()
        outcome.removed += 1
    return outcome
