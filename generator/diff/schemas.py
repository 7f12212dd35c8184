"""Comparing two versions of one model's `request_schema`, keyword by keyword, recursively.

Every change is reported at the JSON pointer of the keyword (or property) that changed, and its
message says what a user of the generated client feels: which keyword argument or field, and how
a call that worked before fails now. Subschemas are followed where narrowing them narrows the
whole (`properties`, `items`, `additionalProperties`, `anyOf`/`oneOf`/`allOf`, `$defs`, ...);
keywords with other semantics (`not`, `if`, `const`, `$ref`, ...) are compared as values and any
change is a `constraint-changed` warning for a human to judge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from oxgen import naming
from oxgen.dialect import SUBSCHEMA_KEYWORDS, escape_pointer_token, is_annotation
from oxgen.diff import keywords as kw
from oxgen.diff.rules import Change, change

# Keywords judged by a dedicated rule; any other validation keyword falls to `constraint-changed`.
_NUMERIC = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_COUNTS = (
    ("minLength", "maxLength", "length"),
    ("minItems", "maxItems", "item count"),
    ("minProperties", "maxProperties", "property count"),
    ("minContains", "maxContains", "contains count"),
)
_COVARIANT_MAPS = ("patternProperties", "$defs", "definitions", "dependentSchemas")
_COMPOSITIONS = ("anyOf", "oneOf", "allOf")
_HANDLED = frozenset(
    {"type", "enum", "multipleOf", "uniqueItems", "pattern", "properties", "required"}
    | {"additionalProperties", "items", "prefixItems", *_NUMERIC, *_COVARIANT_MAPS, *_COMPOSITIONS}
    | {key for trio in _COUNTS for key in trio[:2]}
)
# Annotations with a rule of their own; the other annotation keys are `annotation-changed`.
_OWN_ANNOTATIONS = frozenset(
    {"title", "description", "default", "format", "nullable", "deprecated"}
)


@dataclass(frozen=True)
class Context:
    """Where the comparison is, in Python terms: the model, its request class and a field path
    such as ``""`` (the request), ``steps``, ``config.seed``, ``images[]`` or ``tags{}``."""

    model: str
    owner: str
    path: str = ""

    def child(self, suffix: str) -> Context:
        if suffix.startswith(("[", "{")):
            return Context(self.model, self.owner, self.path + suffix)
        return Context(self.model, self.owner, f"{self.path}.{suffix}" if self.path else suffix)

    def subject(self) -> str:
        """How messages name this place: "keyword argument `steps`", "`config.seed`", ..."""
        if not self.path:
            return f"the request ({self.owner})"
        if "." not in self.path and "[" not in self.path and "{" not in self.path:
            return f"keyword argument `{self.path}`"
        return f"`{self.path}`"


def compare_schema(ctx: Context, old: Any, new: Any, pointer: str = "") -> list[Change]:
    """Every change from `old` to `new` at and below `pointer`, for the model in `ctx`."""
    if kw.canonical(old) == kw.canonical(new):
        return []
    o, n = kw.as_schema(old), kw.as_schema(new)
    out: list[Change] = []

    def emit(rule: str, key: str, what: str) -> None:
        out.append(
            change(
                rule, ctx.model, f"{pointer}/{escape_pointer_token(key)}" if key else pointer, what
            )
        )

    _types(ctx, o, n, emit)
    _enum(ctx, o, n, emit)
    _bounds(ctx, o, n, emit)
    _formats(ctx, o, n, emit)
    _annotations(ctx, o, n, emit)
    _others(o, n, emit)
    out += _properties(ctx, o, n, pointer)
    out += _additional_properties(ctx, o, n, pointer, emit)
    out += _items(ctx, o, n, pointer, emit)
    out += _compositions(ctx, o, n, pointer, emit)
    for key in _COVARIANT_MAPS:
        out += _schema_map(ctx, key, o.get(key), n.get(key), pointer, emit)
    return out


Emit = Callable[[str, str, str], None]


def _types(ctx: Context, o: dict[str, Any], n: dict[str, Any], emit: Emit) -> None:
    before, after = kw.accepted_types(o), kw.accepted_types(n)
    if before == after:
        return
    key = "type" if kw.canonical(o.get("type")) != kw.canonical(n.get("type")) else "nullable"
    shift = f"{kw.describe_types(before)} -> {kw.describe_types(after)}"
    if after < before:
        lost = before - after
        if lost == {"null"}:
            emit(
                "type-narrowed",
                key,
                f"{ctx.subject()} no longer accepts null ({shift}): passing None now fails validation",
            )
        else:
            emit(
                "type-narrowed",
                key,
                f"{ctx.subject()} accepts fewer types ({shift}): {kw.describe_types(frozenset(lost))} values now fail validation",
            )
    elif after > before:
        gained = "null (None)" if after - before == {"null"} else kw.describe_types(after - before)
        emit("type-widened", key, f"{ctx.subject()} now also accepts {gained} ({shift})")
    else:
        emit(
            "type-changed",
            key,
            f"type of {ctx.subject()} changed incompatibly ({shift}): values of the old type now fail validation",
        )


def _enum(ctx: Context, o: dict[str, Any], n: dict[str, Any], emit: Emit) -> None:
    before, after = o.get("enum"), n.get("enum")
    if kw.canonical(before) == kw.canonical(after):
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


def _bounds(ctx: Context, o: dict[str, Any], n: dict[str, Any], emit: Emit) -> None:
    for lower in (True, False):
        _bound_change(
            ctx, lower, kw.numeric_bound(o, lower), kw.numeric_bound(n, lower), "value", emit
        )
    for low_key, high_key, noun in _COUNTS:
        _bound_change(ctx, True, kw.count_bound(o, low_key), kw.count_bound(n, low_key), noun, emit)
        _bound_change(
            ctx, False, kw.count_bound(o, high_key), kw.count_bound(n, high_key), noun, emit
        )
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
    unique_before, unique_after = o.get("uniqueItems") is True, n.get("uniqueItems") is True
    if unique_after and not unique_before:
        emit(
            "unique-items-added",
            "uniqueItems",
            f"{ctx.subject()} must now hold unique items: lists with repeats now fail validation",
        )
    elif unique_before and not unique_after:
        emit("unique-items-removed", "uniqueItems", f"{ctx.subject()} may now hold repeated items")


def _formats(ctx: Context, o: dict[str, Any], n: dict[str, Any], emit: Emit) -> None:
    for key in ("pattern", "format"):
        before, after = o.get(key), n.get(key)
        if kw.canonical(before) == kw.canonical(after):
            continue
        if before is None:
            emit(
                f"{key}-added",
                key,
                f"{ctx.subject()} must now match {key} {kw.short(after)}: values valid before may now be refused",
            )
        elif after is None:
            emit(f"{key}-removed", key, f"{ctx.subject()} no longer has {key} {kw.short(before)}")
        else:
            emit(
                f"{key}-changed",
                key,
                f"{key} of {ctx.subject()} changed ({kw.short(before)} -> {kw.short(after)}): values valid before may now be refused",
            )


def _annotations(ctx: Context, o: dict[str, Any], n: dict[str, Any], emit: Emit) -> None:
    before, after = o.get("default"), n.get("default")
    if "default" in o and "default" not in n:
        emit(
            "default-removed",
            "default",
            f"default of {ctx.subject()} ({kw.short(before)}) is no longer documented: what omitting it means may change",
        )
    elif "default" in n and "default" not in o:
        emit(
            "default-added",
            "default",
            f"{ctx.subject()} now documents a default of {kw.short(after)}",
        )
    elif kw.canonical(before) != kw.canonical(after):
        emit(
            "default-changed",
            "default",
            f"default of {ctx.subject()} changed from {kw.short(before)} to {kw.short(after)}: calls that omit it now behave differently",
        )
    for key in ("title", "description"):
        if kw.canonical(o.get(key)) != kw.canonical(n.get(key)):
            emit(
                f"{key}-changed",
                key,
                f"{key} of {ctx.subject()} changed: {kw.short(o.get(key))} -> {kw.short(n.get(key))}",
            )
    if n.get("deprecated") is True and o.get("deprecated") is not True:
        emit(
            "property-deprecated",
            "deprecated",
            f"{ctx.subject()} is now deprecated: plan to stop passing it",
        )
    elif kw.canonical(o.get("deprecated")) != kw.canonical(n.get("deprecated")):
        emit("annotation-changed", "deprecated", f"{ctx.subject()} is no longer deprecated")
    for key in sorted(set(o) | set(n)):
        if (
            is_annotation(key)
            and key not in _OWN_ANNOTATIONS
            and kw.canonical(o.get(key)) != kw.canonical(n.get(key))
        ):
            emit(
                "annotation-changed",
                key,
                f"annotation {key} of {ctx.subject()} changed: {kw.short(o.get(key))} -> {kw.short(n.get(key))}",
            )


def _others(o: dict[str, Any], n: dict[str, Any], emit: Emit) -> None:
    for key in sorted(set(o) | set(n)):
        if (
            is_annotation(key)
            or key in _HANDLED
            or kw.canonical(o.get(key)) == kw.canonical(n.get(key))
        ):
            continue
        verb = "added" if key not in o else "removed" if key not in n else "changed"
        what = f"{kw.short(o.get(key))} -> {kw.short(n.get(key))}"
        emit(
            "constraint-changed",
            key,
            f"`{key}` {verb} ({what}): not judged automatically, review by hand",
        )


def _properties(ctx: Context, o: dict[str, Any], n: dict[str, Any], pointer: str) -> list[Change]:
    old_props: dict[str, Any] = o.get("properties") or {}
    new_props: dict[str, Any] = n.get("properties") or {}
    old_req, new_req = set(o.get("required") or []), set(n.get("required") or [])
    if kw.canonical(old_props) == kw.canonical(new_props) and old_req == new_req:
        return []
    old_names, new_names = naming.field_names(old_props), naming.field_names(new_props)
    out: list[Change] = []
    for name in sorted(set(old_props) | set(new_props) | old_req | new_req):
        in_old, in_new = name in old_props, name in new_props
        where = (
            f"{pointer}/properties/{escape_pointer_token(name)}"
            if in_old or in_new
            else f"{pointer}/required"
        )
        python = new_names.get(name) or old_names.get(name) or name
        sub = ctx.child(python)
        if in_old and not in_new:
            out.append(
                change(
                    "property-removed",
                    ctx.model,
                    where,
                    f"property {name!r} removed: {sub.subject()} is gone; code passing it now fails",
                )
            )
            continue
        if in_new and not in_old:
            if name in new_req:
                out.append(
                    change(
                        "property-added-required",
                        ctx.model,
                        where,
                        f"new required property {name!r}: {sub.subject()} must now be passed; existing calls fail validation",
                    )
                )
            else:
                out.append(
                    change(
                        "property-added-optional",
                        ctx.model,
                        where,
                        f"new optional property {name!r}: {sub.subject()}",
                    )
                )
            continue
        if name in new_req and name not in old_req:
            out.append(
                change(
                    "property-became-required",
                    ctx.model,
                    where,
                    f"{sub.subject()} is now required: calls that omit it now fail validation",
                )
            )
        elif name in old_req and name not in new_req:
            out.append(
                change(
                    "property-became-optional", ctx.model, where, f"{sub.subject()} is now optional"
                )
            )
        if in_old and old_names[name] != new_names[name]:
            out.append(
                change(
                    "property-python-name-changed",
                    ctx.model,
                    where,
                    f"property {name!r} keeps its wire name but its Python name changes from `{old_names[name]}` to `{new_names[name]}` (names collide differently): code using `{old_names[name]}` breaks",
                )
            )
        if in_old:
            out += compare_schema(sub, old_props[name], new_props[name], where)
    return out


def _additional_properties(
    ctx: Context, o: dict[str, Any], n: dict[str, Any], pointer: str, emit: Emit
) -> list[Change]:
    before, after = o.get("additionalProperties"), n.get("additionalProperties")
    if kw.canonical(before) == kw.canonical(after):
        return []

    def kind(value: Any) -> str:
        return "any" if value in (None, True, {}) else "none" if value is False else "schema"

    k_before, k_after = kind(before), kind(after)
    key = "additionalProperties"
    if k_before == "schema" and k_after == "schema":
        return compare_schema(ctx.child("{}"), before, after, f"{pointer}/{key}")
    if k_before == k_after:
        return []
    if k_after == "none" or k_before == "any":
        emit(
            "additional-properties-restricted",
            key,
            f"{ctx.subject()} no longer accepts {'extra keys' if k_after == 'none' else 'extra keys of any shape'} ({kw.short(before)} -> {kw.short(after)}): extra_body keys that passed before are refused",
        )
    else:
        emit(
            "additional-properties-allowed",
            key,
            f"{ctx.subject()} now accepts extra keys it refused ({kw.short(before)} -> {kw.short(after)})",
        )
    return []


def _items(
    ctx: Context, o: dict[str, Any], n: dict[str, Any], pointer: str, emit: Emit
) -> list[Change]:
    out: list[Change] = []
    before, after = o.get("items"), n.get("items")
    if isinstance(before, list) or isinstance(after, list):  # draft-07 tuple form
        out += _tuple(ctx, "items", before, after, pointer, emit)
    elif kw.canonical(before) != kw.canonical(after):
        out += compare_schema(ctx.child("[]"), before, after, f"{pointer}/items")
    out += _tuple(ctx, "prefixItems", o.get("prefixItems"), n.get("prefixItems"), pointer, emit)
    return out


def _tuple(
    ctx: Context, key: str, before: Any, after: Any, pointer: str, emit: Emit
) -> list[Change]:
    if kw.canonical(before) == kw.canonical(after):
        return []
    if not isinstance(before, list) or not isinstance(after, list) or len(before) != len(after):
        emit(
            "constraint-changed",
            key,
            f"tuple `{key}` of {ctx.subject()} changed shape: review by hand",
        )
        return []
    out: list[Change] = []
    for i, (a, b) in enumerate(zip(before, after, strict=True)):
        out += compare_schema(ctx.child(f"[{i}]"), a, b, f"{pointer}/{key}/{i}")
    return out


def _compositions(
    ctx: Context, o: dict[str, Any], n: dict[str, Any], pointer: str, emit: Emit
) -> list[Change]:
    out: list[Change] = []
    for key in _COMPOSITIONS:
        before, after = o.get(key) or [], n.get(key) or []
        if (
            kw.canonical(before) == kw.canonical(after)
            or not isinstance(before, list)
            or not isinstance(after, list)
        ):
            continue
        # Pair identical members first, then the rest by position; the leftovers were added or removed.
        new_left = list(range(len(after)))
        old_left = []
        for i, member in enumerate(before):
            match = next(
                (j for j in new_left if kw.canonical(after[j]) == kw.canonical(member)), None
            )
            if match is None:
                old_left.append(i)
            else:
                new_left.remove(match)
        for i, j in zip(old_left, new_left, strict=False):
            out += compare_schema(ctx, before[i], after[j], f"{pointer}/{key}/{j}")
        is_all_of = key == "allOf"
        for i in old_left[len(new_left) :]:
            rule = "composition-widened" if is_all_of else "composition-narrowed"
            out.append(
                change(
                    rule,
                    ctx.model,
                    f"{pointer}/{key}/{i}",
                    f"{key} member {kw.short(before[i])} of {ctx.subject()} removed",
                )
            )
        for j in new_left[len(old_left) :]:
            rule = "composition-narrowed" if is_all_of else "composition-widened"
            out.append(
                change(
                    rule,
                    ctx.model,
                    f"{pointer}/{key}/{j}",
                    f"{key} member {kw.short(after[j])} added to {ctx.subject()}",
                )
            )
    return out


def _schema_map(
    ctx: Context, key: str, before: Any, after: Any, pointer: str, emit: Emit
) -> list[Change]:
    if kw.canonical(before) == kw.canonical(after):
        return []
    if not isinstance(before, dict) or not isinstance(after, dict):
        emit(
            "constraint-changed",
            key,
            f"`{key}` of {ctx.subject()} {'added' if before is None else 'removed' if after is None else 'changed'}: review by hand",
        )
        return []
    out: list[Change] = []
    for name in sorted(set(before) | set(after)):
        where = f"{pointer}/{key}/{escape_pointer_token(name)}"
        if name in before and name in after:
            out += compare_schema(ctx, before[name], after[name], where)
        else:
            verb = "added" if name in after else "removed"
            out.append(
                change(
                    "constraint-changed",
                    ctx.model,
                    where,
                    f"`{key}` entry {name!r} {verb}: review by hand",
                )
            )
    return out


assert all(k in SUBSCHEMA_KEYWORDS for k in _COVARIANT_MAPS + _COMPOSITIONS)
