"""The keywords that only ever refuse values (`contains`, `propertyNames`, `unevaluated*`,
`if`/`then`/`else`, `not`, `dependentRequired`): adding one is breaking, removing one lifts a
restriction, changing one is for a human to judge."""

from __future__ import annotations

from typing import Any

from ..vocabulary import strip_annotations
from . import keywords as kw
from .context import Context, Emit


def refuses_nothing(value: Any) -> bool:
    """Whether a subschema accepts every value: ``true``, ``{}`` or annotations only."""
    return value is True or (isinstance(value, dict) and not strip_annotations(value))


def _restriction(schema: dict[str, Any], key: str) -> Any:
    value = schema.get(key)
    return None if value is None or refuses_nothing(value) else value


def compare_restricting(
    ctx: Context, o: dict[str, Any], n: dict[str, Any], emit: Emit, shared: frozenset[str]
) -> None:
    subject = ctx.subject()
    for key, json_type in kw.RESTRICTING.items():
        if json_type is not None and json_type not in shared:
            continue
        _direction(subject, key, _restriction(o, key), _restriction(n, key), emit)
    _conditional(subject, o, n, emit)
    # `not` only refuses (even `not: {}`, which refuses everything): present or absent decides.
    if "not" in o or "not" in n:
        _direction(subject, "not", o.get("not"), n.get("not"), emit)
    if "object" in shared:
        _dependent_required(subject, o.get("dependentRequired"), n.get("dependentRequired"), emit)


def _direction(subject: str, key: str, before: Any, after: Any, emit: Emit) -> None:
    if kw.canonical(before) == kw.canonical(after):
        return
    if before is None:
        emit(
            "constraint-added",
            key,
            f"`{key}` added to {subject} ({kw.short(after)}): values valid before may now fail validation",
        )
    elif after is None:
        emit("constraint-removed", key, f"`{key}` of {subject} removed ({kw.short(before)})")
    else:
        emit(
            "constraint-changed",
            key,
            f"`{key}` of {subject} changed ({kw.short(before)} -> {kw.short(after)}): not judged automatically, review by hand",
        )


def _conditional(subject: str, o: dict[str, Any], n: dict[str, Any], emit: Emit) -> None:
    """`if`/`then`/`else` as one restriction: `if` alone, or `then`/`else` without `if`, refuse
    nothing; with the same `if`, a branch added restricts and a branch removed lifts."""

    def branches(schema: dict[str, Any]) -> tuple[Any, Any] | None:
        then, otherwise = _restriction(schema, "then"), _restriction(schema, "else")
        if "if" not in schema or (then is None and otherwise is None):
            return None
        return then, otherwise

    before, after = branches(o), branches(n)
    if before is None and after is None:
        return
    if before is None or after is None or kw.canonical(o["if"]) != kw.canonical(n["if"]):
        _direction(
            subject,
            "if",
            None if before is None else {k: o.get(k) for k in kw.CONDITIONAL if k in o},
            None if after is None else {k: n.get(k) for k in kw.CONDITIONAL if k in n},
            emit,
        )
        return
    for key, old_branch, new_branch in zip(("then", "else"), before, after, strict=True):
        _direction(subject, key, old_branch, new_branch, emit)


def _dependent_required(subject: str, before: Any, after: Any, emit: Emit) -> None:
    if kw.canonical(before) == kw.canonical(after):
        return
    old = before if isinstance(before, dict) else {}
    new = after if isinstance(after, dict) else {}
    if (before is not None and not isinstance(before, dict)) or (
        after is not None and not isinstance(after, dict)
    ):
        _direction(subject, "dependentRequired", before, after, emit)
        return

    def needs(table: dict[str, Any]) -> set[tuple[str, str]]:
        return {(k, str(v)) for k, names in table.items() if isinstance(names, list) for v in names}

    gained, lost = needs(new) - needs(old), needs(old) - needs(new)
    if gained:
        listed = ", ".join(f"{k!r} needs {v!r}" for k, v in sorted(gained))
        emit(
            "constraint-added",
            "dependentRequired",
            f"{subject} gained dependent requirements ({listed}): objects valid before may now fail validation",
        )
    elif lost:
        listed = ", ".join(f"{k!r} needs {v!r}" for k, v in sorted(lost))
        emit(
            "constraint-removed",
            "dependentRequired",
            f"{subject} dropped dependent requirements ({listed})",
        )
