"""Oxen's JSON Schema dialect, brought to standard draft 2020-12.

Oxen's schemas are draft 2020-12 plus a few extras (see OXEN_API.md): OpenAPI 3.0's
``nullable: true`` (null allowed *in addition* to what the rest of the schema allows), and keys that
only inform documentation (``basic``, ``x-order``, ``renderType``, any ``x-...``). This module
rewrites ``nullable`` into standard keywords so that every consumer (the generator, the mock
server's independent validator, `oxgen diff`) sees one meaning. The stage's result is
:class:`Normalised` (:func:`normalise`): the compiler reads only that, never the schema as
published. What the keywords mean (annotations, where subschemas live, pointers) is
:mod:`oxgen.vocabulary`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from oxgen.vocabulary import (
    escape_pointer_token,
    is_annotation,
    map_subschemas,
    strip_annotations,
    subschemas,
    unescape_pointer_token,
)

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
    out = map_subschemas(schema, to_standard)
    if out.get("nullable") is True:
        return _with_null(out)
    out.pop("nullable", None)
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
        return map_subschemas(out, lambda sub: rewrite(sub, base))

    if not isinstance(schema, dict):
        return schema
    index(schema, _ROOT_BASE, [])
    resources.setdefault(_ROOT_BASE, [])
    return rewrite(schema, _ROOT_BASE)


@dataclass(frozen=True)
class Normalised:
    """A request schema as the compiler reads it: standard draft 2020-12 (``nullable``
    rewritten), every ``$ref`` that resolves inside the document a local JSON pointer;
    annotations kept (descriptions, defaults, ``format``: the docs and ``model_json_schema()``
    show them)."""

    root: Any

    @functools.cached_property
    def checked(self) -> Any:
        """The schema with only what affects validation (for compact validator literals)."""
        return strip_annotations(self.root)


def normalise(schema: Any) -> Normalised:
    """The normalise stage: one request schema, as published, to :class:`Normalised`."""
    return Normalised(localise_refs(to_standard(schema)))
