"""Comparing two versions of one model's `request_schema`, recursively.

Every change is reported at the JSON pointer of the keyword (or property) that changed, and its
message says what a user of the generated client feels: which keyword argument or field, and how
a call that worked before fails now. What one level accepts as a value is judged as a whole by
:mod:`oxgen.diff.values`; structure below it (`properties`, `items`, `additionalProperties`,
`patternProperties`, ...) is followed only for the JSON types both sides accept, so a value that
stops being a list does not drag item-level reports along. Subschemas are followed where
narrowing them narrows the whole (`properties`, `items`, `anyOf`/`oneOf`/`allOf` members,
`dependentSchemas`, ...); keywords with other semantics (`not`, a changed `if`, `$ref`, ...) are
compared as values and any change is a `constraint-changed` warning for a human to judge.
"""

from __future__ import annotations

from typing import Any

from ..vocabulary import SUBSCHEMA_KEYWORDS, escape_pointer_token, is_annotation
from . import keywords as kw
from . import values
from .context import Context, Emit
from .properties import compare_properties, safe
from .restrictions import refuses_nothing
from .rules import RULES, Change, change
from .values import compare_values


def compare_schema(ctx: Context, old: Any, new: Any, pointer: str = "") -> list[Change]:
    """Every change from `old` to `new` at and below `pointer`, for the model in `ctx`."""
    if kw.canonical(old) == kw.canonical(new):
        return []
    o, n = kw.as_schema(old), kw.as_schema(new)
    wrapped = _wrapped(ctx, o, n, pointer)
    if wrapped is not None:
        return wrapped
    out: list[Change] = []

    def emit(rule: str, key: str, what: str) -> None:
        out.append(
            change(
                rule, ctx.model, f"{pointer}/{escape_pointer_token(key)}" if key else pointer, what
            )
        )

    shared = compare_values(ctx, o, n, emit)
    if "object" in shared:
        out += compare_properties(ctx, o, n, pointer, compare_schema)
        out += _additional_properties(ctx, o, n, pointer, emit)
        for key in ("patternProperties", "dependentSchemas"):
            out += _schema_map(ctx, key, o, n, pointer, emit)
    if "array" in shared:
        out += _items(ctx, o, n, pointer, emit)
    out += _compositions(ctx, o, n, pointer, emit)
    for key in ("$defs", "definitions"):
        out += _schema_map(ctx, key, o, n, pointer, emit)
    return out


def _wrapped(
    ctx: Context, o: dict[str, Any], n: dict[str, Any], pointer: str
) -> list[Change] | None:
    """A schema moved into a composition, its level keeping annotations only (``S`` ->
    ``anyOf: [S, {type: null}]``, ``S`` -> ``allOf: [S, {description: ...}]``): judged by
    comparing the old schema with the members. None when this is not such a move, or when no
    judgement comes of it (the general comparison then reports)."""
    if any(k in o for k in kw.COMPOSITIONS):
        return None
    rest = {k for k in n if not is_annotation(k)}
    if (
        len(rest) != 1
        or not isinstance(n.get(key := rest.pop()), list)
        or key not in kw.COMPOSITIONS
    ):
        return None
    members: list[Any] = n[key]
    if not members:
        return None
    subject = ctx.subject()
    if key == "allOf":  # the new schema accepts what every member accepts
        out: list[Change] = []
        for j, member in enumerate(members):
            where = f"{pointer}/allOf/{j}"
            if refuses_nothing(member):
                out.append(
                    change(
                        "all-of-annotation-added",
                        ctx.model,
                        where,
                        f"{subject} moved into an allOf with {kw.short(member)}: it carries annotations only and refuses nothing",
                    )
                )
            else:
                out += compare_schema(ctx, o, member, where)
        return out
    if key == "oneOf" and not all(
        _disjoint(members[i], members[j])
        for i in range(len(members))
        for j in range(i + 1, len(members))
    ):
        return None
    # `nullable: true` moved into a null alternative: the rest must fit one member, null another.
    nullable = o.get("nullable") is True
    base = {k: v for k, v in o.items() if k != "nullable"} if nullable else o
    takes_null = [values.accepts_null(kw.as_schema(m)) is True for m in members]
    if nullable and not any(takes_null):
        return None
    for j, member in enumerate(members):
        found = compare_schema(ctx, base, member, f"{pointer}/{key}/{j}")
        if not safe(found):
            continue
        others = [
            change(
                "composition-widened",
                ctx.model,
                f"{pointer}/{key}/{i}",
                f"{subject} moved into a {key}; it now also accepts {kw.short(other)}",
            )
            for i, other in enumerate(members)
            if i != j and not (nullable and takes_null[i] and _only_null(other))
        ]
        return found + others
    return None


def _only_null(schema: Any) -> bool:
    """Whether a schema accepts null and nothing else (`{type: null}`, `{const: null}`)."""
    s = kw.as_schema(schema)
    listed = values.listed_values(s)
    if listed is not None:
        return all(v is None for v in listed)
    return kw.accepted_types(s) == {"null"}


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
        out += _tuple(ctx, before, after, pointer, emit)
    elif kw.canonical(before) != kw.canonical(after):
        out += compare_schema(ctx.child("[]"), before, after, f"{pointer}/items")
    out += _prefix_items(ctx, o, n, pointer, emit)
    return out


def _tuple(ctx: Context, before: Any, after: Any, pointer: str, emit: Emit) -> list[Change]:
    if kw.canonical(before) == kw.canonical(after):
        return []
    if not isinstance(before, list) or not isinstance(after, list) or len(before) != len(after):
        emit(
            "constraint-changed",
            "items",
            f"tuple `items` of {ctx.subject()} changed shape: review by hand",
        )
        return []
    out: list[Change] = []
    for i, (a, b) in enumerate(zip(before, after, strict=True)):
        out += compare_schema(ctx.child(f"[{i}]"), a, b, f"{pointer}/items/{i}")
    return out


def _prefix_items(
    ctx: Context, o: dict[str, Any], n: dict[str, Any], pointer: str, emit: Emit
) -> list[Change]:
    """`prefixItems` member by member. A member added restricts its position (breaking); one
    removed hands its position to `items`, which lifts the restriction only when the new `items`
    (and `unevaluatedItems`) refuse nothing."""
    before, after = o.get("prefixItems"), n.get("prefixItems")
    if kw.canonical(before) == kw.canonical(after):
        return []
    if not isinstance(before or [], list) or not isinstance(after or [], list):
        emit(
            "constraint-changed",
            "prefixItems",
            f"`prefixItems` of {ctx.subject()} changed: review by hand",
        )
        return []
    old_members: list[Any] = before or []
    new_members: list[Any] = after or []
    out: list[Change] = []
    for i, (a, b) in enumerate(zip(old_members, new_members, strict=False)):
        out += compare_schema(ctx.child(f"[{i}]"), a, b, f"{pointer}/prefixItems/{i}")
    subject = ctx.subject()
    for i in range(len(old_members), len(new_members)):
        out.append(
            change(
                "constraint-added",
                ctx.model,
                f"{pointer}/prefixItems/{i}",
                f"`prefixItems` member {i} ({kw.short(new_members[i])}) added to {subject}: lists valid before may now fail validation",
            )
        )
    rest_free = refuses_nothing(n.get("items", True)) and refuses_nothing(
        n.get("unevaluatedItems", True)
    )
    for i in range(len(new_members), len(old_members)):
        out.append(
            change(
                "constraint-removed" if rest_free else "constraint-changed",
                ctx.model,
                f"{pointer}/prefixItems/{i}",
                f"`prefixItems` member {i} ({kw.short(old_members[i])}) of {subject} removed"
                + ("" if rest_free else ": `items` now governs that position, review by hand"),
            )
        )
    return out


def _disjoint(a: Any, b: Any) -> bool:
    """Whether no value can match both schemas (decided on `type` and listed values only)."""
    x, y = kw.as_schema(a), kw.as_schema(b)
    if not kw.accepted_types(x) & kw.accepted_types(y):
        return True
    for first, second in ((x, y), (y, x)):
        listed = values.listed_values(first)
        if listed is None or any(k in first or k in second for k in kw.APPLICATORS):
            continue
        if all(values.accepts(second, v) is False for v in listed):
            return True
    return False


def _compositions(
    ctx: Context, o: dict[str, Any], n: dict[str, Any], pointer: str, emit: Emit
) -> list[Change]:
    out: list[Change] = []
    for key in kw.COMPOSITIONS:
        before, after = o.get(key) or [], n.get(key) or []
        if (
            kw.canonical(before) == kw.canonical(after)
            or not isinstance(before, list)
            or not isinstance(after, list)
        ):
            continue
        if key != "allOf" and (not before or not after):
            # An absent anyOf/oneOf refuses nothing; an empty one would refuse everything.
            out.append(_alternatives_toggled(ctx, key, before, after, pointer))
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
        found: list[Change] = []
        for i, j in zip(old_left, new_left, strict=False):
            found += compare_schema(ctx.member(), before[i], after[j], f"{pointer}/{key}/{j}")
        is_all_of = key == "allOf"
        for i in old_left[len(new_left) :]:
            rule = "composition-widened" if is_all_of else "composition-narrowed"
            found.append(
                change(
                    rule,
                    ctx.model,
                    f"{pointer}/{key}/{i}",
                    f"{key} member {kw.short(before[i])} of {ctx.subject()} removed",
                )
            )
        for j in new_left[len(old_left) :]:
            where = f"{pointer}/{key}/{j}"
            if is_all_of and refuses_nothing(after[j]):
                found.append(
                    change(
                        "all-of-annotation-added",
                        ctx.model,
                        where,
                        f"allOf member {kw.short(after[j])} added to {ctx.subject()}: it carries annotations only and refuses nothing",
                    )
                )
                continue
            rule = "composition-narrowed" if is_all_of else "composition-widened"
            found.append(
                change(
                    rule,
                    ctx.model,
                    where,
                    f"{key} member {kw.short(after[j])} added to {ctx.subject()}",
                )
            )
        out += found
        if key == "oneOf" and _may_overlap(after, found):
            emit(
                "constraint-changed",
                "oneOf",
                f"oneOf alternatives of {ctx.subject()} may overlap after this change: a value matching two of them is refused, review by hand",
            )
    return out


def _alternatives_toggled(
    ctx: Context, key: str, before: list[Any], after: list[Any], pointer: str
) -> Change:
    if after:
        if key == "anyOf" and any(refuses_nothing(m) for m in after):
            return change(
                "composition-widened",
                ctx.model,
                f"{pointer}/{key}",
                f"{key} added to {ctx.subject()} with a member that refuses nothing",
            )
        return change(
            "composition-narrowed",
            ctx.model,
            f"{pointer}/{key}",
            f"{key} added to {ctx.subject()}: values must now match {'one' if key == 'oneOf' else 'one or more'} of {kw.short(after)}",
        )
    return change(
        "composition-widened",
        ctx.model,
        f"{pointer}/{key}",
        f"{key} of {ctx.subject()} removed: values no longer need to match one of {kw.short(before)}",
    )


def _may_overlap(members: list[Any], found: list[Change]) -> bool:
    """Whether a widening inside `oneOf` may make a value match two alternatives (refused)."""
    widened = any(c.level != "breaking" and RULES[c.rule].kind != "docs" for c in found)
    if not widened:
        return False
    return not all(
        _disjoint(members[i], members[j])
        for i in range(len(members))
        for j in range(i + 1, len(members))
    )


def _schema_map(
    ctx: Context, key: str, o: dict[str, Any], n: dict[str, Any], pointer: str, emit: Emit
) -> list[Change]:
    before, after = o.get(key), n.get(key)
    if kw.canonical(before) == kw.canonical(after):
        return []
    restricting = key in ("patternProperties", "dependentSchemas")
    if restricting:
        before = {} if before is None else before
        after = {} if after is None else after
    if not isinstance(before, dict) or not isinstance(after, dict):
        emit(
            "constraint-changed",
            key,
            f"`{key}` of {ctx.subject()} {'added' if before is None else 'removed' if after is None else 'changed'}: review by hand",
        )
        return []
    sub = ctx.child("{}") if key == "patternProperties" else ctx.member()
    # A patternProperties entry removed hands its keys to additionalProperties.
    rest_free = key != "patternProperties" or (
        refuses_nothing(n.get("additionalProperties", True))
        and refuses_nothing(n.get("unevaluatedProperties", True))
    )
    out: list[Change] = []
    for name in sorted(set(before) | set(after)):
        where = f"{pointer}/{key}/{escape_pointer_token(name)}"
        if name in before and name in after:
            out += compare_schema(sub, before[name], after[name], where)
            continue
        verb = "added" if name in after else "removed"
        if not restricting:
            rule = "constraint-changed"
        elif name in after:
            rule = "constraint-added"
        else:
            rule = "constraint-removed" if rest_free else "constraint-changed"
        what = {
            "constraint-added": ": values valid before may now fail validation",
            "constraint-removed": "",
        }.get(rule, ": review by hand")
        out.append(
            change(
                rule, ctx.model, where, f"`{key}` entry {name!r} of {ctx.subject()} {verb}{what}"
            )
        )
    return out


assert all(k in SUBSCHEMA_KEYWORDS for k in kw.COVARIANT_MAPS + kw.COMPOSITIONS)
