"""The two type expressions of a schema position (:class:`~oxgen.ir.TypeIR`): the plain typing
form (signatures, stubs) and the pydantic annotation that validates exactly what the schema
allows, each with the imported names it refers to, recorded as it is built. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from oxgen.ir import ParamIR, TypeIR
from oxgen.literals import py_literal

SCALAR_STATIC = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "null": "None",
}
# Types whose strict pydantic validation is exactly JSON Schema's (integers and numbers are not:
# 1.0 is a JSON integer, and pydantic would turn 1 into 1.0 for a float).
NATIVE = {"string": "str", "boolean": "bool", "null": "None"}


class Static(NamedTuple):
    """A typing expression, the imported names it refers to, and its alternatives (if a union)."""

    text: str
    uses: frozenset[str] = frozenset()
    members: tuple[str, ...] = ()


NO_USES: frozenset[str] = frozenset()
ANY = TypeIR("Any", "Any", frozenset({"Any"}), frozenset({"Any"}))
ANY_STATIC = Static("Any", frozenset({"Any"}))
CHECKED = frozenset({"Annotated", "_js"})  # what a runtime `Annotated[..., _js.X(...)]` refers to


def literal_static(values: list[Any]) -> Static:
    """The typing form of a set of allowed values (a Literal where Python allows one), with the
    imported names it refers to."""
    literal, others = [], set()
    for v in values:
        if v is None or isinstance(v, (str, bool, int)):
            literal.append(py_literal(v))
        elif isinstance(v, float):
            others.add("float")
        elif isinstance(v, list):
            others.add("list[Any]")
        else:
            others.add("dict[str, Any]")
    parts = ([f"Literal[{', '.join(dict.fromkeys(literal))}]"] if literal else []) + sorted(others)
    if not parts:
        return ANY_STATIC
    uses = {"Literal"} if literal else set()
    if others & {"list[Any]", "dict[str, Any]"}:
        uses.add("Any")
    return Static(" | ".join(parts), frozenset(uses), tuple(parts))


def enum_values(node: Mapping[str, Any]) -> list[Any]:
    values = node["enum"] if "enum" in node else [node["const"]]
    return values if isinstance(values, list) else []


def exact_literal(node: Mapping[str, Any], keys: set[str]) -> TypeIR | None:
    """A strict ``Literal`` alone, where pydantic is exact: an enum or const of strings (and
    null), with at most a `type` that allows every value. Other values (numbers: ``1.0`` is the
    JSON integer 1; booleans) stay with the exact checker."""
    if not (keys <= {"enum", "type"} or keys <= {"const", "type"}) or keys == {"type"}:
        return None
    values = enum_values(node)
    if not values or not all(v is None or isinstance(v, str) for v in values):
        return None
    if "type" in node:
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        if any(isinstance(v, str) for v in values) and "string" not in types:
            return None
        if any(v is None for v in values) and "null" not in types:
            return None
    static = literal_static(values)
    return TypeIR(static.text, static.text, static.uses, static.uses, static.members)


def static_of(node: Mapping[str, Any]) -> Static:
    """The typing form of whatever `node` may accept, from its `enum`/`const` or `type`."""
    if "enum" in node or "const" in node:
        return literal_static(enum_values(node))
    types = node.get("type")
    names = types if isinstance(types, list) else [types] if types is not None else []
    if not names:
        return ANY_STATIC
    containers = {"array": "list[Any]", "object": "dict[str, Any]"}
    return union([Static(SCALAR_STATIC.get(t) or containers[t], _uses_any(t)) for t in names])


def _uses_any(type_name: str) -> frozenset[str]:
    return frozenset({"Any"}) if type_name in ("array", "object") else NO_USES


def union(parts: list[Static]) -> Static:
    """Alternatives as one typing expression, each once, None last (as linters want it)."""
    unique = list(dict.fromkeys(m for p in parts for m in (p.members or (p.text,))))
    if not unique or "Any" in unique:
        return ANY_STATIC
    unique.sort(key=lambda m: m == "None")
    return Static(" | ".join(unique), frozenset().union(*(p.uses for p in parts)), tuple(unique))


def union_of(members: list[TypeIR]) -> TypeIR:
    """One type for alternatives: each keeps its own runtime check."""
    static = union([Static(m.static, m.static_uses, m.members) for m in members])
    runtime = tuple(dict.fromkeys(r for m in members for r in (m.runtime_members or (m.runtime,))))
    return TypeIR(
        static.text,
        " | ".join(runtime),
        static.uses,
        frozenset().union(*(m.runtime_uses for m in members)),
        static.members,
        runtime,
    )


def unsettable(t: TypeIR) -> str:
    """The annotation of a field that may be left unset: its type or ``Missing`` (before a
    trailing ``None``, where linters want it)."""
    members = t.runtime_members or (t.runtime,)
    nullable = "None" in members
    return " | ".join([*(m for m in members if m != "None"), "Missing", *(["None"] * nullable)])


def param_of(t: TypeIR, required: bool, default: str | None) -> ParamIR:
    """A field as a keyword parameter: required, left at the schema's documented default
    (``server_default(...)``: shown, never sent), or omitted (``OMIT``: not sent)."""
    if required:
        return ParamIR(t.static, None, t.static_uses)
    if default is not None:
        return ParamIR(t.static, f"server_default({default})", t.static_uses | {"server_default"})
    members = t.members or (t.static,)
    nullable = "None" in members
    annotation = " | ".join([*(m for m in members if m != "None"), "Omit", *(["None"] * nullable)])
    return ParamIR(annotation, "OMIT", t.static_uses | {"Omit", "OMIT"})


def widen_media(t: TypeIR, kind: str) -> TypeIR:
    """A string position of a media input: it also accepts a local file (``MediaInput``), which
    the generated ``_media.Input`` marker checks; strings still get their own checks (`runtime`)."""
    members = tuple("MediaInput" if m == "str" else m for m in (t.members or (t.static,)))
    wide = " | ".join(members)
    inner = "" if t.runtime == "str" else f", {t.runtime}"
    uses = t.static_uses | {"MediaInput"}
    return TypeIR(
        wide,
        f"Annotated[{wide}, _media.Input({py_literal(kind)}{inner})]",
        uses,
        uses | t.runtime_uses | {"Annotated", "_media"},
        members,
    )
