"""Snapshot -> :class:`~oxgen.ir.PackageIR` (pure): names, routes and request classes for every model."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from oxgen import naming, routes
from oxgen.classes import CompileError, ModelCompiler
from oxgen.ir import ModelIR, PackageIR, Problem
from oxgen.literals import plain, py_literal
from oxgen.releases import Release, current_version
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
        models.append(ModelIR(**common, has_schema=True, classes=tuple(classes), root_literal=root))
    return PackageIR(
        package=package,
        models=tuple(models),
        problems=tuple(problems),
        version=current_version(releases),
        releases=releases,
    )
