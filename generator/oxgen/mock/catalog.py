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
from ..normalise import to_standard
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


class Catalog(core_catalog.Catalog):
    """Models by id, each routed by :func:`oxgen.routes.route_for`, checked by jsonschema."""

    def __init__(self, models: Mapping[str, dict[str, Any]]) -> None:
        super().__init__(
            models, {mid: routes.route_for(m) for mid, m in models.items()}, SchemaCheck()
        )

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot) -> Catalog:
        return cls({m["id"]: m for m in snapshot.models})
