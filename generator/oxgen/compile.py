"""Snapshot -> :class:`~oxgen.ir.PackageIR` (pure): names, routes and request classes for every model."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping

from oxgen import controls, naming, routes
from oxgen.classes import CompileError, ModelCompiler
from oxgen.ir import ClassIR, ImportIR, MethodIR, ModelIR, PackageIR, Problem, Release
from oxgen.literals import plain, py_literal
from oxgen.snapshot import Snapshot

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
    modules: Mapping[str, str] | None = None,
) -> PackageIR:
    """Every model of the snapshot (or the ids in `only`: names are still assigned over the whole
    snapshot, so a model compiles the same alone or with the rest). `modules`: the snapshot's
    module names (:func:`oxgen.naming.model_module_names`), when the caller has them."""
    check_package_name(package)
    if modules is None:
        modules = naming.model_module_names(m["id"] for m in snapshot.models)
    models: list[ModelIR] = []
    problems: list[Problem] = []
    for model in snapshot.models:
        model_id = model["id"]
        if only is not None and model_id not in only:
            continue
        module = modules[model_id]
        stem = naming.class_stem(module)
        route = routes.route_for(model)
        common = {
            "model_id": model_id,
            "module": module,
            "class_name": naming.request_class_name(module),
            "generate_method": naming.generate_method_name(module),
            "submit_method": naming.submit_method_name(module),
            "route": route,
            "media": routes.QUEUE_MEDIA.get(route or ""),
            "display_name": plain(model.get("display_name")) or model_id,
            "description": plain(model.get("description")),
        }
        schema = model.get("request_schema")
        if schema is None:
            models.append(ModelIR(**common, has_schema=False))
            continue
        compiler = ModelCompiler(schema, common["class_name"], stem)
        try:
            classes = compiler.compile()
        except CompileError as exc:
            problems.append(Problem(model_id, exc.pointer, exc.reason))
            continue
        except RecursionError:
            problems.append(Problem(model_id, "", "schema nested too deeply to compile"))
            continue
        root = py_literal(compiler.check_root) if compiler.needs_root else None
        methods = _methods(common)
        imports, type_imports = _imports(classes, methods)
        models.append(
            ModelIR(
                **common,
                has_schema=True,
                classes=tuple(classes),
                root_literal=root,
                schema_json=json.dumps(compiler.root, separators=(",", ":"), ensure_ascii=True),
                methods=methods,
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


def _methods(common: dict[str, str | None]) -> tuple[MethodIR, ...]:
    """The model's client methods: the blocking route's, then the queue's."""
    methods = []
    for kind, name, returns, wanted in (
        (controls.GENERATE, common["generate_method"], "GenerateResponse", common["route"]),
        (controls.SUBMIT, common["submit_method"], "Job", common["media"]),
    ):
        if wanted is None or name is None:
            continue
        methods.append(
            MethodIR(
                kind=kind,
                name=name,
                returns=returns,
                controls=controls.controls_ir(kind),
            )
        )
    return tuple(methods)


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
    standard = []
    if methods:
        standard.append(ImportIR("typing as _typing", (), 0))
        standard.append(ImportIR("collections.abc", ("Mapping as _Mapping",), 0))
        uses |= {"Omit", "OMIT"}  # every method has omittable call arguments
        for f in classes[0].fields:
            if f.param is not None:
                uses |= f.param.uses
        type_uses |= {"SyncOxenBase", "Timeout", *(m.returns for m in methods)}
    known = {n for names in naming.MODULE_IMPORTS.values() for n in names} | {"_js", "_media"}
    unknown = uses - known
    if unknown:  # a type expression used a name no module import provides
        raise AssertionError(f"names without an import: {sorted(unknown)}")

    def lines(table: dict[str, tuple[str, ...]], wanted: set[str]) -> list[ImportIR]:
        out = []
        for source, names in table.items():
            chosen = tuple(n for n in names if n in wanted)
            if chosen:
                out.append(ImportIR(source, chosen, _section(source)))
        return out

    runtime = standard + lines(naming.MODULE_IMPORTS, uses)
    if "_js" in uses:
        runtime.append(ImportIR("..", ("_jsonschema as _js",), 2))
    if "_media" in uses:
        runtime.append(ImportIR("..", ("_media",), 2))
    runtime.sort(key=_isort_key)
    return tuple(runtime), tuple(lines(naming.MODULE_TYPE_IMPORTS, type_uses))


def _section(source: str) -> int:
    """isort's sections: 0 the standard library, 1 third party, 2 the package itself."""
    return 2 if source.startswith(".") else 1 if source == "pydantic" else 0


def _isort_key(imp: ImportIR) -> tuple[int, int, str]:
    """By section; within one, ``import x`` lines first, then ``from`` lines by module."""
    return (imp.section, 1 if imp.names else 0, imp.source)
