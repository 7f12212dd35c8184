r"""The models the mock serves, their routes, filters, and independent parameter validation.

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
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators  # type: ignore[import-untyped]

from .. import routes
from ..normalise import to_standard
from ..snapshot import Snapshot

# Body fields that steer the request instead of being model parameters.
CONTROL_FIELDS = ("model", "response_format", "target_namespace", "num_generations")

MEDIA_FOR_ROUTE = {
    routes.VIDEO: "video",
    routes.IMAGE_GENERATE: "image",
    routes.IMAGE_EDIT: "image",
    routes.SPEECH: "audio",
    routes.TRANSCRIPTION: "text",
    routes.CHAT: "text",
}

_INPUT_RANK = ("video", "image", "audio", "text")


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


@dataclass
class Catalog:
    """Models by id, with lazily built validators."""

    models: dict[str, dict[str, Any]]
    _validators: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot) -> Catalog:
        return cls({m["id"]: m for m in snapshot.models})

    def get(self, model_id: str) -> dict[str, Any] | None:
        return self.models.get(model_id)

    def route(self, model_id: str) -> str | None:
        model = self.models.get(model_id)
        return routes.route_for(model) if model is not None else None

    def media(self, model_id: str) -> str | None:
        """What the model makes: "image", "video", "audio", "text", or None (no inference)."""
        route = self.route(model_id)
        return MEDIA_FOR_ROUTE.get(route) if route else None

    def listing(
        self, *, developer_name: str | None = None, action: str | None = None
    ) -> list[dict[str, Any]]:
        return [m for m in self.models.values() if _matches(m, developer_name, action)]

    def search(self, query: str) -> list[dict[str, Any]]:
        """Models whose id, display name, description or summary contain every word of `query`."""
        words = query.lower().split()
        return [m for m in self.models.values() if all(w in _haystack(m) for w in words)]

    def validate(self, model_id: str, params: dict[str, Any]) -> list[str]:
        """Problems with `params` for the model, each naming its field; empty when valid."""
        model = self.models[model_id]
        schema = model.get("request_schema")
        if not isinstance(schema, dict):
            return []  # no schema published: anything goes
        problems = [f"{name}: unknown parameter" for name in unknown_fields(schema, params)]
        validator = self._validators.get(model_id)
        if validator is None:
            validator = _Validator(to_standard(schema))
            self._validators[model_id] = validator
        try:
            errors = sorted(
                validator.iter_errors(params), key=lambda e: [str(p) for p in e.absolute_path]
            )
        except RecursionError:
            # A schema whose $ref leads back to itself without entering a property or item (the
            # generator reports and skips such a model) cannot be applied: say so, never a 500.
            return [*problems, "the model's schema cannot be applied: its $ref recurses forever"]
        for error in errors:
            where = ".".join(str(p) for p in error.absolute_path)
            message = (
                error.message
                if len(error.message) <= _MAX_MESSAGE
                else error.message[:_MAX_MESSAGE] + "..."
            )
            problems.append(f"{where}: {message}" if where else message)
        return problems


def split_body(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(control fields, model parameters) of a request body."""
    control = {k: v for k, v in body.items() if k in CONTROL_FIELDS}
    params = {k: v for k, v in body.items() if k not in CONTROL_FIELDS}
    return control, params


def unknown_fields(schema: dict[str, Any], params: Iterable[str]) -> list[str]:
    """Top-level names the schema does not declare, unless it says itself what extra names mean."""
    if any(
        k in schema for k in ("additionalProperties", "patternProperties", "unevaluatedProperties")
    ):
        return []
    known: set[str] = set()
    for sub in [schema, *_top_level_branches(schema)]:
        props = sub.get("properties")
        if isinstance(props, dict):
            known.update(props)
    return sorted(name for name in params if name not in known)


def _top_level_branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for key in ("allOf", "anyOf", "oneOf"):
        value = schema.get(key)
        if isinstance(value, list):
            out.extend(v for v in value if isinstance(v, dict))
    for key in ("if", "then", "else"):
        if isinstance(schema.get(key), dict):
            out.append(schema[key])
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def developer_of(model: dict[str, Any]) -> str | None:
    developer = model.get("developer")
    if isinstance(developer, dict) and isinstance(developer.get("name"), str):
        return str(developer["name"])
    return None


def action_of(model: dict[str, Any]) -> str:
    """The model's `action`, or one derived from its capabilities, e.g. "image-to-video"."""
    if isinstance(model.get("action"), str):
        return str(model["action"])
    caps = model.get("capabilities")
    inputs = caps.get("input") if isinstance(caps, dict) else None
    outputs = caps.get("output") if isinstance(caps, dict) else None
    ins = {i for i in inputs if isinstance(i, str)} if isinstance(inputs, list) else set()
    outs = [o for o in outputs if isinstance(o, str)] if isinstance(outputs, list) else []
    source = next((kind for kind in _INPUT_RANK if kind in ins), "text")
    return f"{source}-to-{outs[0] if outs else 'text'}"


def _matches(model: dict[str, Any], developer_name: str | None, action: str | None) -> bool:
    if developer_name:
        wanted = _slug(developer_name)
        names = {
            _slug(n) for n in (developer_of(model), model.get("owned_by")) if isinstance(n, str)
        }
        if wanted not in names and not str(model["id"]).startswith(wanted + "-"):
            return False
    return not action or _slug(action) == _slug(action_of(model))


def _haystack(model: dict[str, Any]) -> str:
    parts = [model.get(k) for k in ("id", "display_name", "description", "summary")]
    return " ".join(p for p in parts if isinstance(p, str)).lower()
