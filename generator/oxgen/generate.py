"""`oxgen generate`: load -> compile to IR -> render -> format -> write or compare.

This module only sequences the stages: :mod:`oxgen.cache` decides what can be skipped,
:mod:`oxgen.compile` and :mod:`oxgen.render` make the files, :mod:`oxgen.write` formats them and
writes or compares. `--check` never trusts the cache: it compiles and renders everything and
compares bytes.

A run that is not a check compiles only the models whose inputs changed (or whose files changed
on disk); the files that list every model are rendered from each model's summary, taken from the
cache for the others, and are skipped too when no summary changed.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oxgen import cache, naming, releases, render
from oxgen.ir import ModelSummary, Problem
from oxgen.snapshot import SnapshotError, load
from oxgen.templates import TemplateError, Templates

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
    compiled: int = 0  # models compiled in this run (the others came from the cache)


def output_roots(package: str) -> set[str]:
    """The top-level folders under ``--out`` that hold generated files (stale ones are removed)."""
    tops = {pattern.split("/", 1)[0] for pattern, _ in render.PER_MODEL.values()}
    return {package} | {top.format(package=package) for top in tops}


def _fresh(entry: Any, fp: str, path: str) -> bool:
    """Whether the cache entry of a file says it was made from `fp` and is unchanged on disk."""
    return (
        isinstance(entry, dict)
        and entry.get("inputs") == fp
        and entry.get("stat") == cache.stat(path)
    )


def catalog_fingerprint(base: str, inputs: dict[str, Any]) -> str:
    """A hash of what the catalog-wide files are made from (:func:`render.catalog_inputs`)."""
    parts = [base]
    for key in sorted(inputs):
        value = inputs[key]
        if key == "releases":
            value = [r.to_json() for r in value]
        elif key == "models":
            value = [v.to_json() for v in value]
        elif key == "problems":
            value = [vars(v) for v in value]
        parts += [key, json.dumps(value, sort_keys=True, default=vars)]
    return cache.sha(*parts)


def run(
    src: str | os.PathLike[str],
    out: Path,
    *,
    package: str = "oxen_inference",
    check: bool = False,
    templates: Path | None = None,
) -> Result:
    # Compiled templates are kept in the cache folder (never under --check, which writes nothing).
    tree = Templates(templates, None if check else out / cache.CACHE_DIR / "jinja")
    try:
        snapshot = load(src)
        history = releases.read(Path(src))
        names = naming.model_names(m["id"] for m in snapshot.models)
        per_model, whole = cache.fingerprints(
            snapshot, package, tree, names, releases.dumps(history)
        )
    except (SnapshotError, TemplateError) as exc:
        raise GenerateError(str(exc)) from None
    roots = output_roots(package)
    state = {} if check else cache.read_state(out)
    if not check:
        done = cache.up_to_date(out, package, roots, state, whole)
        if done is not None:
            return Result(
                model_count=done.model_count,
                file_count=done.file_count,
                unchanged=done.file_count,
                problems=done.problems,
            )

    from oxgen.compile import compile_package
    from oxgen.write import WriteError, write

    same_package = state.get("package") == package
    cached_files: dict[str, Any] = state.get("files", {}) if same_package else {}
    cached_models: dict[str, Any] = state.get("models", {}) if same_package else {}
    reused: dict[str, dict[str, Any]] = {}
    prefix = os.path.join(out, "")
    for model_id, fp in per_model.items():
        entry = cached_models.get(model_id)
        if (
            isinstance(entry, dict)
            and entry.get("fp") == fp
            and all(_fresh(cached_files.get(p), fp, prefix + p) for p in entry.get("outputs", []))
        ):
            reused[model_id] = entry
    old: dict[str, tuple[ModelSummary | None, tuple[Problem, ...]]] = {}
    for model_id, e in list(reused.items()):
        try:  # a cache entry that does not read back is recompiled, never trusted
            summary = ModelSummary.from_json(e["summary"]) if e.get("summary") else None
            old[model_id] = (summary, tuple(Problem(**p) for p in e.get("problems", [])))
        except (TypeError, KeyError, AttributeError):
            del reused[model_id]
    try:
        only = set(per_model) - set(reused)
        ir = compile_package(snapshot, package, history, only=only, names=names)
    except ValueError as exc:
        raise GenerateError(str(exc)) from None
    compiled = {m.model_id: m for m in ir.models}
    summaries: list[ModelSummary] = []
    problems: list[Problem] = []
    model_state: dict[str, dict[str, Any]] = {}
    for raw in snapshot.models:
        model_id = raw["id"]
        if model_id in old:
            summary, mine = old[model_id]
        else:
            full = compiled.get(model_id)
            summary = full.summary if full else None
            mine = tuple(p for p in ir.problems if p.model_id == model_id)
        if summary is not None:
            summaries.append(summary)
        problems.extend(mine)
        model_state[model_id] = {
            "fp": per_model[model_id],
            "summary": summary.to_json() if summary else None,
            "problems": [vars(p) for p in mine],
            "outputs": sorted(render.model_outputs(summary, package).values()) if summary else [],
        }

    base = cache.generator_fingerprint(tree)
    inputs = render.catalog_inputs(package, tuple(summaries), tuple(problems), ir.releases)
    catalog_fp = catalog_fingerprint(base, inputs)
    jobs: dict[str, tuple[str, Callable[[], str]]] = {}
    for path, job in render.runtime_jobs(package, tree):
        jobs[path] = (cache.sha(base, package), job)
    for path, job in render.catalog_jobs(
        package, functools.partial(render.with_derived, inputs), tree
    ):
        jobs[path] = (catalog_fp, job)
    for model in ir.models:
        for path, job in render.model_jobs(model, package, tree):
            jobs[path] = (per_model[model.model_id], job)
    expected = set(jobs) | {p for e in reused.values() for p in e.get("outputs", [])}
    todo = {p: j for p, j in jobs.items() if not _fresh(cached_files.get(p), j[0], prefix + p)}
    # A catalog-wide file whose context changed may still render the same text (most of them do
    # not list anything a given change touches): rendered now, and formatted only if its text
    # differs from what the cache saw last time.
    kept: dict[str, dict[str, Any]] = {}
    texts: dict[str, str] = {}
    for path, (fp, job) in list(todo.items()):
        if fp != catalog_fp or check:
            continue
        text = job()
        texts[path] = cache.sha(text)
        entry = cached_files.get(path)
        if (
            isinstance(entry, dict)
            and entry.get("text") == texts[path]
            and entry.get("stat") == cache.stat(prefix + path)
        ):
            kept[path] = {**entry, "inputs": fp}
            del todo[path]
            continue
        todo[path] = (fp, functools.partial(str, text))
    result = Result(
        model_count=sum(s.has_schema for s in summaries),
        file_count=len(expected),
        unchanged=len(expected) - len(todo),
        problems=tuple(problems),
        compiled=len(set(per_model) - set(reused)),
    )

    try:
        outcome = write(out, roots, todo, expected, check=check)
    except WriteError as exc:
        raise GenerateError(str(exc)) from None
    result.written, result.removed, result.drift = outcome.written, outcome.removed, outcome.drift
    result.unchanged += outcome.unchanged
    if check:
        return result
    for path, text_sha in texts.items():
        if path in outcome.state:
            outcome.state[path]["text"] = text_sha
    files = {p: cached_files[p] for p in expected if p not in todo} | kept | outcome.state
    cache.save_state(
        out,
        {
            "package": package,
            "whole": whole,
            "model_count": result.model_count,
            "problems": [vars(p) for p in result.problems],
            "files": files,
            "models": model_state,
        },
    )
    return result
