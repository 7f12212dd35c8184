"""`oxgen generate`: load -> compile to IR -> render -> format -> write or compare.

This module only sequences the stages: :mod:`oxgen.cache` decides what can be skipped,
:mod:`oxgen.compile` and :mod:`oxgen.render` make the files, :mod:`oxgen.write` formats them and
writes or compares. `--check` never trusts the cache: it renders everything and compares bytes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oxgen import cache, releases, render
from oxgen.ir import Problem
from oxgen.snapshot import SnapshotError, load

# The compiler, Jinja (see render.environment) and the formatter are imported only when something
# has to be rendered, so that a run with nothing to do costs little more than reading the snapshot
# and the cache.


class GenerateError(Exception):
    """Bad input or a failure that stops generation; the message is for the user."""


@dataclass
class Result:
    model_count: int = 0
    file_count: int = 0
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    drift: list[str] = field(default_factory=list)
    problems: tuple[Problem, ...] = ()


def run(
    src: str | os.PathLike[str], out: Path, *, package: str = "oxen_inference", check: bool = False
) -> Result:
    try:
        snapshot = load(src)
        history = releases.read(Path(src))
    except SnapshotError as exc:
        raise GenerateError(str(exc)) from None
    per_model, whole = cache.fingerprints(snapshot, package, releases.dumps(history))
    state = {} if check else cache.read_state(out)
    if not check:
        done = cache.up_to_date(out, package, state, whole)
        if done is not None:
            return Result(
                model_count=done.model_count,
                file_count=done.file_count,
                unchanged=done.file_count,
                problems=done.problems,
            )

    from oxgen.compile import compile_package
    from oxgen.write import WriteError, write

    try:
        ir = compile_package(snapshot, package, history)
    except ValueError as exc:
        raise GenerateError(str(exc)) from None
    jobs: dict[str, tuple[str, Callable[[], str]]] = {}
    by_path = {render.model_path(m, package): m.model_id for m in ir.models if m.has_schema}
    for path, job in render.render_jobs(ir):
        jobs[path] = (per_model[by_path[path]] if path in by_path else whole, job)
    result = Result(
        model_count=sum(m.has_schema for m in ir.models), file_count=len(jobs), problems=ir.problems
    )

    cached_files: dict[str, Any] = state.get("files", {}) if state.get("package") == package else {}
    todo = {}
    for path, (fp, job) in jobs.items():
        entry = cached_files.get(path)
        if entry and entry.get("inputs") == fp and entry.get("stat") == cache.stat(out / path):
            result.unchanged += 1
        else:
            todo[path] = (fp, job)

    try:
        outcome = write(out, package, todo, jobs, check=check)
    except WriteError as exc:
        raise GenerateError(str(exc)) from None
    result.written, result.removed, result.drift = outcome.written, outcome.removed, outcome.drift
    result.unchanged += outcome.unchanged
    if check:
        return result
    files = {p: cached_files[p] for p in jobs if p not in todo} | outcome.state
    cache.save_state(
        out,
        {
            "package": package,
            "whole": whole,
            "model_count": result.model_count,
            "problems": [vars(p) for p in result.problems],
            "files": files,
        },
    )
    return result
