"""The draft 2020-12 vocabulary every stage shares: which keywords are annotations, where
subschemas live, JSON pointers, walks over a schema and what of it validates. Pure, and a leaf."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

# Keywords that never affect validation (draft 2020-12 annotations, plus Oxen's extensions).
ANNOTATION_KEYS = frozenset(
    {
        "title",
        "description",
        "default",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "$comment",
        "$schema",
        "format",  # annotation-only by default in draft 2020-12
        "contentMediaType",
        "contentEncoding",
        "contentSchema",
        "basic",
        "renderType",
        "nullable",
    }
)

# Where subschemas live: keyword -> "one" (a schema), "list" (array of schemas), "map" (object of schemas).
SUBSCHEMA_KEYWORDS: dict[str, str] = {
    "properties": "map",
    "patternProperties": "map",
    "$defs": "map",
    "definitions": "map",
    "dependentSchemas": "map",
    "allOf": "list",
    "anyOf": "list",
    "oneOf": "list",
    "prefixItems": "list",
    "items": "one",
    "additionalItems": "one",
    "additionalProperties": "one",
    "not": "one",
    "if": "one",
    "then": "one",
    "else": "one",
    "contains": "one",
    "propertyNames": "one",
    "unevaluatedItems": "one",
    "unevaluatedProperties": "one",
}


def is_annotation(key: str) -> bool:
    return key in ANNOTATION_KEYS or key.startswith("x-")


def escape_pointer_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def unescape_pointer_token(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def subschemas(schema: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    """Each direct subschema of `schema` with its JSON pointer."""
    if not isinstance(schema, dict):
        return
    for key, kind in SUBSCHEMA_KEYWORDS.items():
        if key not in schema:
            continue
        value = schema[key]
        base = f"{pointer}/{escape_pointer_token(key)}"
        if kind == "one":
            if key == "items" and isinstance(value, list):  # draft-04..07 tuple form
                for i, sub in enumerate(value):
                    yield f"{base}/{i}", sub
            else:
                yield base, value
        elif kind == "list" and isinstance(value, list):
            for i, sub in enumerate(value):
                yield f"{base}/{i}", sub
        elif kind == "map" and isinstance(value, dict):
            for name, sub in value.items():
                yield f"{base}/{escape_pointer_token(name)}", sub


def walk(schema: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    """`schema` and every subschema below it, depth first, with JSON pointers."""
    yield pointer, schema
    for sub_pointer, sub in subschemas(schema, pointer):
        yield from walk(sub, sub_pointer)


def map_subschemas(
    schema: dict[str, Any], fn: Callable[[Any], Any], drop: Callable[[str], bool] | None = None
) -> dict[str, Any]:
    """A copy of `schema` with `fn` applied to each of its direct subschemas (every other value
    kept as it is), leaving out the keys `drop` says to."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if drop is not None and drop(key):
            continue
        kind = SUBSCHEMA_KEYWORDS.get(key)
        if kind == "one":
            out[key] = [fn(v) for v in value] if isinstance(value, list) else fn(value)
        elif kind == "list" and isinstance(value, list):
            out[key] = [fn(v) for v in value]
        elif kind == "map" and isinstance(value, dict):
            out[key] = {name: fn(v) for name, v in value.items()}
        else:
            out[key] = value
    return out


def strip_annotations(schema: Any) -> Any:
    """A copy of `schema` keeping only what affects validation (for compact validator literals)."""
    if not isinstance(schema, dict):
        return schema
    return map_subschemas(schema, strip_annotations, drop=is_annotation)
