"""Seeded random edits of the committed schemas: the comparison never raises, and reversing a
diff swaps additions and removals."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import pytest

from oxgen import snapshot
from oxgen.diff import RULES, DiffError, compare
from oxgen.diff.sources import check_schema
from oxgen.vocabulary import walk

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
KEYS = ["type", "enum", "minimum", "exclusiveMaximum", "maxLength", "multipleOf", "uniqueItems", "pattern",
        "format", "default", "additionalProperties", "items", "anyOf", "allOf", "not", "const", "nullable",
        "x-order", "required", "properties", "$defs", "deprecated", "description", "oneOf",
        "if", "then", "else", "contains", "dependentRequired", "dependentSchemas",
        "patternProperties", "propertyNames", "unevaluatedProperties", "unevaluatedItems",
        "prefixItems", "exclusiveMinimum", "minItems"]  # fmt: skip
VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -1.5,
    "x",
    [],
    {},
    ["a"],
    {"type": "string"},
    [1, "a"],
    {"a": {}},
    float("inf"),
    float("nan"),
    10**400,
    "^[a-z]+$",
    "([",
    {"^x": {"type": "integer"}},
    {"a": ["b"]},
    [{"type": "string"}, {"const": 1}],
]


@pytest.fixture(scope="module")
def models() -> list[dict[str, Any]]:
    return [m for m in snapshot.load(SCHEMAS).models if m["request_schema"]]


def _mutated(model: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    new = copy.deepcopy(model)
    for _ in range(rng.randint(1, 4)):
        target = rng.choice(
            [sub for _, sub in walk(new["request_schema"]) if isinstance(sub, dict)]
        )
        key = rng.choice(KEYS)
        if rng.random() < 0.3:
            target.pop(key, None)
        else:
            target[key] = copy.deepcopy(rng.choice(VALUES))
    return new


def test_random_edits_never_raise(models: list[dict[str, Any]]) -> None:
    rng = random.Random(5)
    compared = 0
    for _ in range(800):
        old = rng.choice(models)
        new = _mutated(old, rng)
        try:
            check_schema(new["id"], new["request_schema"], "new")
        except DiffError:
            continue  # refused up front, with a message (exit 2)
        before, after = snapshot.Snapshot((old,), "old"), snapshot.Snapshot((new,), "new")
        for change in compare(before, after) + compare(after, before):
            assert change.rule in RULES and change.level == RULES[change.rule].level
            assert change.model in change.message
        compared += 1
    assert compared > 400


def test_reversed_diff_swaps_additions_and_removals(models: list[dict[str, Any]]) -> None:
    old = models[0]
    new = copy.deepcopy(old)
    name = sorted(new["request_schema"]["properties"])[0]
    del new["request_schema"]["properties"][name]
    if name in new["request_schema"].get("required", []):
        new["request_schema"]["required"].remove(name)
    forward = compare(snapshot.Snapshot((old,), "a"), snapshot.Snapshot((new,), "b"))
    backward = compare(snapshot.Snapshot((new,), "b"), snapshot.Snapshot((old,), "a"))
    assert [c.rule for c in forward] == ["property-removed"]
    assert [c.rule for c in backward] == ["property-added-optional"]
    assert forward[0].pointer == backward[0].pointer
