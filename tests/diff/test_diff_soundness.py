"""Soundness of `oxgen diff`'s judgement, with the `jsonschema` library as the oracle.

Pairs of schemas are drawn from the committed snapshot (every property schema of every model,
and every request schema) and mutated at random (bounds, lists of values, types, nullability,
patterns, items, nested properties, compositions, the restricting keywords, annotations). When
`oxgen diff` judges a pair non-breaking (no breaking change and nothing left for review), no
value the old schema accepts may be refused by the new one: the instance generator in
:mod:`tests.diff.instances` proposes boundary values and the oracle checks them on both sides.

Instances are built from the properties the schemas declare, as calls through the generated
client's typed arguments send them (undeclared keys go through ``extra_body``, unchecked).
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from oxgen.diff.context import Context
from oxgen.diff.rules import UNDECIDED, Change
from oxgen.diff.schemas import compare_schema
from oxgen.normalise import to_standard

from .instances import instances

SNAPSHOT = Path(__file__).resolve().parents[2] / "schemas"
Schema = dict[str, Any]


def snapshot_request_schemas() -> list[tuple[str, Schema]]:
    out = []
    for path in sorted(SNAPSHOT.glob("*.json")):
        if path.name == "manifest.json":
            continue
        schema = json.loads(path.read_text(encoding="utf-8")).get("request_schema")
        if isinstance(schema, dict):
            out.append((path.stem, schema))
    return out


REQUESTS = snapshot_request_schemas()
PROPERTIES = [
    (f"{model}/{name}", sub)
    for model, schema in REQUESTS
    for name, sub in (schema.get("properties") or {}).items()
    if isinstance(sub, dict)
]


def judge(old: Any, new: Any, request: bool = False) -> list[Change]:
    """The changes from `old` to `new` as a request schema, or as the schema of a property."""
    ctx = Context("m", "MRequest")
    return compare_schema(ctx if request else ctx.child("x"), old, new)


def judged_safe(changes: list[Change]) -> bool:
    return not any(c.level == "breaking" or c.rule in UNDECIDED for c in changes)


def refused(old: Any, new: Any, rng: random.Random, request: bool = False) -> list[Any]:
    """Values the old schema accepts and the new one refuses, among the generated candidates."""
    before = Draft202012Validator(to_standard(old))
    after = Draft202012Validator(to_standard(new))
    return [
        value
        for value in instances([old, new], rng, free_form=not request)
        if before.is_valid(value) and not after.is_valid(value)
    ]


# --- mutations ---------------------------------------------------------------------------------

Mutation = Callable[[random.Random, Schema], Schema]
_PATTERNS = [
    "^[a-z]+$",
    "^[a-z0-9]+$",
    "^[a-z0-9_-]+$",
    "^[A-Za-z]+$",
    "[a-z]",
    "^\\d{1,3}$",
    "^[0-9]{1,4}$",
    "^a",
    "^[a-y]+$",
    "^([a-z]|-)+$",
    "^[a-z]{2,5}$",
    "^[a-z]{1,8}$",
    ".*",
    "^img_[0-9]+$",
    "^[^ ]+$",
]
_TYPES = ["string", "integer", "number", "boolean", "array", "object", "null"]


def _number(rng: random.Random) -> int | float:
    return rng.choice([0, 1, 2, 5, 10, 15, 50, 100, -1, 0.5, 2.5])


def m_bound(rng: random.Random, s: Schema) -> Schema:
    key = rng.choice(
        [
            *("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"),
            *("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"),
        ]
    )
    if key in s and rng.random() < 0.35:
        del s[key]
        return s
    if key == "multipleOf":
        s[key] = rng.choice([0.5, 1, 2, 3, 4, 10])
    elif key.startswith(("min", "max")) and key not in ("minimum", "maximum"):
        current = s.get(key, rng.randint(0, 6))
        s[key] = max(0, int(current) + rng.choice([-2, -1, 1, 2, 3]))
    else:
        current = s.get(key, _number(rng))
        s[key] = current + rng.choice([-2, -1, -0.5, 0.5, 1, 2, 5])
    return s


def m_enum(rng: random.Random, s: Schema) -> Schema:
    values = s.get("enum")
    if isinstance(values, list) and values:
        choice = rng.randrange(6)
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if choice == 0 and len(values) > 1:
            s["enum"] = [v for v in values if v != rng.choice(values)]
        elif choice == 1:
            extra = (max(numbers) + 1) if numbers else "new-value"
            s["enum"] = [*values, extra]
        elif choice == 2:
            del s["enum"]
        elif choice == 3 and numbers:  # the list becomes a range, covering it or not
            del s["enum"]
            s["minimum"] = min(numbers) + rng.choice([-1, 0, 0, 1])
            s["maximum"] = max(numbers) + rng.choice([-1, 0, 5])
        elif choice == 4:
            s["const"] = rng.choice(values)
            if rng.random() < 0.5:
                del s["enum"]
        else:
            s["enum"] = list(reversed(values))
    else:
        seed = s.get("default", rng.choice(["a", 1, "x", 2.5, True]))
        if isinstance(seed, list | dict):
            seed = "a"
        s["enum"] = [seed, rng.choice(["b", 3, "zz", 7])]
    return s


def m_const(rng: random.Random, s: Schema) -> Schema:
    if "const" in s:
        del s["const"]
    else:
        s["const"] = s.get("default", rng.choice(["a", 1, True]))
    return s


def m_type(rng: random.Random, s: Schema) -> Schema:
    choice = rng.randrange(5)
    current = s.get("type")
    if choice == 0:
        s["type"] = rng.choice(_TYPES)
    elif choice == 1 and isinstance(current, str):
        s["type"] = [current, rng.choice(_TYPES)]
    elif choice == 2:
        s.pop("type", None)
    elif choice == 3 and current == "number":
        s["type"] = "integer"
    else:
        s["nullable"] = not s.get("nullable", False)
    return s


def m_pattern(rng: random.Random, s: Schema) -> Schema:
    if "pattern" in s and rng.random() < 0.3:
        del s["pattern"]
    else:
        s["pattern"] = rng.choice(_PATTERNS)
    return s


def m_items(rng: random.Random, s: Schema) -> Schema:
    if isinstance(s.get("items"), dict):
        s["items"] = mutate(rng, copy.deepcopy(s["items"]), 1)
    else:
        s["items"] = {"type": rng.choice(["string", "integer"])}
    return s


def m_nested(rng: random.Random, s: Schema) -> Schema:
    props = s.get("properties")
    if not isinstance(props, dict) or not props:
        s["properties"] = {"k": {"type": rng.choice(["string", "integer"])}}
        return s
    name = rng.choice(sorted(props))
    required = list(s.get("required") or [])
    choice = rng.randrange(5)
    if choice == 0:
        props[name] = mutate(rng, copy.deepcopy(props[name]), 1)
    elif choice == 1:
        del props[name]
    elif choice == 2:
        props["added_" + name] = {"type": "string"}
        if rng.random() < 0.5:
            required.append("added_" + name)
    elif choice == 3:
        s["required"] = (
            [r for r in required if r != name] if name in required else [*required, name]
        )
        return s
    else:
        props[name + "s"] = props.pop(name)  # a rename
    if required:
        s["required"] = [r for r in required if r in props or rng.random() < 0.5]
    return s


def m_wrap(rng: random.Random, s: Schema) -> Schema:
    inner = copy.deepcopy(s)
    choice = rng.randrange(6)
    if choice == 0:
        return {"anyOf": [inner, {"type": "null"}]}
    if choice == 5:  # `nullable` moved into a null alternative (or dropped on the way)
        inner.pop("nullable", None)
        return {"anyOf": [inner, rng.choice([{"type": "null"}, {"type": "string"}])]}
    if choice == 1:
        return {"allOf": [inner, {"description": "documented", "examples": [1]}]}
    if choice == 2:
        return {"allOf": [inner, {"minimum": 3}]}
    if choice == 3:
        return {"oneOf": [inner, {"type": rng.choice(_TYPES)}]}
    return {"anyOf": [inner]}


def m_composition(rng: random.Random, s: Schema) -> Schema:
    for key in ("anyOf", "oneOf", "allOf"):
        members = s.get(key)
        if isinstance(members, list) and members:
            choice = rng.randrange(3)
            if choice == 0 and len(members) > 1:
                members.pop(rng.randrange(len(members)))
            elif choice == 1:
                i = rng.randrange(len(members))
                members[i] = mutate(rng, copy.deepcopy(members[i]), 1)
            else:
                members.append({"type": rng.choice(_TYPES)})
            return s
    return m_wrap(rng, s)


_RESTRICTIONS: list[tuple[str, Any]] = [
    ("contains", {"type": "string"}),
    ("propertyNames", {"maxLength": 3}),
    ("unevaluatedProperties", False),
    ("unevaluatedItems", False),
    ("unevaluatedProperties", True),
    ("dependentRequired", {"a": ["b"]}),
    ("patternProperties", {"^x": {"type": "integer"}}),
    ("dependentSchemas", {"a": {"required": ["c"]}}),
    ("prefixItems", [{"type": "string"}]),
    ("prefixItems", [{"type": "string"}, {"type": "integer"}]),
    ("if", {"required": ["a"]}),
    ("then", {"required": ["b"]}),
    ("else", {"maxProperties": 1}),
    ("not", {"type": "null"}),
]


def m_restrict(rng: random.Random, s: Schema) -> Schema:
    key, value = rng.choice(_RESTRICTIONS)
    if key in s and rng.random() < 0.6:
        del s[key]
    else:
        s[key] = copy.deepcopy(value)
    return s


def m_annotation(rng: random.Random, s: Schema) -> Schema:
    key = rng.choice(["description", "default", "title", "x-order", "examples", "format"])
    if key in s and rng.random() < 0.5:
        del s[key]
    else:
        s[key] = rng.choice(["new text", 3, "uri", ["e"]])
    return s


def m_additional(rng: random.Random, s: Schema) -> Schema:
    s["additionalProperties"] = rng.choice([False, True, {"type": "string"}, {"type": "integer"}])
    return s


MUTATIONS: list[Mutation] = [
    m_bound,
    m_bound,
    m_enum,
    m_enum,
    m_const,
    m_type,
    m_pattern,
    m_items,
    m_nested,
    m_wrap,
    m_composition,
    m_restrict,
    m_restrict,
    m_annotation,
    m_additional,
]


def mutate(rng: random.Random, schema: Schema, count: int) -> Schema:
    for _ in range(count):
        schema = rng.choice(MUTATIONS)(rng, schema)
    return schema


def _pairs(seed: int, pool: list[tuple[str, Schema]], rounds: int) -> list[tuple[str, Any, Any]]:
    rng = random.Random(seed)
    out = []
    for label, schema in pool:
        for _ in range(rounds):
            old = copy.deepcopy(schema)
            if rng.random() < 0.3:
                old = mutate(rng, old, rng.randint(1, 2))
            new = mutate(rng, copy.deepcopy(old), rng.randint(1, 3))
            out.append((label, old, new))
    return out


def _check(pairs: list[tuple[str, Any, Any]], seed: int, request: bool) -> tuple[int, int]:
    rng = random.Random(seed)
    safe = 0
    for label, old, new in pairs:
        changes = judge(old, new, request)
        if not judged_safe(changes):
            continue
        safe += 1
        bad = refused(old, new, rng, request)
        assert not bad, (
            f"{label}: judged non-breaking but {bad[0]!r} was accepted and is now refused\n"
            f"old: {json.dumps(old)}\nnew: {json.dumps(new)}\n"
            + "\n".join(f"{c.level} {c.rule} {c.pointer}" for c in changes)
        )
    return len(pairs), safe


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_non_breaking_judgements_hold_for_every_property_of_the_snapshot(seed: int) -> None:
    total, safe = _check(_pairs(seed, PROPERTIES, 1), seed, request=False)
    assert total == len(PROPERTIES) > 500
    assert safe > total // 5  # the mutations produce plenty of pairs judged non-breaking


@pytest.mark.parametrize("seed", [7, 8])
def test_non_breaking_judgements_hold_for_mutated_request_schemas(seed: int) -> None:
    total, safe = _check(_pairs(seed, REQUESTS, 2), seed, request=True)
    assert total == 2 * len(REQUESTS) and safe > total // 5


@pytest.mark.slow
def test_non_breaking_judgements_hold_over_many_more_mutations() -> None:
    for seed in range(100, 112):
        _check(_pairs(seed, PROPERTIES, 1), seed, request=False)
        _check(_pairs(seed, REQUESTS, 2), seed, request=True)


# --- the oracle is not vacuous -----------------------------------------------------------------

KNOWN_BREAKS: list[tuple[str, Schema, Schema]] = [
    ("enum value removed", {"enum": ["a", "b"]}, {"enum": ["a"]}),
    (
        "enum replaced by a narrower range",
        {"type": "integer", "enum": [2, 3, 9, 10]},
        {"type": "integer", "minimum": 2, "maximum": 8},
    ),
    ("maximum lowered", {"type": "integer", "maximum": 10}, {"type": "integer", "maximum": 9}),
    (
        "pattern narrowed",
        {"type": "string", "pattern": "^[a-z]+$"},
        {"type": "string", "pattern": "^[a-y]+$"},
    ),
    ("nullable dropped", {"type": "string", "nullable": True}, {"type": "string"}),
    ("const added", {"type": "string"}, {"type": "string", "const": "a"}),
    (
        "item type changed",
        {"type": "array", "items": {"type": "string"}},
        {"type": "array", "items": {"type": "integer"}},
    ),
    (
        "property became required",
        {"type": "object", "properties": {"a": {"type": "string"}}},
        {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
    ),
    (
        "dependentRequired added",
        {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}},
        {
            "type": "object",
            "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
            "dependentRequired": {"a": ["b"]},
        },
    ),
    (
        "oneOf alternatives made to overlap",
        {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        {"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "number"}]},
    ),
]


@pytest.mark.parametrize(("case", "old", "new"), KNOWN_BREAKS, ids=[c[0] for c in KNOWN_BREAKS])
def test_oracle_finds_a_refused_value_and_the_diff_does_not_call_it_safe(
    case: str, old: Schema, new: Schema
) -> None:
    assert refused(old, new, random.Random(0)), "the generator missed a value the change refuses"
    assert not judged_safe(judge(old, new))
