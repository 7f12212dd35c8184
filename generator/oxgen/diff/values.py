"""Comparing what one schema level accepts as a value: types, `enum`/`const`, numeric and length
bounds, `multipleOf`, `uniqueItems`, `pattern`, `format`, nullability, the keywords that only
restrict (`if`/`then`/`else`, `contains`, `propertyNames`, `unevaluated*`, `dependentRequired`),
defaults, documentation and annotation keys, and (as a catch-all) any other validation keyword.

The keywords are judged together, not one at a time:

- when the old level limits values to a list (`enum`, `const`), every listed value is checked
  against the whole new level (type, list, bounds, lengths, `multipleOf`, `pattern`): only values
  the new level really refuses are reported, so an `enum` replaced by a range that covers it is a
  widening, not a raised and a lowered bound;
- keywords that constrain one JSON type (bounds for numbers, lengths and `pattern` for strings,
  item counts for arrays, ...) are compared only when both sides accept that type: when a value
  can no longer be a list at all, a change to its items means nothing and is not reported.

Each check calls `emit(rule, keyword, what)`; the caller turns that into a change at the keyword's
pointer. :class:`Context` says, in Python terms, where the comparison is.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from . import keywords as kw
from . import regex
from .annotations import compare_annotations, compare_others
from .context import Context, Emit
from .restrictions import compare_restricting


def compare_values(
    ctx: Context, o: dict[str, Any], n: dict[str, Any], emit: Emit
) -> frozenset[str]:
    """Every value-level change between two schemas of the same place (no recursion).

    Returns the JSON types whose structure (properties, items, ...) is worth comparing below this
    level: those both sides accept. Types only one side accepts were reported here as a type
    change; what the other side says about them does not matter.
    """
    before, after = kw.accepted_types(o), kw.accepted_types(n)
    shared = before & after
    if _judge_listed(ctx, o, n, emit):
        shared = frozenset()  # only scalars were listed: no structure to compare
    else:
        _types(ctx, o, n, emit)
        _enum(ctx, o, n, emit)
        _bounds(ctx, o, n, emit, shared)
        if "string" in shared:
            _pattern(ctx, o, n, emit)
    if shared or before == after:
        _format(ctx, o, n, emit)
    compare_restricting(ctx, o, n, emit, shared)
    compare_annotations(ctx, o, n, emit)
    compare_others(o, n, emit)
    return shared


# --- one value against one level ---------------------------------------------------------------


def json_equal(a: Any, b: Any) -> bool:
    """JSON Schema equality for the values listed in `enum`/`const`: 1 == 1.0, true != 1."""
    if kw.is_number(a) and kw.is_number(b):
        return a == b
    return kw.canonical(a) == kw.canonical(b)


def _json_type(value: Any) -> str | None:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return None


def _listed(schema: dict[str, Any]) -> list[Any] | None:
    """The values `enum` and `const` limit a level to, or None when neither is present."""
    values = list(schema["enum"]) if isinstance(schema.get("enum"), list) else None
    if "const" in schema:
        const = schema["const"]
        values = [const] if values is None else [v for v in values if json_equal(v, const)]
    return values


def listed_values(schema: dict[str, Any]) -> list[Any] | None:
    """The values `enum`/`const` list (null added when `nullable: true`), or None."""
    listed = _listed(schema)
    if listed is not None and schema.get("nullable") is True:
        listed = [*listed, None]
    return listed


def accepts(schema: dict[str, Any], value: Any) -> bool | None:
    """Whether one level (ignoring its subschemas and `format`) accepts a scalar `value`; None
    when that cannot be decided (a pattern the generated package cannot run)."""
    if value is None and schema.get("nullable") is True:
        return True  # nullable: null in addition to the rest (see oxgen.normalise)
    json_type = _json_type(value)
    if json_type is None or json_type not in kw.accepted_types(schema):
        return False
    listed = _listed(schema)
    if listed is not None and not any(json_equal(value, v) for v in listed):
        return False
    if kw.is_number(value):
        for lower in (True, False):
            bound = kw.numeric_bound(schema, lower)
            if bound is not None and (
                (value < bound.value if lower else value > bound.value)
                or (bound.exclusive and value == bound.value)
            ):
                return False
        step = schema.get("multipleOf")
        if not kw.is_finite(value) or (kw.is_number(step) and not kw.is_finite(step)):
            return None
        if (
            kw.is_number(step)
            and step > 0
            and (Fraction(str(value)) / Fraction(str(step))).denominator != 1
        ):
            return False
    if isinstance(value, str):
        low, high = schema.get("minLength"), schema.get("maxLength")
        if (kw.is_number(low) and len(value) < low) or (kw.is_number(high) and len(value) > high):
            return False
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            compiled = regex.compiled(pattern)
            if compiled is None:
                return None
            if not compiled(value):
                return False
    return True


def _describe(schema: dict[str, Any]) -> str:
    """The value keywords of a level, for messages: ``integer, minimum 2, maximum 15``."""
    parts = [kw.describe_types(kw.accepted_types(schema))]
    for key in ("enum", "const", *kw.NUMERIC, "multipleOf", "minLength", "maxLength", "pattern"):
        if key in schema:
            parts.append(f"{key} {kw.short(schema[key], 40)}")
    return ", ".join(parts)


def _values_text(values: list[Any], limit: int = 8) -> str:
    ints = sorted(v for v in values if isinstance(v, int) and not isinstance(v, bool))
    if len(ints) == len(values) > 3 and ints[-1] - ints[0] == len(ints) - 1:
        return f"the integers {ints[0]} to {ints[-1]}"
    shown = ", ".join("null (None)" if v is None else kw.short(v) for v in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def _judge_listed(ctx: Context, o: dict[str, Any], n: dict[str, Any], emit: Emit) -> bool:
    """When the old level lists its values (`enum`/`const`, all scalars), judge the whole level by
    checking each of them against the new one. False when this judgement does not apply."""
    listed = listed_values(o)
    if listed is None or any(k in o or k in n for k in kw.APPLICATORS):
        return False
    if not all(v is None or isinstance(v, str | bool | int | float) for v in listed):
        return False
    old_values: list[Any] = []
    for value in listed:
        verdict = accepts(o, value)
        if verdict is None:
            return False
        if verdict and not any(json_equal(value, v) for v in old_values):
            old_values.append(value)
    lost: list[Any] = []
    for value in old_values:
        verdict = accepts(n, value)
        if verdict is None:
            return False
        if not verdict:
            lost.append(value)
    key = "enum" if "enum" in o or "enum" in n else "const"
    null_key = (
        "nullable"
        if kw.canonical(o.get("nullable")) != kw.canonical(n.get("nullable"))
        else "type"
        if kw.canonical(o.get("type")) != kw.canonical(n.get("type"))
        else key
    )
    new_listed = listed_values(n)
    subject = ctx.subject()
    if lost == [None]:
        emit(
            "type-narrowed",
            null_key,
            f"{subject} no longer accepts null: passing None now fails validation",
        )
    elif lost:
        now = "" if new_listed is not None else f" (now {_describe(n)})"
        emit(
            "enum-value-removed",
            key,
            f"{subject} no longer accepts {_values_text(lost)}{now}: calls passing it now fail validation",
        )
    if new_listed is None:
        if not lost:
            rule = "enum-removed" if key == "enum" else "constraint-removed"
            emit(
                rule,
                key,
                f"{subject} is no longer restricted to {_values_text(old_values) or 'a list of values'} (now {_describe(n)}): every value accepted before still is",
            )
        return True
    added = [
        v for v in new_listed if accepts(n, v) and not any(json_equal(v, old) for old in old_values)
    ]
    added = [v for i, v in enumerate(added) if not any(json_equal(v, w) for w in added[:i])]
    if added == [None]:
        emit("type-widened", null_key, f"{subject} now also accepts null (None)")
    elif added:
        emit("enum-value-added", key, f"{subject} now also accepts {_values_text(added)}")
    return True


# --- keyword by keyword (the old level is not a list of values) --------------------------------


def accepts_null(schema: dict[str, Any]) -> bool | None:
    """Whether a level accepts null: `nullable: true` always does; otherwise `type`, `enum`,
    `const` and the composition members decide; None when that cannot be told (`not`, `$ref`, a
    `oneOf`, ...)."""
    if schema.get("nullable") is True:
        return True
    if "null" not in kw.accepted_types(schema):
        return False
    listed = _listed(schema)
    if listed is not None and not any(json_equal(None, v) for v in listed):
        return False
    verdicts: list[bool | None] = []
    for key in kw.APPLICATORS:
        if key not in schema:
            continue
        members = schema[key] if isinstance(schema[key], list) else None
        if key in ("anyOf", "allOf") and members:
            found = [accepts_null(kw.as_schema(m)) for m in members]
            if key == "anyOf":
                verdicts.append(
                    True if True in found else False if all(f is False for f in found) else None
                )
            else:
                verdicts.append(False if False in found else True if all(found) else None)
        else:
            verdicts.append(None)
    if False in verdicts:
        return False
    return None if None in verdicts else True


def _types(ctx: Context, o: dict[str, Any], n: dict[str, Any], emit: Emit) -> None:
    """Types compared without null; null is judged by :func:`accepts_null`, which also reads
    `nullable`, listed values and compositions."""
    null_before, null_after = accepts_null(o), accepts_null(n)
    before = kw.accepted_types(o) - {"null"}
    after = kw.accepted_types(n) - {"null"}
    lost, gained = set(before - after), set(after - before)
    if null_before is True and null_after is not True:
        lost.add("null")
    if null_after is True and null_before is False:
        gained.add("null")
    if not lost and not gained:
        return
    key = "type" if kw.canonical(o.get("type")) != kw.canonical(n.get("type")) else "nullable"
    shown_before = before | ({"null"} if null_before is True else set())
    shown_after = after | ({"null"} if null_after is True else set())
    shift = f"{kw.describe_types(frozenset(shown_before))} -> {kw.describe_types(frozenset(shown_after))}"
    subject = ctx.subject()
    if lost and gained:
        emit(
            "type-changed",
            key,
            f"type of {subject} changed incompatibly ({shift}): values of the old type now fail validation",
        )
    elif lost == {"null"}:
        emit(
            "type-narrowed",
            key,
            f"{subject} no longer accepts null ({shift}): passing None now fails validation",
        )
    elif lost:
        emit(
            "type-narrowed",
            key,
            f"{subject} accepts fewer types ({shift}): {kw.describe_types(frozenset(lost))} values now fail validation",
        )
    else:
        what = "null (None)" if gained == {"null"} else kw.describe_types(frozenset(gained))
        emit("type-widened", key, f"{subject} now also accepts {what} ({shift})")


def _enum(ctx: Context, o: dict[str, Any], n: dict[str, Any], emit: Emit) -> None:
    before, after = o.get("enum"), n.get("enum")
    if "const" not in o and "const" in n:
        emit(
            "constraint-added",
            "const",
            f"{ctx.subject()} must now be exactly {kw.short(n['const'])}: other values now fail validation",
        )
    elif "const" in o and "const" not in n:
        emit(
            "constraint-removed",
            "const",
            f"{ctx.subject()} is no longer fixed to {kw.short(o['const'])}",
        )
    elif "const" in o and not json_equal(o["const"], n["const"]):
        emit(
            "constraint-changed",
            "const",
            f"`const` of {ctx.subject()} changed ({kw.short(o['const'])} -> {kw.short(n['const'])}): not judged automatically, review by hand",
        )
    if kw.canonical(before) == kw.canonical(after):
        return
    if not isinstance(before, list | None) or not isinstance(after, list | None):
        emit(
            "constraint-changed",
            "enum",
            f"`enum` of {ctx.subject()} is not a list ({kw.short(before)} -> {kw.short(after)}): review by hand",
        )
        return
    if before is None and isinstance(after, list):
        emit(
            "enum-added",
            "enum",
            f"{ctx.subject()} is now restricted to {kw.short(after)}: other values now fail validation",
        )
        return
    if after is None and isinstance(before, list):
        emit("enum-removed", "enum", f"{ctx.subject()} is no longer restricted to a list of values")
        return
    old_values = {kw.canonical(v): v for v in before or []}
    new_values = {kw.canonical(v): v for v in after or []}
    removed = [v for k, v in old_values.items() if k not in new_values]
    added = [v for k, v in new_values.items() if k not in old_values]
    if removed:
        listed = ", ".join(kw.short(v) for v in removed)
        emit(
            "enum-value-removed",
            "enum",
            f"{ctx.subject()} no longer accepts {listed}: calls passing it now fail validation",
        )
    if added:
        emit(
            "enum-value-added",
            "enum",
            f"{ctx.subject()} now also accepts {', '.join(kw.short(v) for v in added)}",
        )


def _bound_change(
    ctx: Context,
    lower: bool,
    before: kw.Bound | None,
    after: kw.Bound | None,
    noun: str,
    emit: Emit,
) -> None:
    if before == after:
        return
    side = "lower" if lower else "upper"
    shift = f"{before.text() if before else 'none'} -> {after.text() if after else 'none'}"
    key = (after or before).keyword.split(" ")[0]  # type: ignore[union-attr]
    if kw.tighter(after, before, lower):
        rule = "lower-bound-raised" if lower else "upper-bound-lowered"
        emit(
            rule,
            key,
            f"{side} bound on the {noun} of {ctx.subject()} tightened ({shift}): values valid before now fail validation",
        )
    elif kw.tighter(before, after, lower):
        rule = "lower-bound-lowered" if lower else "upper-bound-raised"
        emit(rule, key, f"{side} bound on the {noun} of {ctx.subject()} loosened ({shift})")


def _bounds(
    ctx: Context, o: dict[str, Any], n: dict[str, Any], emit: Emit, shared: frozenset[str]
) -> None:
    if shared & kw.NUMBERS:
        integers_only = not shared & {"number"}
        for lower in (True, False):
            before, after = kw.numeric_bound(o, lower), kw.numeric_bound(n, lower)
            if integers_only and kw.same_integer_bound(before, after, lower):
                continue
            _bound_change(ctx, lower, before, after, "value", emit)
        _multiple_of(ctx, o, n, emit)
    for low_key, high_key, noun, json_type in kw.COUNTS:
        if json_type not in shared:
            continue
        _bound_change(ctx, True, kw.count_bound(o, low_key), kw.count_bound(n, low_key), noun, emit)
        _bound_change(
            ctx, False, kw.count_bound(o, high_key), kw.count_bound(n, high_key), noun, emit
        )
    if "array" not in shared:
        return
    unique_before, unique_after = o.get("uniqueItems") is True, n.get("uniqueItems") is True
    if unique_after and not unique_before:
        emit(
            "unique-items-added",
            "uniqueItems",
            f"{ctx.subject()} must now hold unique items: lists with repeats now fail validation",
        )
    elif unique_before and not unique_after:
        emit("unique-items-removed", "uniqueItems", f"{ctx.subject()} may now hold repeated items")


def _multiple_of(ctx: Context, o: dict[str, Any], n: dict[str, Any], emit: Emit) -> None:
    relation = kw.multiple_of_relation(o.get("multipleOf"), n.get("multipleOf"))
    shift = f"{kw.short(o.get('multipleOf'))} -> {kw.short(n.get('multipleOf'))}"
    if relation == "tightened":
        emit(
            "multiple-of-tightened",
            "multipleOf",
            f"{ctx.subject()} must now be a multiple of {kw.short(n.get('multipleOf'))} ({shift})",
        )
    elif relation == "loosened":
        emit(
            "multiple-of-loosened", "multipleOf", f"multipleOf of {ctx.subject()} relaxed ({shift})"
        )


def _pattern(ctx: Context, o: dict[str, Any], n: dict[str, Any], emit: Emit) -> None:
    before, after = o.get("pattern"), n.get("pattern")
    if kw.canonical(before) == kw.canonical(after):
        return
    subject, shift = ctx.subject(), f"{kw.short(before)} -> {kw.short(after)}"
    if before is None:
        emit(
            "pattern-added",
            "pattern",
            f"{subject} must now match pattern {kw.short(after)}: values valid before may now be refused",
        )
        return
    if after is None:
        emit("pattern-removed", "pattern", f"{subject} no longer has pattern {kw.short(before)}")
        return
    if isinstance(before, str) and isinstance(after, str):
        if regex.includes(before, after):
            emit(
                "pattern-widened",
                "pattern",
                f"pattern of {subject} widened ({shift}): every string the old pattern matched still matches",
            )
            return
        witness = regex.counterexample(before, after, lambda text: accepts(o, text) is True)
        if witness is not None:
            emit(
                "pattern-narrowed",
                "pattern",
                f"pattern of {subject} narrowed ({shift}): {kw.short(witness)} was accepted and now fails validation",
            )
            return
    emit(
        "pattern-changed",
        "pattern",
        f"pattern of {subject} changed ({shift}): whether every string accepted before still is could not be decided, review by hand",
    )


def _format(ctx: Context, o: dict[str, Any], n: dict[str, Any], emit: Emit) -> None:
    before, after = o.get("format"), n.get("format")
    if kw.canonical(before) == kw.canonical(after):
        return
    subject = ctx.subject()
    if before is None:
        emit(
            "format-added",
            "format",
            f"{subject} must now match format {kw.short(after)}: values valid before may now be refused",
        )
    elif after is None:
        emit("format-removed", "format", f"{subject} no longer has format {kw.short(before)}")
    else:
        emit(
            "format-changed",
            "format",
            f"format of {subject} changed ({kw.short(before)} -> {kw.short(after)}): values valid before may now be refused",
        )
