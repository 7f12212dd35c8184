"""``unevaluatedProperties``/``unevaluatedItems``: the runtime checker collects annotations (which
properties and items successful subschemas evaluated at the same place) and the request classes
check such nodes whole, beyond what the official suite's keyword files exercise.

Every expected verdict below is also asserted against the ``jsonschema`` package (an independent
draft 2020-12 implementation), so the table itself cannot drift from the specification.
"""

from __future__ import annotations

import random
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from oxen_inference import _jsonschema as js
from pydantic import BaseModel, ValidationError

from tests.conftest import generate_package, import_generated
from tests.fidelity.suite import same_json

STRING, INTEGER = {"type": "string"}, {"type": "integer"}

# name -> (request schema, [(body, valid), ...])
CASES: dict[str, tuple[dict[str, Any], list[tuple[dict[str, Any], bool]]]] = {
    "properties": (
        {"type": "object", "properties": {"a": STRING}, "unevaluatedProperties": False},
        [({"a": "x"}, True), ({}, True), ({"a": "x", "b": 1}, False), ({"a": 1}, False)],
    ),
    "all-of": (
        {
            "type": "object",
            "properties": {"a": STRING},
            "allOf": [{"properties": {"b": INTEGER}}],
            "unevaluatedProperties": False,
        },
        [({"a": "x", "b": 1}, True), ({"a": "x", "c": 1}, False), ({"b": "x"}, False)],
    ),
    "any-of-failed-branch": (
        {
            "anyOf": [
                {"properties": {"a": {"const": 1}}, "required": ["a"]},
                {"properties": {"b": {"const": 2}}, "required": ["b"]},
            ],
            "unevaluatedProperties": False,
        },
        [
            ({"a": 1}, True),
            ({"a": 1, "b": 2}, True),  # both branches succeed: both annotate
            ({"a": 1, "b": 3}, False),  # b's branch failed, so b was not evaluated
            ({"c": 1}, False),
        ],
    ),
    "one-of": (
        {
            "properties": {"kind": {"enum": ["x", "y"]}},
            "oneOf": [
                {"properties": {"kind": {"const": "x"}, "x": INTEGER}},
                {"properties": {"kind": {"const": "y"}, "y": INTEGER}},
            ],
            "unevaluatedProperties": False,
        },
        [
            ({"kind": "x", "x": 1}, True),
            ({"kind": "y", "y": 1}, True),
            ({"kind": "x", "y": 1}, False),
        ],
    ),
    "if-then-else": (
        {
            "if": {"properties": {"t": {"const": "a"}}, "required": ["t"]},
            "then": {"properties": {"a": INTEGER}},
            "else": {"properties": {"b": INTEGER}},
            "unevaluatedProperties": False,
        },
        [
            ({"t": "a", "a": 1}, True),
            ({"b": 1}, True),
            ({"t": "a", "b": 1}, False),
            ({"t": "z", "b": 1}, False),  # a failed `if` annotates nothing: t is unevaluated
        ],
    ),
    "ref": (
        {
            "$defs": {"base": {"properties": {"a": STRING}}},
            "$ref": "#/$defs/base",
            "properties": {"b": True},
            "unevaluatedProperties": False,
        },
        [({"a": "x", "b": 1}, True), ({"a": "x", "c": 1}, False)],
    ),
    "ref-target-sees-only-itself": (
        {
            "$defs": {"closed": {"unevaluatedProperties": False}},
            "properties": {"a": STRING},
            "$ref": "#/$defs/closed",
        },
        [({}, True), ({"a": "x"}, False)],
    ),
    "sibling-sees-nothing-of-parent": (
        {"properties": {"a": True}, "allOf": [{"unevaluatedProperties": False}]},
        [({}, True), ({"a": 1}, False)],
    ),
    "dependent-schemas": (
        {
            "properties": {"a": True},
            "dependentSchemas": {"a": {"properties": {"b": INTEGER}}},
            "unevaluatedProperties": False,
        },
        [({"a": 1, "b": 2}, True), ({"b": 2}, False), ({"a": 1, "c": 1}, False)],
    ),
    "pattern-properties": (
        {
            "properties": {"a": True},
            "patternProperties": {"^x-": STRING},
            "unevaluatedProperties": INTEGER,
        },
        [
            ({"x-1": "s", "a": "any", "n": 5}, True),
            ({"n": "s"}, False),
            ({"x-1": 5}, False),
        ],
    ),
    "additional-properties-evaluates-the-rest": (
        {"additionalProperties": STRING, "unevaluatedProperties": False},
        [({"q": "s"}, True), ({"q": 1}, False)],
    ),
    "not-annotates-nothing": (
        {
            "properties": {"a": True},
            "not": {"properties": {"b": {"const": 1}}, "required": ["b"]},
            "unevaluatedProperties": False,
        },
        [({"a": 1}, True), ({"a": 1, "b": 2}, False)],
    ),
    "nested-unevaluated-true-evaluates-all": (
        {"allOf": [{"unevaluatedProperties": True}], "unevaluatedProperties": False},
        [({"z": 1}, True)],
    ),
    "nested-object": (
        {
            "properties": {
                "inner": {
                    "type": "object",
                    "properties": {"a": INTEGER},
                    "allOf": [{"properties": {"b": True}}],
                    "unevaluatedProperties": False,
                }
            },
            "required": ["inner"],
        },
        [
            ({"inner": {"a": 1, "b": "x"}}, True),
            ({"inner": {"a": 1, "c": 1}}, False),
            ({"inner": {"a": "s"}}, False),
            ({"inner": {}, "other": 1}, True),
        ],
    ),
    "child-locations-do-not-count": (
        {"properties": {"o": {"properties": {"x": True}}}, "unevaluatedProperties": False},
        [({"o": {"x": 1, "y": 2}}, True), ({"o": {}, "z": 1}, False)],
    ),
    "renamed-fields": (
        {
            "properties": {"class": INTEGER, "a-b": STRING},
            "unevaluatedProperties": False,
        },
        [({"class": 1, "a-b": "x"}, True), ({"class": 1, "c": 1}, False)],
    ),
    "true-changes-nothing": (
        {
            "properties": {
                "o": {
                    "type": "object",
                    "properties": {"x": INTEGER},
                    "unevaluatedProperties": True,
                    "unevaluatedItems": {"description": "empty: true too"},
                }
            },
            "unevaluatedProperties": True,
        },
        [({"o": {"x": 1, "y": 2}, "z": 1}, True), ({"o": {"x": "1"}}, False)],
    ),
    "items-prefix-items": (
        {
            "properties": {
                "v": {"type": "array", "prefixItems": [STRING], "unevaluatedItems": False}
            }
        },
        [({"v": ["a"]}, True), ({"v": []}, True), ({"v": ["a", 1]}, False)],
    ),
    "items-contains": (
        {"properties": {"v": {"contains": STRING, "unevaluatedItems": INTEGER}}},
        [
            ({"v": ["a", 1, "b", 2]}, True),
            ({"v": ["a", None]}, False),
            ({"v": [1]}, False),  # contains fails
        ],
    ),
    "items-all-of-prefix-items": (
        {
            "properties": {
                "v": {
                    "prefixItems": [{"const": "a"}],
                    "allOf": [{"prefixItems": [True, INTEGER]}],
                    "unevaluatedItems": False,
                }
            }
        },
        [({"v": ["a", 1]}, True), ({"v": ["a", 1, 2]}, False)],
    ),
    "items-any-of-items": (
        {
            "properties": {
                "v": {
                    "anyOf": [{"items": STRING}, True],
                    "unevaluatedItems": {"type": "boolean"},
                }
            }
        },
        [({"v": ["x", "y"]}, True), ({"v": [True, False]}, True), ({"v": ["x", False]}, False)],
    ),
    "items-in-array-of-objects": (
        {
            "properties": {
                "v": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"k": STRING},
                        "unevaluatedProperties": False,
                    },
                }
            }
        },
        [({"v": [{"k": "a"}, {}]}, True), ({"v": [{"k": "a", "j": 1}]}, False)],
    ),
}
ROWS = [(name, i) for name, (_, rows) in CASES.items() for i in range(len(rows))]


def model(name: str) -> str:
    return f"uneval-{name}"


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    out = tmp_path_factory.mktemp("uneval")
    models = [{"id": model(n), "request_schema": s} for n, (s, _) in CASES.items()]
    result = generate_package(models, out, "uneval_client")
    assert not result.problems, result.problems
    return import_generated(out, "uneval_client")


@pytest.mark.parametrize(("name", "row"), ROWS, ids=[f"{n}-{i}" for n, i in ROWS])
def test_request_class_agrees(package: ModuleType, name: str, row: int) -> None:
    schema, rows = CASES[name]
    body, valid = rows[row]
    assert Draft202012Validator(schema).is_valid(body) == valid  # the table is right
    assert js.is_valid(body, schema) == valid
    cls = package.request_model(model(name))
    try:
        obj = cls.model_validate(body, by_name=False)
    except ValidationError:
        assert not valid
    else:
        assert valid
        assert same_json(package.to_body(obj), body)  # exact round trip


def test_nodes_with_unevaluated_are_checked_whole(package: ModuleType) -> None:
    """The root carries the whole node in its class check; a nested node becomes one Value."""
    cls = package.request_model(model("all-of"))
    source = Path(str(package.__file__)).parent / "models" / "uneval_all_of.py"
    text = source.read_text(encoding="utf-8")
    assert '"unevaluatedProperties": False' in text and '"properties": {"a"' in text
    nested = (Path(str(package.__file__)).parent / "models" / "uneval_nested_object.py").read_text(
        encoding="utf-8"
    )
    assert "_js.Value(" in nested and "unevaluatedProperties" in nested
    assert cls.model_validate({"a": "x"}).model_dump(exclude_unset=True) == {"a": "x"}


def test_unevaluated_true_keeps_native_classes(package: ModuleType) -> None:
    """``unevaluated*: true`` rejects nothing, so it does not force a whole-node check."""
    text = (
        Path(str(package.__file__)).parent / "models" / "uneval_true_changes_nothing.py"
    ).read_text(encoding="utf-8")
    assert "_check_schema" not in text and "o: UnevalTrueChangesNothingRequestO | Missing =" in text
    cls = package.request_model(model("true-changes-nothing"))
    assert isinstance(cls.model_validate({"o": {"x": 1}}).o, BaseModel)


def test_input_by_field_name_is_checked_as_its_wire_names(package: ModuleType) -> None:
    cls = package.request_model(model("renamed-fields"))
    obj = cls(class_=1, a_b="x")  # the constructor takes Python names
    assert package.to_body(obj) == {"class": 1, "a-b": "x"}
    # Data is read by wire names only: here `class_` is an unknown (unevaluated) property.
    with pytest.raises(ValidationError, match="unevaluatedProperties"):
        cls.model_validate({"class_": 1, "a_b": "x"})


def test_errors_name_the_unevaluated_member() -> None:
    schema = {"properties": {"a": True}, "unevaluatedProperties": False}
    with pytest.raises(js.Invalid) as info:
        js.validate({"a": 1, "b~/": 2}, schema)
    assert (info.value.path, info.value.message) == (
        "/b~0~1",
        "unknown property (unevaluatedProperties)",
    )
    with pytest.raises(js.Invalid) as info:
        js.validate([1, "x"], {"prefixItems": [True], "unevaluatedItems": INTEGER})
    assert info.value.path == "/1" and "integer" in info.value.message
    with pytest.raises(js.Invalid) as info:
        js.validate([1, 2], {"prefixItems": [True], "unevaluatedItems": False})
    assert (info.value.path, info.value.message) == ("/1", "unexpected item (unevaluatedItems)")


def test_no_annotations_are_collected_without_unevaluated(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path: schemas that never use unevaluated* never pay for annotations."""
    made: list[object] = []
    real = js._Seen

    class Counting(real):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            made.append(self)
            super().__init__()

    monkeypatch.setattr(js, "_Seen", Counting)
    schema = {
        "properties": {"a": {"anyOf": [STRING, INTEGER]}, "b": {"items": {"oneOf": [True]}}},
        "allOf": [{"$ref": "#/$defs/d"}],
        "if": {"required": ["a"]},
        "then": {"dependentSchemas": {"a": {"minProperties": 1}}},
        "$defs": {"d": {"patternProperties": {"^x": True}, "contains": True}},
    }
    assert js.is_valid({"a": 1, "b": [1, 2], "x1": 0}, schema)
    assert made == []
    assert not js.is_valid({"a": 1, "z": 1}, {**schema, "unevaluatedProperties": False})
    assert made


def _random_schema(rng: random.Random, depth: int) -> dict[str, Any]:
    leaves: list[Any] = [True, False, STRING, INTEGER, {"const": 1}, {"minimum": 2}]
    names = ["a", "b", "xa"]
    schema: dict[str, Any] = {}
    for _ in range(rng.randint(0, 4)):
        key = rng.choice(
            [
                "properties", "patternProperties", "additionalProperties", "allOf", "anyOf",
                "oneOf", "not", "if", "then", "else", "dependentSchemas", "required", "$ref",
                "prefixItems", "items", "contains", "unevaluatedProperties", "unevaluatedItems",
            ]
        )  # fmt: skip
        nested = depth < 3
        if key == "properties":
            schema[key] = {n: rng.choice(leaves) for n in rng.sample(names, rng.randint(1, 3))}
        elif key == "patternProperties":
            schema[key] = {"^x": rng.choice(leaves)}
        elif key == "prefixItems":
            schema[key] = [rng.choice(leaves) for _ in range(rng.randint(1, 3))]
        elif key == "required":
            schema[key] = rng.sample(names, 1)
        elif key == "$ref":
            schema[key] = rng.choice(["#/$defs/A", "#/$defs/B"])
        elif key in ("allOf", "anyOf", "oneOf") and nested:
            schema[key] = [_random_schema(rng, depth + 1) for _ in range(rng.randint(1, 3))]
        elif key in ("not", "if", "then", "else") and nested:
            schema[key] = _random_schema(rng, depth + 1)
        elif key == "dependentSchemas" and nested:
            schema[key] = {rng.choice(names): _random_schema(rng, depth + 1)}
        elif key in ("additionalProperties", "items", "contains", "unevaluatedProperties", "unevaluatedItems"):  # fmt: skip
            schema[key] = (
                _random_schema(rng, depth + 1)
                if nested and rng.random() < 0.3
                else rng.choice(leaves)
            )
    return schema


def test_random_schemas_agree_with_jsonschema() -> None:
    """Differential check against an independent implementation, on random combinations."""
    rng = random.Random(2020_12)
    defs = {
        "A": {"properties": {"a": True}},
        "B": {"prefixItems": [True, STRING], "unevaluatedProperties": False},
    }
    values = ["s", 1, 3, None]
    for _ in range(600):
        schema = {**_random_schema(rng, 0), "$defs": defs}
        validator = Draft202012Validator(schema)
        for _ in range(6):
            if rng.random() < 0.5:
                data: Any = {
                    n: rng.choice(values)
                    for n in rng.sample(["a", "b", "c", "xa", "xb"], rng.randint(0, 4))
                }
            else:
                data = [rng.choice(values) for _ in range(rng.randint(0, 4))]
            assert js.is_valid(data, schema) == validator.is_valid(data), (schema, data)
