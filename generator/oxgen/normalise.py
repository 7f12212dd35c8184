"""Oxen's JSON Schema dialect, brought to standard draft 2020-12.

Oxen's schemas are draft 2020-12 plus a few extras (see OXEN_API.md): OpenAPI 3.0's
``nullable: true`` (null allowed *in addition* to what the rest of the schema allows), and keys that
only inform documentation (``basic``, ``x-order``, ``renderType``, any ``x-...``). This module
rewrites ``nullable`` into standard keywords so that every consumer (the generator, the mock
server's independent validator, `oxgen diff`) sees one meaning, and knows which keywords are
annotations and where subschemas live.
"""

from __future__ import annotations

from collections.abc import Iterator
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


_COMPOSITE = ("$ref", "$dynamicRef", "allOf", "anyOf", "oneOf", "not", "if", "const")


def _with_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` (without `nullable`) widened to also accept null."""
    out = {k: v for k, v in schema.items() if k != "nullable"}
    if "type" in out and not any(k in out for k in _COMPOSITE):
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        if "null" not in types:
            out["type"] = [*types, "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return out
    if "type" not in out and not any(k in out for k in _COMPOSITE) and "enum" not in out:
        return out  # an untyped schema already accepts null
    annotations = {k: v for k, v in out.items() if is_annotation(k)}
    rest = {k: v for k, v in out.items() if not is_annotation(k)}
    return {**annotations, "anyOf": [rest, {"type": "null"}]}


def to_standard(schema: Any) -> Any:
    """A copy of `schema` in standard draft 2020-12: ``nullable: true`` becomes a null alternative.

    ``nullable: false`` is simply dropped. Nothing else changes; annotation keys are kept.
    """
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        kind = SUBSCHEMA_KEYWORDS.get(key)
        if kind == "one":
            out[key] = (
                [to_standard(v) for v in value] if isinstance(value, list) else to_standard(value)
            )
        elif kind == "list" and isinstance(value, list):
            out[key] = [to_standard(v) for v in value]
        elif kind == "map" and isinstance(value, dict):
            out[key] = {name: to_standard(v) for name, v in value.items()}
        else:
            out[key] = value
    if out.get("nullable") is True:
        return _with_null(out)
    out.pop("nullable", None)
    return out


def strip_annotations(schema: Any) -> Any:
    """A copy of `schema` keeping only what affects validation (for compact validator literals)."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if is_annotation(key):
            continue
        kind = SUBSCHEMA_KEYWORDS.get(key)
        if kind == "one":
            out[key] = (
                [strip_annotations(v) for v in value]
                if isinstance(value, list)
                else strip_annotations(value)
            )
        elif kind == "list" and isinstance(value, list):
            out[key] = [strip_annotations(v) for v in value]
        elif kind == "map" and isinstance(value, dict):
            out[key] = {name: strip_annotations(v) for name, v in value.items()}
        else:
            out[key] = value
    return out


_ROOT_BASE = "urn:oxgen:root"


def _join_uri(base: str, ref: str) -> str:
    from urllib.parse import urljoin

    if ref.startswith("#"):
        return base.split("#", 1)[0] + ref
    if ":" in ref.split("/", 1)[0]:  # absolute (http:, urn:, ...)
        return ref
    return urljoin(base, ref)


def _pointer(tokens: list[str]) -> str:
    return "".join("/" + escape_pointer_token(t).replace("%", "%25") for t in tokens)


def localise_refs(schema: Any) -> Any:
    """A copy of `schema` whose every ``$ref`` that resolves inside the document is a local JSON
    pointer (``#/...``), following ``$id`` base URIs and ``$anchor`` names as draft 2020-12 does.

    References to other documents (the meta-schema, remote URLs) are left as they are.
    """
    resources: dict[str, list[str]] = {}  # absolute URI without fragment -> pointer tokens
    anchors: dict[str, list[str]] = {}  # absolute URI with #anchor -> pointer tokens

    def index(node: Any, base: str, tokens: list[str]) -> None:
        if not isinstance(node, dict):
            return
        if isinstance(node.get("$id"), str):
            base = _join_uri(base, node["$id"]).split("#", 1)[0]
            resources.setdefault(base, tokens)
        if isinstance(node.get("$anchor"), str):
            anchors.setdefault(f"{base}#{node['$anchor']}", tokens)
        for sub_pointer, sub in subschemas(node, ""):
            index(
                sub, base, tokens + [unescape_pointer_token(t) for t in sub_pointer.split("/")[1:]]
            )

    def rewrite(node: Any, base: str) -> Any:
        if not isinstance(node, dict):
            return node
        if isinstance(node.get("$id"), str):
            base = _join_uri(base, node["$id"]).split("#", 1)[0]
        out = dict(node)
        ref = node.get("$ref")
        if isinstance(ref, str):
            target = _join_uri(base, ref)
            doc, _, fragment = target.partition("#")
            if doc in resources:
                from urllib.parse import unquote

                if fragment == "" or fragment.startswith("/"):
                    tokens = resources[doc] + [
                        unescape_pointer_token(unquote(t)) for t in fragment.split("/")[1:]
                    ]
                    out["$ref"] = "#" + _pointer(tokens)
                elif target in anchors:
                    out["$ref"] = "#" + _pointer(anchors[target])
        for key, kind in SUBSCHEMA_KEYWORDS.items():
            if key not in out:
                continue
            value = out[key]
            if kind == "map" and isinstance(value, dict):
                out[key] = {k: rewrite(v, base) for k, v in value.items()}
            elif isinstance(value, list):
                out[key] = [rewrite(v, base) for v in value]
            else:
                out[key] = rewrite(value, base)
        return out

    if not isinstance(schema, dict):
        return schema
    index(schema, _ROOT_BASE, [])
    resources.setdefault(_ROOT_BASE, [])
    return rewrite(schema, _ROOT_BASE)
