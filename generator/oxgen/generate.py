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
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oxgen import cache, distribution, naming, releases, render, routes
from oxgen.distribution import Distribution
from oxgen.ir import ModelNames, PackageIR, Problem, Release
from oxgen.snapshot import Snapshot, SnapshotError, load
from oxgen.templates import TemplateError, Templates

# The compiler, Jinja (see render.environment) and the formatter are imported only when something
# has to be rendered, so that a run with nothing to do costs little more than reading the snapshot
# and the cache.


class GenerateError(Exception):
    """Bad input or a failure that stops generation; the message is for the user."""


@dataclass
class Result:
    model_count: int = 0  # models with a request schema (typed classes and methods)
    counts: routes.Counts = field(default_factory=lambda: routes.Counts(0, 0, 0, ""))
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


@dataclass(frozen=True)
class Inputs:
    """What a run is made from: the snapshot, its ledger, every model's names, fingerprints."""

    snapshot: Snapshot
    history: tuple[Release, ...]
    dist: Distribution  # the distribution's metadata, from [tool.oxgen.client]
    names: dict[str, ModelNames]
    per_model: dict[str, str]  # model id -> fingerprint of everything its files are made from
    whole: str  # fingerprint of everything the package is made from


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
    inputs = read_inputs(src, out, package, tree)
    roots = output_roots(package)
    state = cache.State() if check else cache.read_state(out, package)
    if not check and cache.up_to_date(out, roots, state, inputs.whole):
        count = len(state.files)
        return Result(
            state.model_count, state.counts, count, unchanged=count, problems=state.problems
        )
    plan = cache.plan_models(state, inputs.per_model, out)
    ir = _compile(inputs, package, plan.compile, tree)
    records = model_records(inputs, plan, ir, package)
    summaries = tuple(r.summary for r in records.values() if r.summary is not None)
    problems = tuple(p for r in records.values() for p in r.problems)
    base = cache.generator_fingerprint(tree)
    catalog = render.catalog_inputs(package, summaries, problems, ir.releases, inputs.dist)
    catalog_fp = cache.catalog_fingerprint(base, catalog)
    files = cache.plan_files(
        state,
        jobs(package, tree, base, catalog, catalog_fp, ir, inputs.per_model),
        (path for r in plan.reused.values() for path in r.outputs),
        out,
        catalog_inputs=catalog_fp,
        check=check,
    )
    from oxgen.write import WriteError, write

    try:
        outcome = write(out, roots, files.todo, files.expected, check=check)
    except WriteError as exc:
        raise GenerateError(str(exc)) from None
    result = Result(
        model_count=sum(s.has_schema for s in summaries),
        counts=routes.count_models((s.has_schema, s.route) for s in summaries),
        file_count=len(files.expected),
        written=outcome.written,
        unchanged=len(files.expected) - len(files.todo) + outcome.unchanged,
        removed=outcome.removed,
        drift=outcome.drift,
        problems=problems,
        compiled=len(plan.compile),
    )
    if not check:
        files_now = {**files.kept, **outcome.records}
        cache.save_state(
            out,
            cache.State.of(
                package,
                inputs.whole,
                result.model_count,
                problems,
                files_now,
                records,
                result.counts,
            ),
        )
    return result


def read_inputs(src: str | os.PathLike[str], out: Path, package: str, tree: Templates) -> Inputs:
    """The snapshot and its ledger, the distribution settings for `out`, every model's names, and
    what each output is made from."""
    try:
        snapshot = load(src)
        history = releases.read(Path(src))
        dist = distribution.decide(distribution.load(out), history)
        names = naming.model_names(m["id"] for m in snapshot.models)
        extra = releases.dumps(history) + json.dumps(dist.to_json(), sort_keys=True)
        per_model, whole = cache.fingerprints(snapshot, package, tree, names, extra)
    except (SnapshotError, TemplateError, distribution.SettingsError) as exc:
        raise GenerateError(str(exc)) from None
    return Inputs(snapshot, history, dist, names, per_model, whole)


def _compile(inputs: Inputs, package: str, only: Collection[str], tree: Templates) -> PackageIR:
    from oxgen.compile import compile_package

    try:
        return compile_package(
            inputs.snapshot, package, inputs.history, only=only, names=inputs.names, templates=tree
        )
    except ValueError as exc:
        raise GenerateError(str(exc)) from None


def model_records(
    inputs: Inputs, plan: cache.ModelPlan, ir: PackageIR, package: str
) -> dict[str, cache.ModelRecord]:
    """What the cache will know of each model, in the snapshot's order: the records of the
    models reused, new ones for those compiled now."""
    compiled = {m.model_id: m for m in ir.models}
    records: dict[str, cache.ModelRecord] = {}
    for raw in inputs.snapshot.models:
        model_id = raw["id"]
        if model_id in plan.reused:
            records[model_id] = plan.reused[model_id]
            continue
        model = compiled.get(model_id)
        summary = model.summary if model is not None else None
        outputs = render.model_outputs(summary, package).values() if summary else ()
        records[model_id] = cache.ModelRecord(
            inputs.per_model[model_id],
            summary,
            tuple(p for p in ir.problems if p.model_id == model_id),
            tuple(sorted(outputs)),
        )
    return records


def jobs(
    package: str,
    tree: Templates,
    base: str,
    catalog: dict[str, Any],
    catalog_fp: str,
    ir: PackageIR,
    per_model: dict[str, str],
) -> list[cache.Job]:
    """Every file this run may make, with the fingerprint of what it is made from: the runtime
    modules (the generator alone), the catalog-wide files (their context), the compiled models'
    files (each model's inputs)."""
    made = [
        cache.Job(path, cache.sha(base, package), job)
        for path, job in render.runtime_jobs(package, tree)
    ]
    context = functools.partial(render.with_derived, catalog)
    made += [
        cache.Job(path, catalog_fp, job)
        for path, job in render.catalog_jobs(package, context, tree)
    ]
    for model in ir.models:
        made += [
            cache.Job(path, per_model[model.model_id], job)
            for path, job in render.model_jobs(model, package, tree)
        ]
    return made
