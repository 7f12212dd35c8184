"""Data is read by wire names only; Python names belong to the constructor and the methods.

A schema that allows extra properties and has a property `class` (Python name `class_`): as JSON,
``{"prompt": "a", "class_": 5}`` is valid (``class_`` is just another key), so the class must
accept it and send it back as ``class_``, never as ``class``. Nested classes publish their own
part of the schema, with references that still resolve.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import httpx
import jsonschema  # type: ignore[import-untyped]
import pydantic
import pytest

SCHEMA = {
    "type": "object",
    "properties": {
        "prompt": {"type": "string", "description": "What to draw."},
        "class": {"type": "string", "enum": ["a", "b"]},
        "style": {"$ref": "#/$defs/style"},
        "size": {"type": "integer", "minimum": 1},
    },
    "required": ["prompt"],
    "$defs": {
        "style": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "parent": {"$ref": "#/$defs/style"},
                "tone": {"$ref": "#/$defs/tone"},
            },
            "additionalProperties": False,
        },
        "tone": {"type": "string", "enum": ["warm", "cold"]},
    },
}
MODEL = {
    "id": "wire-names",
    "object": "model",
    "capabilities": {"input": ["text"], "output": ["image"]},
    "request_schema": SCHEMA,
}


@pytest.fixture
def pkg(make_package: Any) -> Any:
    module, result = make_package([MODEL])
    assert not result.problems
    return module


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        ({"prompt": "a", "class_": 5}, True),  # an extra key, whatever its value
        ({"prompt": "a", "class": "a"}, True),
        ({"prompt": "a", "class": 5}, False),
        ({"prompt": "a", "class": "c"}, False),
        ({"class_": "x"}, False),  # prompt is required; class_ does not stand for class
        ({"prompt": "a", "style": {"name": "n", "parent": {"tone": "warm"}}}, True),
        ({"prompt": "a", "style": {"parent": {"tone": "hot"}}}, False),
        ({"prompt": "a", "style": {"parent": {"colour": 1}}}, False),
        ({"prompt": "a", "size": 0}, False),
        ({"prompt": "a", "size": 1.0}, True),  # 1.0 is the JSON integer 1
    ],
)
def test_validation_reads_wire_names_as_json_schema_does(
    pkg: Any, body: dict[str, Any], valid: bool
) -> None:
    cls = pkg.request_model("wire-names")
    assert jsonschema.Draft202012Validator(SCHEMA).is_valid(body) is valid
    assert jsonschema.Draft202012Validator(cls.model_json_schema()).is_valid(body) is valid
    if not valid:
        with pytest.raises(pydantic.ValidationError):
            cls.model_validate(body)
        with pytest.raises(pydantic.ValidationError):
            cls.model_validate_json(json.dumps(body))
        return
    request = cls.model_validate(body)
    assert request.model_dump() == body == json.loads(request.model_dump_json())
    assert pkg.to_body(cls.model_validate_json(json.dumps(body))) == body


def test_python_name_is_a_plain_key_in_data(pkg: Any) -> None:
    cls = pkg.request_model("wire-names")
    request = cls.model_validate({"prompt": "a", "class_": "x"})
    assert request.class_ is pkg.MISSING  # the property `class` was not given
    assert request.model_extra == {"class_": "x"}
    assert pkg.to_body(request) == {"prompt": "a", "class_": "x"}  # not sent as "class"


def test_the_constructor_takes_python_names(pkg: Any) -> None:
    cls = pkg.request_model("wire-names")
    assert cls(prompt="a", class_="b").model_dump() == {"prompt": "a", "class": "b"}
    assert cls(**{"prompt": "a", "class": "b"}).model_dump() == {"prompt": "a", "class": "b"}
    with pytest.raises(TypeError, match="'class' twice"):
        cls(prompt="a", class_="a", **{"class": "b"})
    with pytest.raises(pydantic.ValidationError):
        cls(prompt="a", class_="c")


def test_unset_fields_hold_missing_and_are_never_dumped(pkg: Any) -> None:
    cls = pkg.request_model("wire-names")
    request = cls(prompt="a")
    assert request.size is pkg.MISSING and request.style is pkg.MISSING
    for dump in (request.model_dump(), request.model_dump(exclude_unset=False)):
        assert dump == {"prompt": "a"}
    assert request.model_dump_json() == '{"prompt":"a"}'
    assert cls.model_fields["prompt"].description == "What to draw."
    assert cls.model_fields["size"].description is None


def test_nested_classes_publish_their_part_of_the_schema(pkg: Any) -> None:
    cls = pkg.request_model("wire-names")
    style = sys.modules[cls.__module__].WireNamesStyle
    schema = style.model_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    reference = jsonschema.Draft202012Validator({"$defs": SCHEMA["$defs"], "$ref": "#/$defs/style"})
    for value in (
        {"name": "n"},
        {"parent": {"parent": {"tone": "cold"}}},
        {"parent": {"tone": "hot"}},
        {"colour": 1},
        {"name": 5},
    ):
        assert validator.is_valid(value) is reference.is_valid(value), value
    assert schema is not style.model_json_schema()  # a fresh copy each time


def test_methods_send_wire_names(pkg: Any) -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, json={"images": []})

    client = pkg.Oxen(
        api_key="k",
        base_url="http://127.0.0.1:9/api",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    client.generate_wire_names(prompt="a", class_="b")
    client.generate("wire-names", prompt="a", class_="b")
    client.generate("wire-names", **{"prompt": "a", "class": "b"})
    assert seen == [{"model": "wire-names", "prompt": "a", "class": "b"}] * 3
    with pytest.raises(pkg.ValidationError, match="given twice"):
        client.generate("wire-names", prompt="a", class_="a", **{"class": "b"})
