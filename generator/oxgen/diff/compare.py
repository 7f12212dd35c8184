"""Comparing two snapshots model by model: presence, generated Python names, route, metadata,
then the request schemas (delegated to :mod:`oxgen.diff.schemas`).

Generated names come from :mod:`oxgen.naming`, the generator's single source of names, computed
over each snapshot's whole id set: a model whose id did not change can still get a new module,
class or method name when another id starts (or stops) colliding with it.
"""

from __future__ import annotations

from typing import Any

from .. import naming, routes
from ..ir import ModelNames
from ..snapshot import Snapshot
from . import keywords as kw
from .context import Context
from .rules import Change, change
from .schemas import compare_schema

_DESCRIPTIVE = ("display_name", "description", "summary")
_ROUTING = ("endpoint", "capabilities")


def python_names(names: ModelNames) -> dict[str, str]:
    """The generated names a user's code refers to for a model."""
    return {
        "module": names.module,
        "request class": names.class_name,
        "sync method": names.generate_method + "()",
        "queue method": names.submit_method + "()",
    }


def compare(old: Snapshot, new: Snapshot) -> list[Change]:
    """Every change from `old` to `new`, in a deterministic order."""
    before, after = old.by_id(), new.by_id()
    old_modules = naming.model_names(before)
    new_modules = naming.model_names(after)
    out: list[Change] = []
    for model_id in sorted(set(before) | set(after)):
        if model_id not in after:
            names = python_names(old_modules[model_id])
            out.append(
                change(
                    "model-removed",
                    model_id,
                    "",
                    f"model removed from the catalog: {names['request class']}, {names['sync method']} and {names['queue method']} are gone",
                )
            )
        elif model_id not in before:
            names = python_names(new_modules[model_id])
            out.append(
                change(
                    "model-added",
                    model_id,
                    "",
                    f"new model: {names['request class']}, {names['sync method']}, {names['queue method']}",
                )
            )
        else:
            out += _compare_model(
                model_id,
                before[model_id],
                after[model_id],
                old_modules[model_id],
                new_modules[model_id],
            )
    return sorted(out, key=Change.sort_key)


def _compare_model(
    model_id: str,
    old: dict[str, Any],
    new: dict[str, Any],
    old_module: ModelNames,
    new_module: ModelNames,
) -> list[Change]:
    out: list[Change] = []
    old_names, new_names = python_names(old_module), python_names(new_module)
    if old_names != new_names:
        renamed = "; ".join(
            f"{k} {old_names[k]} -> {new_names[k]}"
            for k in old_names
            if old_names[k] != new_names[k]
        )
        out.append(
            change(
                "model-python-name-changed",
                model_id,
                "",
                f"generated names change although the id did not ({renamed}): imports and calls using the old names break",
            )
        )
    out += _compare_route(model_id, old, new)
    changed = [f for f in _DESCRIPTIVE if kw.canonical(old.get(f)) != kw.canonical(new.get(f))]
    if changed:
        out.append(
            change(
                "model-description-changed",
                model_id,
                "",
                f"{', '.join(changed)} changed (docstrings only)",
            )
        )
    out += _compare_pricing(model_id, old.get("pricing"), new.get("pricing"))
    old_schema, new_schema = old.get("request_schema"), new.get("request_schema")
    if old_schema is not None and new_schema is None:
        out.append(
            change(
                "model-schema-removed",
                model_id,
                "",
                "request_schema became null: the typed keyword arguments of its request class are gone",
            )
        )
    elif old_schema is None and new_schema is not None:
        out.append(
            change(
                "model-schema-added",
                model_id,
                "",
                "request_schema went from null to a schema: typed keyword arguments appear",
            )
        )
    elif old_schema is not None:
        ctx = Context(model_id, new_module.class_name)
        out += compare_schema(ctx, old_schema, new_schema)
    return out


def _leaves(value: Any, path: str = "") -> dict[str, str]:
    """Every scalar of a pricing object by its dotted path, as JSON text."""
    if isinstance(value, dict) and value:
        out: dict[str, str] = {}
        for key in sorted(value):
            out.update(_leaves(value[key], f"{path}.{key}" if path else str(key)))
        return out
    return {path: kw.canonical(value)}


def _compare_pricing(model_id: str, old: Any, new: Any) -> list[Change]:
    """A change of the price the client's cost estimates read (`pricing`), with what moved."""
    if kw.canonical(old) == kw.canonical(new):
        return []
    if not isinstance(new, dict) or not new:
        message = "pricing removed: the client no longer estimates this model's cost"
    elif not isinstance(old, dict) or not old:
        message = "pricing added: " + ", ".join(f"{k} {v}" for k, v in _leaves(new).items())
    else:
        before, after = _leaves(old), _leaves(new)
        moved = [
            f"{k} {before.get(k, '(none)')} -> {after.get(k, '(none)')}"
            for k in sorted(set(before) | set(after))
            if before.get(k) != after.get(k)
        ]
        shown = "; ".join(moved[:6]) + (f"; and {len(moved) - 6} more" if len(moved) > 6 else "")
        message = f"pricing changed: {shown}"
    return [change("model-pricing-changed", model_id, "", message)]


def _compare_route(model_id: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    old_route, new_route = routes.route_for(old), routes.route_for(new)
    if old_route == new_route:
        changed = [f for f in _ROUTING if kw.canonical(old.get(f)) != kw.canonical(new.get(f))]
        if not changed:
            return []
        return [
            change(
                "model-metadata-changed",
                model_id,
                "",
                f"{', '.join(changed)} changed; the route stays {old_route or 'none'}",
            )
        ]
    if old_route is None:
        return [
            change("route-added", model_id, "", f"model gained an inference route: {new_route}")
        ]
    old_kind, new_kind = _RESULTS.get(old_route), _RESULTS.get(new_route or "")
    queue_lost = old_route in routes.QUEUE_MEDIA and new_route not in routes.QUEUE_MEDIA
    shift = f"route changed from {old_route} to {new_route or 'none'}"
    if new_route is None:
        return [
            change(
                "route-changed",
                model_id,
                "",
                f"{shift}: no inference route any more, its client methods are gone",
            )
        ]
    if old_kind != new_kind or queue_lost:
        consequence = "results come back as " + (new_kind or "something else")
        if queue_lost:
            consequence += "; the queue (submit) no longer takes it"
        return [change("route-changed", model_id, "", f"{shift}: {consequence}")]
    return [
        change(
            "route-moved",
            model_id,
            "",
            f"{shift}: same kind of result ({new_kind}), but the server now runs it elsewhere",
        )
    ]


# What each route returns, as far as callers of the generated methods see it.
_RESULTS = {
    routes.VIDEO: "videos",
    routes.IMAGE_GENERATE: "images",
    routes.IMAGE_EDIT: "images",
    routes.SPEECH: "audio",
    routes.TRANSCRIPTION: "text",
    routes.CHAT: "chat completions",
}
