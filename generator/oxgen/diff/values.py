"""Comparing the keywords of one schema level that constrain values, not structure: types,
`enum`, numeric and length bounds, `multipleOf`, `uniqueItems`, `pattern`, `format`, defaults,
documentation and annotation keys, and (as a catch-all) any other validation keyword.

Each check calls `emit(rule, keyword, what)`; the caller turns that into a change at the keyword's
pointer. :class:`Context` says, in Python terms, where the comparison is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..normalise import is_annotation
from . import keywords as kw

_NUMERIC = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_COUNTS = (
    ("minLength", "maxLength", "length"),
    ("minItems", "maxItems", "item count"),
    ("minProperties", "maxProperties", "property count"),
    ("minContains", "maxContains", "contains count"),
)
COVARIANT_MAPS = ("patternProperties", "$defs", "definitions", "dependentSchemas")
COMPOSITIONS = ("anyOf", "oneOf", "allOf")
# Keywords judged by a rule here or followed by oxgen.diff.schemas; any other validation keyword
# falls to `constraint-changed`.
_HANDLED = frozenset(
    {"type", "enum", "multipleOf", "uniqueItems", "pattern", "properties", "required"}
    | {"additionalProperties", "items", "prefixItems", *_NUMERIC, *COVARIANT_MAPS, *COMPOSITIONS}
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


Emit = Callable[[str, str, str], None]


def compare_values(ctx: Context, o: dict[str, Any], n: dict[str, Any], emit: Emit) -> None:
    """Every value-level change between two schemas of the same place (no recursion)."""
    _types(ctx, o, n, emit)
    _enum(ctx, o, n, emit)
    _bounds(ctx, o, n, emit)
    _formats(ctx, o, n, emit)
    _annotations(ctx, o, n, emit)
    _others(o, n, emit)


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
