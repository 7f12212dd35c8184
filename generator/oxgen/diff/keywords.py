"""Pure helpers that read one keyword family of a schema: accepted types, bounds, `multipleOf`.

Nothing here reports; :mod:`oxgen.diff.schemas` compares what these helpers read. `nullable: true`
means what :mod:`oxgen.normalise` says it means: null is accepted *in addition* to the rest.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TypeGuard

JSON_TYPES = frozenset({"null", "boolean", "object", "array", "number", "integer", "string"})


def as_schema(value: Any) -> dict[str, Any]:
    """A subschema as a dict: ``true`` is ``{}``; ``false`` accepts no type at all."""
    if value is True or value is None:
        return {}
    if value is False:
        return {"type": []}
    return value if isinstance(value, dict) else {}


def canonical(value: Any) -> str:
    """A JSON text that compares values the way JSON does (``true`` is not ``1``)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def short(value: Any, limit: int = 60) -> str:
    """A value as compact JSON, cut to `limit` characters, for messages."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def accepted_types(schema: dict[str, Any]) -> frozenset[str]:
    """The JSON types a schema lets through on its `type` and `nullable` keywords alone.

    No `type` means every type; `number` includes `integer`; `nullable: true` adds `null`.
    """
    declared = schema.get("type")
    if declared is None:
        types = set(JSON_TYPES)
    elif isinstance(declared, str):
        types = {declared}
    else:
        types = {t for t in declared if isinstance(t, str)}
    if "number" in types:
        types.add("integer")
    if schema.get("nullable") is True:
        types.add("null")
    return frozenset(types & JSON_TYPES)


def describe_types(types: frozenset[str]) -> str:
    """``integer|string``, ``string|null``, ``any`` or ``nothing`` (integer folded into number)."""
    if types == JSON_TYPES:
        return "any"
    if not types:
        return "nothing"
    shown = sorted(
        types - {"integer"} if "number" in types else types, key=lambda t: (t == "null", t)
    )
    return "|".join(shown)


def is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_finite(value: int | float) -> bool:
    """Whether a JSON number is finite (JSON texts can carry NaN and Infinity; huge integers are
    finite although no float holds them)."""
    return isinstance(value, int) or math.isfinite(value)


@dataclass(frozen=True)
class Bound:
    """One effective bound: its value, whether it is exclusive and the keyword that sets it."""

    value: float
    exclusive: bool
    keyword: str

    def text(self) -> str:
        return f"{self.keyword} {short(self.value)}"


def numeric_bound(schema: dict[str, Any], lower: bool) -> Bound | None:
    """The tightest numeric lower (or upper) bound, from both the draft 2020-12 numeric
    `exclusiveMinimum` and the draft-04 boolean form that makes `minimum` exclusive."""
    inclusive_key, exclusive_key = (
        ("minimum", "exclusiveMinimum") if lower else ("maximum", "exclusiveMaximum")
    )
    candidates: list[Bound] = []
    exclusive_flag = schema.get(exclusive_key)
    if is_number(schema.get(inclusive_key)):
        exclusive = exclusive_flag is True
        keyword = f"{inclusive_key} (exclusive)" if exclusive else inclusive_key
        candidates.append(Bound(schema[inclusive_key], exclusive, keyword))
    if is_number(exclusive_flag):
        candidates.append(Bound(exclusive_flag, True, exclusive_key))
    best: Bound | None = None
    for bound in candidates:
        if best is None or tighter(bound, best, lower):
            best = bound
    return best


def integer_bound(bound: Bound | None, lower: bool) -> int | None:
    """The bound as an inclusive integer limit, for a value that can only be an integer:
    `exclusiveMinimum: 0` is `minimum: 1`, `maximum: 9.5` is `maximum: 9`."""
    if bound is None or not is_finite(bound.value):
        return None
    value = Fraction(str(bound.value))
    if lower:
        limit = math.floor(value) + 1 if bound.exclusive else math.ceil(value)
    else:
        limit = math.ceil(value) - 1 if bound.exclusive else math.floor(value)
    return int(limit)


def same_integer_bound(a: Bound | None, b: Bound | None, lower: bool) -> bool:
    """Whether two bounds admit the same integers (None is no bound)."""
    if a is None or b is None:
        return a is b
    return integer_bound(a, lower) == integer_bound(b, lower)


def count_bound(schema: dict[str, Any], keyword: str) -> Bound | None:
    """A length/count bound (`minLength`, `maxItems`, ...) as a :class:`Bound`, or None."""
    value = schema.get(keyword)
    return Bound(value, False, keyword) if is_number(value) else None


def tighter(a: Bound | None, b: Bound | None, lower: bool) -> bool:
    """Whether bound `a` admits strictly fewer values than bound `b` (None is no bound)."""
    if a is None:
        return False
    if b is None:
        return True
    if a.value != b.value:
        return a.value > b.value if lower else a.value < b.value
    return a.exclusive and not b.exclusive


def multiple_of_relation(old: Any, new: Any) -> str | None:
    """How `multipleOf` changed: "tightened", "loosened" or None (unchanged or unreadable)."""
    if canonical(old) == canonical(new):
        return None
    if not is_number(new):
        return "loosened" if is_number(old) else None
    if not is_number(old) or old == 0 or new == 0:
        return "tightened"
    if not is_finite(old) or not is_finite(new):
        return "tightened"  # not a real step: never claimed to loosen
    o, n = Fraction(str(old)), Fraction(str(new))
    if (n / o).denominator == 1:
        return "tightened"  # every multiple of `new` is a multiple of `old`
    if (o / n).denominator == 1:
        return "loosened"
    return "tightened"


# --- keyword families, as the comparison groups them ---------------------------------------

NUMERIC = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
COUNTS = (
    ("minLength", "maxLength", "length", "string"),
    ("minItems", "maxItems", "item count", "array"),
    ("minProperties", "maxProperties", "property count", "object"),
    ("minContains", "maxContains", "contains count", "array"),
)
NUMBERS = frozenset({"number", "integer"})
COVARIANT_MAPS = ("patternProperties", "$defs", "definitions", "dependentSchemas")
COMPOSITIONS = ("anyOf", "oneOf", "allOf")
# Keywords whose subschemas decide what the level accepts in ways the value judgement below does
# not evaluate: when one is present the level is judged keyword by keyword.
APPLICATORS = ("allOf", "anyOf", "oneOf", "not", "if", "then", "else", "$ref", "$dynamicRef")
# Keywords that only ever refuse values: adding one is breaking, removing one lifts a restriction.
# `true` (or a schema of annotations only) refuses nothing, so it counts as absent. The JSON type
# they apply to gates them like the other per-type keywords.
RESTRICTING: dict[str, str | None] = {
    "contains": "array",
    "unevaluatedItems": "array",
    "propertyNames": "object",
    "unevaluatedProperties": "object",
}
CONDITIONAL = ("if", "then", "else")
# Keywords judged by a rule here or followed by oxgen.diff.schemas; any other validation keyword
# falls to `constraint-changed`.
HANDLED = frozenset(
    {"type", "enum", "const", "multipleOf", "uniqueItems", "pattern", "properties", "required"}
    | {"additionalProperties", "items", "prefixItems", *NUMERIC, *COVARIANT_MAPS, *COMPOSITIONS}
    | {key for quad in COUNTS for key in quad[:2]}
    | {*RESTRICTING, *CONDITIONAL, "dependentRequired", "not"}
)
# Annotations with a rule of their own; the other annotation keys are `annotation-changed`.
OWN_ANNOTATIONS = frozenset({"title", "description", "default", "format", "nullable", "deprecated"})
