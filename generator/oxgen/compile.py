"""Snapshot -> :class:`~oxgen.ir.PackageIR` (pure): names, routes and request classes for every model."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from typing import Any

from oxgen import controls, naming, routes
from oxgen.classes import ModelCompiler
from oxgen.ir import (
    ClassIR,
    ImportIR,
    MethodIR,
    ModelIR,
    ModelNames,
    ModelSummary,
    PackageIR,
    Problem,
    Release,
)
from oxgen.literals import plain, py_literal
from oxgen.normalise import normalise
from oxgen.patterns import Patterns
from oxgen.scan import CompileError
from oxgen.snapshot import Snapshot
from oxgen.templates import Templates

_PACKAGE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_package_name(package: str) -> None:
    import keyword

    if not _PACKAGE_NAME.fullmatch(package) or keyword.iskeyword(package):
        raise ValueError(f"--package {package!r} is not a valid Python package name")


def compile_package(
    snapshot: Snapshot,
    package: str,
    releases: tuple[Release, ...] = (),
    *,
    only: Collection[str] | None = None,
    names: Mapping[str, ModelNames] | None = None,
    templates: Templates | None = None,
) -> PackageIR:
    """Every model of the snapshot (or the ids in `only`: names are still assigned over the whole
    snapshot, so a model compiles the same alone or with the rest). `names`: the snapshot's
    names (:func:`oxgen.naming.model_names`), when the caller has them; `templates`: the run's
    templates (patterns are accepted by the rules of their ``_ecma`` module)."""
    check_package_name(package)
    rules = Patterns(templates) if templates is not None else None
    if names is None:
        names = naming.model_names(m["id"] for m in snapshot.models)
    models: list[ModelIR] = []
    problems: list[Problem] = []
    for model in snapshot.models:
        model_id = model["id"]
        if only is not None and model_id not in only:
            continue
        summary = summarise(model, names[model_id])
        schema = model.get("request_schema")
        if schema is None:
            models.append(ModelIR(summary))
            continue
        compiler = ModelCompiler(normalise(schema), summary.class_name, names[model_id].stem, rules)
        try:
            classes = compiler.compile()
        except CompileError as exc:
            problems.append(Problem(model_id, exc.pointer, exc.reason))
            continue
        except RecursionError:
            problems.append(Problem(model_id, "", "schema nested too deeply to compile"))
            continue
        root = py_literal(compiler.check_root) if compiler.needs_root else None
        imports, type_imports = _imports(classes, summary.methods)
        models.append(
            ModelIR(
                summary,
                classes=tuple(classes),
                root_literal=root,
                schema_json=json.dumps(compiler.root, separators=(",", ":"), ensure_ascii=True),
                imports=imports,
                type_imports=type_imports,
            )
        )
    return PackageIR(
        package=package,
        models=tuple(models),
        problems=tuple(problems),
        releases=releases,
    )


def summarise(model: dict[str, Any], names: ModelNames) -> ModelSummary:
    """What every catalog-wide file knows of a model: names, routes and its client methods."""
    route = routes.route_for(model)
    media = routes.QUEUE_MEDIA.get(route or "")
    return ModelSummary(
        model_id=model["id"],
        module=names.module,
        class_name=names.class_name,
        generate_method=names.generate_method,
        submit_method=names.submit_method,
        alias=names.alias,
        route=route,
        media=media,
        display_name=plain(model.get("display_name")) or model["id"],
        description=plain(model.get("description")),
        has_schema=model.get("request_schema") is not None,
        methods=controls.model_methods(names.generate_method, names.submit_method, route, media),
        pricing=_pricing(model.get("pricing")),
    )


def _pricing(pricing: Any) -> str:
    """The catalog's pricing of a model as one canonical JSON text, "" when it has none (the
    client's cost estimates read it; nothing is inferred here)."""
    if not isinstance(pricing, dict) or not pricing:
        return ""
    return json.dumps(pricing, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _imports(
    classes: list[ClassIR], methods: tuple[MethodIR, ...]
) -> tuple[tuple[ImportIR, ...], tuple[ImportIR, ...]]:
    """What a model module imports, from the names its classes and methods were recorded to use
    (never found by reading the type expressions back)."""
    fields = [f for c in classes for f in c.fields]
    uses: set[str] = {"RequestModel"}
    for c in classes:
        uses |= c.extra_uses
        if c.extra_type:
            uses.add("Field")
        if c.extra == "forbid":
            uses.add("ConfigDict")
        if c.check:
            uses |= {"model_validator", "_js"}
    for f in fields:
        uses |= f.uses
        if f.field_default == "MISSING":
            uses |= {"MISSING", "Missing"}
        if f.field_default is not None or f.name != f.alias or f.description:
            uses.add("Field")
    type_uses: set[str] = set()
    if methods:
        uses |= {"_typing", "Omit", "OMIT"}  # every method has omittable arguments
        for method in methods:
            for control in controls.controls_for(method.kind):
                uses |= set(control.uses)
        for f in classes[0].fields:
            if f.param is not None:
                uses |= f.param.uses
        type_uses |= {"SyncOxenBase", "Timeout", *(m.returns for m in methods)}
    unknown = uses - {b.bound for b in naming.MODULE_BINDINGS}
    if unknown:  # a type expression used a name no module import provides
        raise AssertionError(f"names without an import: {sorted(unknown)}")
    runtime = import_lines([b for b in naming.MODULE_BINDINGS if b.bound in uses])
    types = import_lines([b for b in naming.MODULE_TYPE_BINDINGS if b.bound in type_uses])
    return runtime, types


def import_lines(bindings: list[naming.Binding]) -> tuple[ImportIR, ...]:
    """Import statements for `bindings`, as ruff's isort writes them: by section, ``import``
    lines first, then ``from`` lines by module; one line per module, but a name imported under
    an alias on a line of its own; names in isort's order (constants, classes, then the rest)."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for b in bindings:
        if not b.source:
            grouped[(f"{b.name} as {b.alias}", "")] = []
        elif b.alias:
            grouped[(b.source, b.name)] = [f"{b.name} as {b.alias}"]
        else:
            grouped.setdefault((b.source, ""), []).append(b.name)
    lines = [
        ImportIR(source, tuple(sorted(names, key=_member_key)), _section(source))
        for (source, _), names in grouped.items()
    ]
    return tuple(sorted(lines, key=_isort_key))


def _member_key(name: str) -> tuple[int, str]:
    return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)


def _section(source: str) -> int:
    """isort's sections: 0 the standard library, 1 third party, 2 the package itself."""
    return 2 if source.startswith(".") else 1 if source == "pydantic" else 0


def _isort_key(imp: ImportIR) -> tuple[int, int, str, tuple[str, ...]]:
    """By section; within one, ``import x`` lines first, then ``from`` lines by module."""
    return (imp.section, 1 if imp.names else 0, imp.source, imp.names)
