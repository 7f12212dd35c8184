r"""The catalog of ``oxgen mock-server``: a snapshot's models, routed as the generator routes
them, their parameters checked by an independent validator.

Validation uses the `jsonschema` library (Draft 2020-12) on the schema brought to the standard
dialect by :func:`oxgen.normalise.to_standard`, never the generated pydantic classes, so the mock is
an independent check of the generated client. ``format`` is an annotation, as in draft 2020-12.
One keyword pair is adapted: ``pattern``/``patternProperties`` are ECMA-262 regexes, which the
library hands to Python's ``re`` as they are (so ``\d`` would match any Unicode digit,
``\p{L}`` would raise, and ``^(a+)+$`` could take exponential time); here they are matched by
:mod:`oxgen.patterns`, exactly as the generated package matches them (linear time where the
pattern allows).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators  # type: ignore[import-untyped]

from .. import routes
from ..media import media_kind
from ..normalise import localise_refs, to_standard
from ..snapshot import Snapshot
from .protocol import catalog as core_catalog


@functools.lru_cache(maxsize=512)
def _ecma(pattern: str) -> Callable[[str], bool] | None:
    from .. import patterns

    try:
        return patterns.compile_pattern(pattern)
    except ValueError:
        # The generator reports such a schema (an unsupported or invalid pattern, or one that
        # needs backtracking and could take exponential time); the mock lets the value through.
        return None


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterable[Any]:
    search = _ecma(pattern)
    if validator.is_type(instance, "string") and search is not None and not search(instance):
        shown = instance if len(instance) <= 60 else instance[:60] + "..."
        yield ValidationError(f"{shown!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any, properties: dict[str, Any], instance: Any, schema: Any
) -> Iterable[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in properties.items():
        search = _ecma(pattern)
        for key, value in instance.items():
            if search is not None and search(key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


_Validator = validators.extend(
    Draft202012Validator, {"pattern": _pattern, "patternProperties": _pattern_properties}
)
_MAX_MESSAGE = 240


class SchemaCheck:
    """The `check` of the mock's catalog: jsonschema on each model's standardised schema (one
    validator per model, made on first use)."""

    def __init__(self) -> None:
        self._validators: dict[str, Any] = {}

    def __call__(self, model_id: str, model: dict[str, Any], params: dict[str, Any]) -> list[str]:
        validator = self._validators.get(model_id)
        if validator is None:
            validator = _Validator(to_standard(model["request_schema"]))
            self._validators[model_id] = validator
        try:
            errors = sorted(
                validator.iter_errors(params), key=lambda e: [str(p) for p in e.absolute_path]
            )
        except RecursionError:
            # A schema whose $ref leads back to itself without entering a property or item (the
            # generator reports and skips such a model) cannot be applied: say so, never a 500.
            return ["the model's schema cannot be applied: its $ref recurses forever"]
        problems = []
        for error in errors:
            where = ".".join(str(p) for p in error.absolute_path)
            message = (
                error.message
                if len(error.message) <= _MAX_MESSAGE
                else error.message[:_MAX_MESSAGE] + "..."
            )
            problems.append(f"{where}: {message}" if where else message)
        return problems


class MediaInputs:
    """The `media` of the mock's catalog: the strings a request gives for media inputs (URLs the
    provider downloads), found by the generator's own rule (:func:`oxgen.media.media_kind`) on
    each model's standardised schema, nested objects and lists included."""

    def __init__(self) -> None:
        self._schemas: dict[str, Any] = {}

    def __call__(
        self, model_id: str, model: dict[str, Any], params: dict[str, Any]
    ) -> list[tuple[str, str]]:
        schema = model.get("request_schema")
        if not isinstance(schema, dict):
            return []
        standard = self._schemas.get(model_id)
        if standard is None:
            standard = self._schemas[model_id] = localise_refs(to_standard(schema))
        return list(_media_strings(standard, standard, params, (), 0))


_MAX_DEPTH = 32


def _branches(node: Any, root: dict[str, Any], depth: int) -> list[dict[str, Any]]:
    """`node` and the alternatives it is made of (local ``$ref`` followed, combinators opened)."""
    if not isinstance(node, dict) or depth > _MAX_DEPTH:
        return []
    out = [node]
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#"):
        target: Any = root
        for token in ref[1:].split("/")[1:]:
            token = token.replace("~1", "/").replace("~0", "~")
            target = target.get(token) if isinstance(target, dict) else None
        out += _branches(target, root, depth + 1)
    for key in ("allOf", "anyOf", "oneOf"):
        alternatives = node.get(key)
        if isinstance(alternatives, list):
            for sub in alternatives:
                out += _branches(sub, root, depth + 1)
    return out


def _media_strings(
    node: Any, root: dict[str, Any], value: Any, path: tuple[str | int, ...], depth: int
) -> Iterable[tuple[str, str]]:
    branches = _branches(node, root, depth)
    if isinstance(value, dict):
        for key, sub in value.items():
            props = [b["properties"][key] for b in branches if key in (b.get("properties") or {})]
            if any(media_kind(key, prop) for prop in props):
                yield from _strings(sub, (*path, key))
            else:
                for prop in props:
                    yield from _media_strings(prop, root, sub, (*path, key), depth + 1)
    elif isinstance(value, list):
        for items in (b["items"] for b in branches if isinstance(b.get("items"), dict)):
            for i, sub in enumerate(value):
                yield from _media_strings(items, root, sub, (*path, i), depth + 1)


def _strings(value: Any, path: tuple[str | int, ...]) -> Iterable[tuple[str, str]]:
    if isinstance(value, str):
        yield ".".join(map(str, path)), value
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, (*path, i))


class Catalog(core_catalog.Catalog):
    """Models by id, each routed by :func:`oxgen.routes.route_for`, checked by jsonschema, their
    media inputs found by :class:`MediaInputs`."""

    def __init__(self, models: Mapping[str, dict[str, Any]]) -> None:
        super().__init__(
            models,
            {mid: routes.route_for(m) for mid, m in models.items()},
            SchemaCheck(),
            MediaInputs(),
        )

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot) -> Catalog:
        return cls({m["id"]: m for m in snapshot.models})


def counts(catalog: core_catalog.Catalog) -> routes.Counts:
    """How many models `catalog` serves, with and without a request schema (the banner says both)."""
    return routes.count_models(
        (isinstance(m.get("request_schema"), dict), catalog.route(mid))
        for mid, m in catalog.models.items()
    )
