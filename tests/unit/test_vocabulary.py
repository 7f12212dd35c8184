"""The schema vocabulary's rewrites: a function applied to every direct subschema (and only
there), annotations left out at every level but never a property that is named like one."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from oxgen import normalise
from oxgen.vocabulary import map_subschemas, strip_annotations


def _mark(schema: Any) -> Any:
    return {"seen": schema}


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"items": {"type": "string"}}, {"items": {"seen": {"type": "string"}}}),
        # draft-04..07 tuple form of items
        ({"items": [{"a": 1}, True]}, {"items": [{"seen": {"a": 1}}, {"seen": True}]}),
        ({"anyOf": [{"a": 1}]}, {"anyOf": [{"seen": {"a": 1}}]}),
        ({"properties": {"title": {"a": 1}}}, {"properties": {"title": {"seen": {"a": 1}}}}),
        # values of the wrong shape and keys that hold no subschema are kept as they are
        ({"anyOf": {"a": 1}, "properties": [1]}, {"anyOf": {"a": 1}, "properties": [1]}),
        ({"enum": [{"a": 1}], "const": {"a": 1}}, {"enum": [{"a": 1}], "const": {"a": 1}}),
        ({}, {}),
    ],
)
def test_map_subschemas_touches_subschemas_only(schema: Any, expected: Any) -> None:
    before = copy.deepcopy(schema)
    assert map_subschemas(schema, _mark) == expected
    assert schema == before  # a copy; the input is left alone


def test_map_subschemas_drops_the_keys_it_is_told_to() -> None:
    schema = {"title": "t", "type": "object", "x-order": 1}
    assert map_subschemas(schema, _mark, drop=lambda k: k != "type") == {"type": "object"}


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"title": "T", "type": "string", "x-order": 2}, {"type": "string"}),
        (
            {"properties": {"title": {"type": "string", "description": "d"}}},
            {"properties": {"title": {"type": "string"}}},
        ),
        (
            {"items": [{"default": 1, "type": "integer"}], "anyOf": [{"examples": [1]}]},
            {"items": [{"type": "integer"}], "anyOf": [{}]},
        ),
        ({"nullable": True, "basic": True, "renderType": "x"}, {}),
        (True, True),
        ("not a schema", "not a schema"),
    ],
)
def test_strip_annotations(schema: Any, expected: Any) -> None:
    assert strip_annotations(schema) == expected


def test_to_standard_rewrites_nullable_in_every_kind_of_subschema() -> None:
    null = {"type": ["integer", "null"]}
    schema = {
        "items": {"type": "integer", "nullable": True},
        "prefixItems": [{"type": "integer", "nullable": True}],
        "$defs": {"d": {"type": "integer", "nullable": True}},
        "enum": [{"nullable": True}],  # a value, not a schema
    }
    assert normalise.to_standard(schema) == {
        "items": null,
        "prefixItems": [null],
        "$defs": {"d": null},
        "enum": [{"nullable": True}],
    }


STRING = {"type": "string"}


@pytest.mark.parametrize(
    ("schema", "ref", "expected"),
    [
        # a local pointer stays as it is
        ({"$defs": {"a": STRING}}, "#/$defs/a", "#/$defs/a"),
        # a relative URI against the root's $id, naming a subschema's own $id
        (
            {"$id": "https://e.test/root.json", "$defs": {"a": {"$id": "a.json", **STRING}}},
            "a.json",
            "#/$defs/a",
        ),
        # the same resource with a pointer into it
        (
            {"$id": "https://e.test/r", "$defs": {"a": {"$id": "urn:a", "$defs": {"b": STRING}}}},
            "urn:a#/$defs/b",
            "#/$defs/a/$defs/b",
        ),
        # a plain-name anchor
        ({"$defs": {"a": {"$anchor": "A", **STRING}}}, "#A", "#/$defs/a"),
        # names that need escaping and percent-encoding keep them
        ({"$defs": {"a/b~c": STRING}}, "#/$defs/a~1b~0c", "#/$defs/a~1b~0c"),
        ({"$defs": {"a%b": STRING}}, "#/$defs/a%25b", "#/$defs/a%25b"),
        # subschemas in every kind of place: tuple items, lists, maps
        ({"items": [{"$id": "urn:t", **STRING}]}, "urn:t", "#/items/0"),
        ({"anyOf": [STRING, {"$id": "urn:o", **STRING}]}, "urn:o", "#/anyOf/1"),
        # other documents and unknown anchors are left alone
        ({}, "https://other.test/s.json", "https://other.test/s.json"),
        ({}, "#missing", "#missing"),
    ],
)
def test_localise_refs(schema: dict[str, Any], ref: str, expected: str) -> None:
    document = {**schema, "properties": {"x": {"$ref": ref}}}
    before = copy.deepcopy(document)
    out = normalise.localise_refs(document)
    assert out["properties"]["x"]["$ref"] == expected
    assert document == before


def test_localise_refs_resolves_inside_a_nested_resource_against_its_own_id() -> None:
    """``#/...`` inside a subschema with an ``$id`` points into that subschema, not the root."""
    inner = {"$id": "urn:inner", "$defs": {"c": STRING}, "properties": {"y": {"$ref": "#/$defs/c"}}}
    out = normalise.localise_refs({"$defs": {"b": inner}})
    assert out["$defs"]["b"]["properties"]["y"]["$ref"] == "#/$defs/b/$defs/c"
