"""Comparing two versions of one model's `request_schema`, keyword by keyword, recursively.

Every change is reported at the JSON pointer of the keyword (or property) that changed, and its
message says what a user of the generated client feels: which keyword argument or field, and how
a call that worked before fails now. Subschemas are followed where narrowing them narrows the
whole (`properties`, `items`, `additionalProperties`, `anyOf`/`oneOf`/`allOf`, `$defs`, ...);
keywords with other semantics (`not`, `if`, `const`, `$ref`, ...) are compared as values and any
change is a `constraint-changed` warning for a human to judge.
"""

from __future__ import annotations

from typing import Any

from .. import naming
from ..normalise import SUBSCHEMA_KEYWORDS, escape_pointer_token
from . import keywords as kw
from .rules import Change, change
from .values import COMPOSITIONS, COVARIANT_MAPS, Context, Emit, compare_values


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

    compare_values(ctx, o, n, emit)
    out += _properties(ctx, o, n, pointer)
    out += _additional_properties(ctx, o, n, pointer, emit)
    out += _items(ctx, o, n, pointer, emit)
    out += _compositions(ctx, o, n, pointer, emit)
    for key in COVARIANT_MAPS:
        out += _schema_map(ctx, key, o.get(key), n.get(key), pointer, emit)
    return out


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
    for key in COMPOSITIONS:
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


assert all(k in SUBSCHEMA_KEYWORDS for k in COVARIANT_MAPS + COMPOSITIONS)
