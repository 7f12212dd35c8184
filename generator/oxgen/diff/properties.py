"""Comparing the properties of two object schemas: which keyword arguments (or fields) were
added, removed, renamed, became required or optional, changed their Python names or their order.
Each property's own schema is compared by the caller's recursion (:mod:`oxgen.diff.schemas`)."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import naming
from ..normalise import to_standard
from ..vocabulary import escape_pointer_token, strip_annotations
from . import keywords as kw
from .context import Context
from .restrictions import refuses_nothing
from .rules import UNDECIDED, Change, change

# How a property's own schema is compared: (its context, old, new, its pointer) -> changes.
Recurse = Callable[[Context, Any, Any, str], list[Change]]


def compare_properties(
    ctx: Context, o: dict[str, Any], n: dict[str, Any], pointer: str, recurse: Recurse
) -> list[Change]:
    """Every change to the properties of two object schemas of the same place: added, removed,
    renamed, required or not, Python names, order; each property's own schema by `recurse`."""
    old_props: dict[str, Any] = o.get("properties") or {}
    new_props: dict[str, Any] = n.get("properties") or {}
    old_req, new_req = set(o.get("required") or []), set(n.get("required") or [])
    if kw.canonical(old_props) == kw.canonical(new_props) and old_req == new_req:
        return []
    declared = _keys_declared(ctx, o, new_props, old_req, new_req, pointer)
    if declared is not None:
        return [declared]
    sides = _Sides(
        o,
        old_props,
        new_props,
        old_req,
        new_req,
        naming.field_names(old_props),
        naming.field_names(new_props),
        pointer,
    )
    renames = _renames(
        old_props,
        new_props,
        sorted(set(old_props) - set(new_props)),
        sorted(set(new_props) - set(old_props)),
    )
    renamed_to = set(renames.values())
    out: list[Change] = []
    for name in sorted(set(old_props) | set(new_props) | old_req | new_req):
        if name in renames:
            out.append(_renamed(ctx, name, renames[name], sides))
        elif name not in renamed_to:
            out += _property(ctx, name, sides, recurse)
    moved = _moved(old_props, new_props, sides.new_names)
    if moved:
        whose = "keyword arguments" if not ctx.path else f"fields of {ctx.subject()}"
        out.append(
            change(
                "properties-reordered",
                ctx.model,
                pointer,
                f"order of the {whose} changed (x-order of {', '.join(f'`{m}`' for m in moved)}): every generated argument is keyword-only, so no call changes",
            )
        )
    return out


@dataclass(frozen=True)
class _Sides:
    """The properties of both sides of one object, as the per-property checks read them."""

    o: dict[str, Any]  # the old object schema
    old_props: dict[str, Any]
    new_props: dict[str, Any]
    old_req: set[str]
    new_req: set[str]
    old_names: dict[str, str]  # wire name -> Python name
    new_names: dict[str, str]
    pointer: str

    def where(self, name: str) -> str:
        if name in self.old_props or name in self.new_props:
            return f"{self.pointer}/properties/{escape_pointer_token(name)}"
        return f"{self.pointer}/required"


def _keys_declared(
    ctx: Context,
    o: dict[str, Any],
    new_props: dict[str, Any],
    old_req: set[str],
    new_req: set[str],
    pointer: str,
) -> Change | None:
    """A free-form object (a dict of anything) that now declares its keys: not new optional
    arguments, but constraints on keys whose values were free."""
    if not (
        ctx.path
        and not o.get("properties")
        and new_props
        and refuses_nothing(o.get("additionalProperties", True))
        and not _member_properties(o)
    ):
        return None
    now_required = sorted(new_req - old_req)
    required = f"; now required: {', '.join(now_required)}" if now_required else ""
    return change(
        "constraint-added",
        ctx.model,
        f"{pointer}/properties",
        f"{ctx.subject()} was a free-form object and now declares properties ({', '.join(sorted(new_props))}{required}): values under these keys that passed before may now fail validation",
    )


def _property(ctx: Context, name: str, sides: _Sides, recurse: Recurse) -> list[Change]:
    """The changes of one property (by wire name) present on either side."""
    in_old, in_new = name in sides.old_props, name in sides.new_props
    python = sides.new_names.get(name) or sides.old_names.get(name) or name
    sub = ctx.child(python, required=name in sides.old_req and name in sides.new_req)
    where = sides.where(name)
    if in_old and not in_new:
        return [
            change(
                "property-removed",
                ctx.model,
                where,
                f"property {name!r} removed: {sub.subject()} is gone; code passing it now fails",
            )
        ]
    if in_new and not in_old:
        return [_added(ctx, name, sub, sides, recurse)]
    out: list[Change] = []
    if name in sides.new_req and name not in sides.old_req:
        out.append(
            change(
                "property-became-required",
                ctx.model,
                where,
                f"{sub.subject()} is now required: calls that omit it now fail validation",
            )
        )
    elif name in sides.old_req and name not in sides.new_req:
        out.append(
            change("property-became-optional", ctx.model, where, f"{sub.subject()} is now optional")
        )
    if in_old and sides.old_names[name] != sides.new_names[name]:
        before, after = sides.old_names[name], sides.new_names[name]
        out.append(
            change(
                "property-python-name-changed",
                ctx.model,
                where,
                f"property {name!r} keeps its wire name but its Python name changes from `{before}` to `{after}` (names collide differently): code using `{before}` breaks",
            )
        )
    if in_old:
        out += recurse(sub, sides.old_props[name], sides.new_props[name], where)
    return out


def _added(ctx: Context, name: str, sub: Context, sides: _Sides, recurse: Recurse) -> Change:
    """A property that only the new side has."""
    where, o = sides.where(name), sides.o
    if name in sides.new_req:
        return change(
            "property-added-required",
            ctx.model,
            where,
            f"new required property {name!r}: {sub.subject()} must now be passed; existing calls fail validation",
        )
    if _covered_by_additional(sub, o, sides.new_props[name], recurse):
        return change(
            "constraint-changed",
            ctx.model,
            where,
            f"new property {name!r} of {ctx.subject()} was covered by additionalProperties {kw.short(o.get('additionalProperties'))}: values accepted there may now be refused, review by hand",
        )
    if name in _member_properties(o):
        return change(
            "constraint-changed",
            ctx.model,
            where,
            f"new property {name!r} of {ctx.subject()} is also declared by an anyOf/oneOf/allOf member: values it accepted there may now be refused, review by hand",
        )
    return change(
        "property-added-optional",
        ctx.model,
        where,
        f"new optional property {name!r}: {sub.subject()}",
    )


def safe(changes: list[Change]) -> bool:
    """Whether none of `changes` breaks a call or needs a human to judge it."""
    return not any(c.level == "breaking" or c.rule in UNDECIDED for c in changes)


def shape(schema: Any) -> str:
    """What a schema accepts, without its annotations (`format` kept): equal shapes accept the
    same values."""
    fmt = schema.get("format") if isinstance(schema, dict) else None
    return kw.canonical([strip_annotations(to_standard(schema)), fmt])


def _renames(
    old_props: dict[str, Any], new_props: dict[str, Any], removed: list[str], added: list[str]
) -> dict[str, str]:
    """Removed properties paired with an added one of the same shape and a similar name or the
    same description: most likely renamed."""
    pairs: dict[str, str] = {}
    for old_name in removed:
        for new_name in added:
            if new_name in pairs.values() or shape(old_props[old_name]) != shape(
                new_props[new_name]
            ):
                continue
            before, after = kw.as_schema(old_props[old_name]), kw.as_schema(new_props[new_name])
            if _resemble(old_name, new_name, before, after):
                pairs[old_name] = new_name
                break
    return pairs


def _stem(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "").removesuffix("s")


def _resemble(old_name: str, new_name: str, before: dict[str, Any], after: dict[str, Any]) -> bool:
    """The same description or title; or names that differ only in case, separators or a plural
    `s`, or where one contains the other; or, when the descriptions do not say otherwise, names
    that are close (`input_images` / `input_image`, `guidance` / `guidance_scale`)."""
    for key in ("description", "title"):
        if before.get(key) and kw.canonical(before.get(key)) == kw.canonical(after.get(key)):
            return True
    a, b = _stem(old_name), _stem(new_name)
    if a == b or (min(len(a), len(b)) >= 4 and (a in b or b in a)):
        return True
    described = before.get("description") and after.get("description")
    return not described and difflib.SequenceMatcher(None, a, b).ratio() >= 0.8


def _argument_order(props: dict[str, Any]) -> list[str]:
    """Property names in the order the generated signature and class list them: by `x-order`,
    then as written (the generator's order)."""

    def key(name: str) -> tuple[int, float]:
        order = kw.as_schema(props[name]).get("x-order")
        return (0, order) if kw.is_number(order) else (1, 0)

    return sorted(props, key=key)


def _moved(
    old_props: dict[str, Any], new_props: dict[str, Any], names: dict[str, str]
) -> list[str]:
    """The Python names of properties present on both sides whose relative order changed (a
    property inserted that shifts every `x-order` after it moves nothing)."""
    common = set(old_props) & set(new_props)
    before = [n for n in _argument_order(old_props) if n in common]
    after = [n for n in _argument_order(new_props) if n in common]
    return [names[a] for a, b in zip(before, after, strict=True) if a != b]


def _covered_by_additional(ctx: Context, o: dict[str, Any], schema: Any, recurse: Recurse) -> bool:
    """Whether a new property's key was accepted before by a restricting `additionalProperties`
    schema whose values the property's schema may refuse."""
    extra = o.get("additionalProperties")
    if extra is None or extra is False or refuses_nothing(extra):
        return False
    return not safe(recurse(ctx, extra, schema, ""))


def _member_properties(schema: dict[str, Any]) -> set[str]:
    """Property names the composition members of a level declare (at any depth of members)."""
    names: set[str] = set()
    for key in kw.COMPOSITIONS:
        for member in schema.get(key) or []:
            if isinstance(member, dict):
                names |= set(member.get("properties") or {}) | _member_properties(member)
    return names


def _renamed(ctx: Context, old: str, new: str, sides: _Sides) -> Change:
    old_python, new_python = sides.old_names[old], sides.new_names[new]
    required = ", and it is required" if new in sides.new_req else ""
    return change(
        "property-renamed",
        ctx.model,
        sides.where(old),
        f"property {old!r} removed and {new!r} added with the same type and constraints: most likely renamed; {ctx.child(old_python).subject()} is gone, code passing it must pass `{new_python}` instead{required}",
    )
