"""The JSON types a request schema admits, parameter by parameter: what the command line's
``key=value`` words and the batch inputs' spreadsheet cells are typed by (plain JSON Schema: no
pydantic here)."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

__all__ = ["is_list", "json_or_text", "json_type", "resolve", "schema_types", "takes", "typed"]


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def takes(types: Collection[str], value: Any) -> bool:
    """Whether `value`'s JSON type is one of `types` (anything when `types` is empty; an integer
    is a number too)."""
    kind = json_type(value)
    return not types or kind in types or (kind == "integer" and "number" in types)


def is_list(types: Collection[str]) -> bool:
    """A list (or a list or null): one value given for it is a list of one."""
    return "array" in types and set(types) <= {"array", "null"}


def json_or_text(raw: str) -> Any:
    """`raw` as JSON when it parses, else the text itself."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def typed(types: Collection[str], raw: str, parsed: Any) -> Any:
    """The value of a parameter that takes `types`, given as the text `raw` (`parsed` is
    ``json_or_text(raw)``): the JSON when the parameter takes it, else the text for a parameter
    that takes text (``1984`` stays ``"1984"``), else a list of one for a list, else the JSON for
    the schema check to name."""
    if takes(types, parsed):
        return parsed
    if "string" in types:
        return raw
    return [parsed] if is_list(types) else parsed


def resolve(node: Any, root: dict[str, Any], depth: int = 0) -> Any:
    """`node` with a local ``$ref`` followed (a few levels at most)."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and depth < 8:
        ref: str = node["$ref"]
        if not ref.startswith("#"):
            return {}
        target: Any = root
        for token in ref.lstrip("#").strip("/").split("/") if ref != "#" else []:
            key = token.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or key not in target:
                return {}
            target = target[key]
        node, depth = target, depth + 1
    return node


def schema_types(node: Any, root: dict[str, Any], depth: int = 0) -> set[str]:
    """The JSON types a schema admits (empty: any). Follows $ref, anyOf/oneOf/allOf, enum."""
    node = resolve(node, root)
    if not isinstance(node, dict) or depth > 8:
        return set()
    kind = node.get("type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {k for k in kind if isinstance(k, str)}
    for key in ("anyOf", "oneOf"):
        options = node.get(key)
        if isinstance(options, list):
            branches = [schema_types(o, root, depth + 1) for o in options]
            return set() if any(not b for b in branches) else set().union(*branches)
    if isinstance(node.get("allOf"), list):
        for part in node["allOf"]:
            found = schema_types(part, root, depth + 1)
            if found:
                return found
    values = node.get("enum", [node["const"]] if "const" in node else None)
    if isinstance(values, list) and values:
        return {json_type(v) for v in values}
    return set()
