"""Annotations compared (defaults, titles, descriptions, deprecation, other annotation keys), and
the catch-all for any validation keyword no other rule judges."""

from __future__ import annotations

from typing import Any

from ..vocabulary import is_annotation
from . import keywords as kw
from .context import Context, Emit


def compare_annotations(ctx: Context, o: dict[str, Any], n: dict[str, Any], emit: Emit) -> None:
    _default(ctx, o, n, emit)
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
        if key == "x-order" and ctx.is_property:
            continue  # the order of arguments: reported once per object (properties-reordered)
        if (
            is_annotation(key)
            and key not in kw.OWN_ANNOTATIONS
            and kw.canonical(o.get(key)) != kw.canonical(n.get(key))
        ):
            emit(
                "annotation-changed",
                key,
                f"annotation {key} of {ctx.subject()} changed: {kw.short(o.get(key))} -> {kw.short(n.get(key))}",
            )


def _default(ctx: Context, o: dict[str, Any], n: dict[str, Any], emit: Emit) -> None:
    before, after = o.get("default"), n.get("default")
    if "default" in o and "default" not in n:
        shift = f"{kw.short(before)} -> none"
    elif "default" in n and "default" not in o:
        emit(
            "default-added",
            "default",
            f"{ctx.subject()} now documents a default of {kw.short(after)}",
        )
        return
    elif kw.canonical(before) != kw.canonical(after):
        shift = f"{kw.short(before)} -> {kw.short(after)}"
    else:
        return
    removed = "default" not in n
    if ctx.required:
        emit(
            "default-removed-required" if removed else "default-changed-required",
            "default",
            f"default of {ctx.subject()} {'dropped' if removed else 'changed'} ({shift}); it is required, so every call passes it and none changes (docstrings only)",
        )
        return
    shown = ""
    if ctx.is_top_level():
        shown = (
            f"; the signature's `server_default({kw.short(before)})` becomes `OMIT`"
            if removed
            else f"; the signature shows `server_default({kw.short(after)})`"
        )
    if removed:
        emit(
            "default-removed",
            "default",
            f"default of {ctx.subject()} ({kw.short(before)}) is no longer documented: what omitting it means may change{shown}",
        )
    else:
        emit(
            "default-changed",
            "default",
            f"default of {ctx.subject()} changed from {kw.short(before)} to {kw.short(after)}: calls that omit it now behave differently{shown}",
        )


def compare_others(o: dict[str, Any], n: dict[str, Any], emit: Emit) -> None:
    for key in sorted(set(o) | set(n)):
        if (
            is_annotation(key)
            or key in kw.HANDLED
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
