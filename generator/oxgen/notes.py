"""A field's notes: its constraints in words, those its type and default do not already show
(decided here, once; every template prints :attr:`oxgen.ir.FieldIR.notes`). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oxgen.ir import TypeIR
from oxgen.typeexpr import enum_values


def notes(schema: Any, t: TypeIR, required: bool) -> tuple[str, ...]:
    """The notes of a field with `schema` (standard form) and type `t`: what neither its type
    (a Literal of the enum's values) nor its default (beside an optional field's type) shows."""
    info = schema if isinstance(schema, dict) else {}
    return describe(
        info, values_shown=values_shown(info, t), default_shown=not required, required=required
    )


def values_shown(info: Mapping[str, Any], t: TypeIR) -> bool:
    """True when the type is a Literal of exactly the enum's (or const's) values."""
    if "enum" not in info and "const" not in info:
        return False
    values = enum_values(info)
    return "Literal" in t.static_uses and all(
        v is None or isinstance(v, (str, bool, int)) for v in values
    )


def _fmt(value: Any) -> str:
    return (
        repr(value)
        if isinstance(value, str)
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
    )


def describe(
    schema: Mapping[str, Any],
    values_shown: bool = False,
    default_shown: bool = False,
    required: bool = False,
) -> tuple[str, ...]:
    """Constraint facts for documentation ('one of: ...', 'range: 1 to 10', ...) of a schema in
    standard form (:mod:`oxgen.normalise`).

    `values_shown`: the type already lists the allowed values (a Literal), so they are left out;
    `default_shown`: the default is written beside the type, so it is left out; `required`: the
    caller must give a value, so a schema ``default`` can only be an example and is called one.
    """
    facts = []
    if isinstance(schema.get("enum"), list) and not values_shown:
        facts.append("one of: " + ", ".join(_fmt(v) for v in schema["enum"]))
    if "const" in schema and not values_shown:
        facts.append("must be: " + _fmt(schema["const"]))
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if low is not None or high is not None:
        left = "" if low is None else ("> " if "exclusiveMinimum" in schema else ">= ") + str(low)
        right = (
            "" if high is None else ("< " if "exclusiveMaximum" in schema else "<= ") + str(high)
        )
        facts.append("range: " + ", ".join(p for p in (left, right) if p))
    for key, label in (
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("minItems", "min items"),
        ("maxItems", "max items"),
        ("multipleOf", "multiple of"),
        ("pattern", "pattern"),
        ("format", "format"),
    ):
        if key in schema:
            facts.append(f"{label}: {_fmt(schema[key])}")
    if "default" in schema and not default_shown:
        facts.append(("example: " if required else "default: ") + _fmt(schema["default"]))
    return tuple(facts)
