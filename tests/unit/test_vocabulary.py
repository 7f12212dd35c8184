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
