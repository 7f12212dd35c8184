"""One planted change per rule: each is reported under its rule id, at its level and pointer, and
nothing else is reported alongside it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from oxgen import snapshot
from oxgen.diff import RULES, compare
from oxgen.diff.rules import Change

from .conftest import MODEL_ID, base_model, catalog

Model = dict[str, Any]
Mutation = Callable[[Model], None]


def _props(model: Model) -> dict[str, Any]:
    props: dict[str, Any] = model["request_schema"]["properties"]
    return props


def run_diff(old_models: list[Model], new_models: list[Model]) -> list[Change]:
    old = snapshot.from_catalog(catalog(old_models), "old")
    new = snapshot.from_catalog(catalog(new_models), "new")
    return compare(old, new)


def planted(mutate: Mutation, before: Mutation | None = None) -> list[Change]:
    old = base_model()
    if before is not None:
        before(old)
    new = copy.deepcopy(old)
    mutate(new)
    return run_diff([old], [new])


def prop(name: str, **changes: Any) -> Mutation:
    """A mutation setting (or, with value ..., deleting) keys of one top-level property."""

    def mutate(model: Model) -> None:
        target = _props(model)[name]
        for key, value in changes.items():
            if value is ...:
                target.pop(key, None)
            else:
                target[key] = value

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(model: Model) -> None:
        for m in mutations:
            m(model)

    return mutate


def add_prop(name: str, schema: dict[str, Any], required: bool = False) -> Mutation:
    def mutate(model: Model) -> None:
        _props(model)[name] = schema
        if required:
            model["request_schema"]["required"].append(name)

    return mutate


def set_required(name: str, required: bool, where: str | None = None) -> Mutation:
    def mutate(model: Model) -> None:
        schema = model["request_schema"] if where is None else _props(model)[where]
        names = schema.setdefault("required", [])
        if required:
            names.append(name)
        else:
            names.remove(name)

    return mutate


def root(**changes: Any) -> Mutation:
    def mutate(model: Model) -> None:
        for key, value in changes.items():
            if value is ...:
                model["request_schema"].pop(key, None)
            else:
                model["request_schema"][key] = value

    return mutate


def nested(name: str, **changes: Any) -> Mutation:
    def mutate(model: Model) -> None:
        target = _props(model)["config"]["properties"][name]
        target.update({k: v for k, v in changes.items() if v is not ...})
        for key in [k for k, v in changes.items() if v is ...]:
            target.pop(key)

    return mutate


def del_prop(name: str, where: str | None = None) -> Mutation:
    def mutate(model: Model) -> None:
        props = _props(model) if where is None else _props(model)[where]["properties"]
        del props[name]

    return mutate


def enum_edit(name: str, remove: str | None = None, add: str | None = None) -> Mutation:
    def mutate(model: Model) -> None:
        values = _props(model)[name]["enum"]
        if remove is not None:
            values.remove(remove)
        if add is not None:
            values.append(add)

    return mutate


P = "/properties"
ANY_OF = [{"type": "string"}, {"type": "integer"}]

# (case id, mutation of NEW, mutation of OLD or None, [(rule, pointer), ...] expected exactly)
CASES: list[tuple[str, Mutation, Mutation | None, list[tuple[str, str]]]] = [
    ("property-removed", del_prop("style"), None, [("property-removed", f"{P}/style")]),
    (
        "property-added-optional",
        add_prop("negative", {"type": "string"}),
        None,
        [("property-added-optional", f"{P}/negative")],
    ),
    (
        "property-added-required",
        add_prop("negative", {"type": "string"}, required=True),
        None,
        [("property-added-required", f"{P}/negative")],
    ),
    (
        "property-became-required",
        set_required("style", True),
        None,
        [("property-became-required", f"{P}/style")],
    ),
    (
        "property-became-optional",
        set_required("prompt", False),
        None,
        [("property-became-optional", f"{P}/prompt")],
    ),
    (
        "property-python-name-changed",
        add_prop("class_", {"type": "string"}),
        add_prop("class", {"type": "string"}),
        [
            ("property-added-optional", f"{P}/class_"),
            ("property-python-name-changed", f"{P}/class"),
        ],
    ),
    (
        "property-deprecated",
        prop("style", deprecated=True),
        None,
        [("property-deprecated", f"{P}/style/deprecated")],
    ),
    ("type-changed", prop("style", type="integer"), None, [("type-changed", f"{P}/style/type")]),
    (
        "type-narrowed number->integer",
        prop("guidance", type="integer"),
        None,
        [("type-narrowed", f"{P}/guidance/type")],
    ),
    (
        "type-narrowed nullable true->false",
        prop("seed", nullable=False),
        None,
        [("type-narrowed", f"{P}/seed/nullable")],
    ),
    ("type-narrowed typed", prop("code", type=...), prop("code", type=...), []),
    (
        "type-narrowed untyped->string",
        prop("style", type="string"),
        prop("style", type=...),
        [("type-narrowed", f"{P}/style/type")],
    ),
    (
        "type-widened integer->number",
        prop("steps", type="number"),
        None,
        [("type-widened", f"{P}/steps/type")],
    ),
    (
        "type-widened nullable false->true",
        prop("style", nullable=True),
        None,
        [("type-widened", f"{P}/style/nullable")],
    ),
    (
        "type-widened type list",
        prop("style", type=["string", "integer"]),
        None,
        [("type-widened", f"{P}/style/type")],
    ),
    (
        "enum-value-removed",
        enum_edit("mode", remove="quality"),
        None,
        [("enum-value-removed", f"{P}/mode/enum")],
    ),
    (
        "enum-value-added",
        enum_edit("mode", add="draft"),
        None,
        [("enum-value-added", f"{P}/mode/enum")],
    ),
    ("enum-added", prop("style", enum=["a", "b"]), None, [("enum-added", f"{P}/style/enum")]),
    ("enum-removed", prop("mode", enum=...), None, [("enum-removed", f"{P}/mode/enum")]),
    (
        "lower-bound-raised minimum",
        prop("steps", minimum=2),
        None,
        [("lower-bound-raised", f"{P}/steps/minimum")],
    ),
    (
        "lower-bound-raised exclusive",
        prop("steps", minimum=..., exclusiveMinimum=1),
        None,
        [("lower-bound-raised", f"{P}/steps/exclusiveMinimum")],
    ),
    (
        "lower-bound-raised draft-04 exclusive",
        prop("steps", exclusiveMinimum=True),
        None,
        [("lower-bound-raised", f"{P}/steps/minimum")],
    ),
    (
        "lower-bound-raised minLength",
        prop("prompt", minLength=5),
        None,
        [("lower-bound-raised", f"{P}/prompt/minLength")],
    ),
    (
        "lower-bound-raised minLength added",
        prop("style", minLength=3),
        None,
        [("lower-bound-raised", f"{P}/style/minLength")],
    ),
    (
        "lower-bound-raised minItems",
        prop("images", minItems=2),
        None,
        [("lower-bound-raised", f"{P}/images/minItems")],
    ),
    (
        "lower-bound-lowered minimum",
        prop("steps", minimum=0),
        None,
        [("lower-bound-lowered", f"{P}/steps/minimum")],
    ),
    (
        "lower-bound-lowered exclusive->inclusive",
        prop("guidance", exclusiveMinimum=..., minimum=0),
        None,
        [("lower-bound-lowered", f"{P}/guidance/minimum")],
    ),
    (
        "lower-bound-lowered removed",
        prop("prompt", minLength=...),
        None,
        [("lower-bound-lowered", f"{P}/prompt/minLength")],
    ),
    (
        "upper-bound-lowered maximum",
        prop("steps", maximum=40),
        None,
        [("upper-bound-lowered", f"{P}/steps/maximum")],
    ),
    (
        "upper-bound-lowered exclusive",
        prop("guidance", maximum=..., exclusiveMaximum=20),
        None,
        [("upper-bound-lowered", f"{P}/guidance/exclusiveMaximum")],
    ),
    (
        "upper-bound-lowered maxLength",
        prop("prompt", maxLength=100),
        None,
        [("upper-bound-lowered", f"{P}/prompt/maxLength")],
    ),
    (
        "upper-bound-lowered maxItems",
        prop("images", maxItems=2),
        None,
        [("upper-bound-lowered", f"{P}/images/maxItems")],
    ),
    (
        "upper-bound-raised maximum",
        prop("steps", maximum=60),
        None,
        [("upper-bound-raised", f"{P}/steps/maximum")],
    ),
    (
        "upper-bound-raised removed",
        prop("images", maxItems=...),
        None,
        [("upper-bound-raised", f"{P}/images/maxItems")],
    ),
    (
        "multiple-of-tightened",
        prop("steps", multipleOf=2),
        None,
        [("multiple-of-tightened", f"{P}/steps/multipleOf")],
    ),
    (
        "multiple-of-loosened",
        prop("steps", multipleOf=...),
        None,
        [("multiple-of-loosened", f"{P}/steps/multipleOf")],
    ),
    (
        "multiple-of-loosened divisor",
        prop("guidance", multipleOf=0.5),
        prop("guidance", multipleOf=1.5),
        [("multiple-of-loosened", f"{P}/guidance/multipleOf")],
    ),
    (
        "unique-items-added",
        prop("images", uniqueItems=True),
        None,
        [("unique-items-added", f"{P}/images/uniqueItems")],
    ),
    (
        "unique-items-removed",
        prop("images", uniqueItems=...),
        prop("images", uniqueItems=True),
        [("unique-items-removed", f"{P}/images/uniqueItems")],
    ),
    (
        "pattern-added",
        prop("style", pattern="^[a-z]+$"),
        None,
        [("pattern-added", f"{P}/style/pattern")],
    ),
    (
        "pattern-widened",
        prop("code", pattern="^[a-z0-9]+$"),
        None,
        [("pattern-widened", f"{P}/code/pattern")],
    ),
    (
        "pattern-narrowed",
        prop("code", pattern="^[a-y]+$"),
        None,
        [("pattern-narrowed", f"{P}/code/pattern")],
    ),
    (
        "pattern-changed (undecided: a group)",
        prop("code", pattern="^([a-z]|-)+$"),
        None,
        [("pattern-changed", f"{P}/code/pattern")],
    ),
    (
        "pattern-removed",
        prop("code", pattern=...),
        None,
        [("pattern-removed", f"{P}/code/pattern")],
    ),
    ("format-added", prop("style", format="email"), None, [("format-added", f"{P}/style/format")]),
    (
        "format-changed",
        prop("image_url", format="uri-reference"),
        None,
        [("format-changed", f"{P}/image_url/format")],
    ),
    (
        "format-removed",
        prop("image_url", format=...),
        None,
        [("format-removed", f"{P}/image_url/format")],
    ),
    (
        "default-changed",
        prop("steps", default=30),
        None,
        [("default-changed", f"{P}/steps/default")],
    ),
    (
        "default-removed",
        prop("mode", default=...),
        None,
        [("default-removed", f"{P}/mode/default")],
    ),
    (
        "default-added",
        prop("style", default="plain"),
        None,
        [("default-added", f"{P}/style/default")],
    ),
    (
        "additional-properties-restricted",
        root(additionalProperties=False),
        None,
        [("additional-properties-restricted", "/additionalProperties")],
    ),
    (
        "additional-properties-restricted to schema",
        root(additionalProperties={"type": "string"}),
        None,
        [("additional-properties-restricted", "/additionalProperties")],
    ),
    (
        "additional-properties-allowed",
        root(additionalProperties=...),
        root(additionalProperties=False),
        [("additional-properties-allowed", "/additionalProperties")],
    ),
    (
        "additional-properties schema compared",
        prop("extra", additionalProperties={"type": "integer"}),
        None,
        [("type-changed", f"{P}/extra/additionalProperties/type")],
    ),
    (
        "composition-narrowed",
        prop("style", type=..., anyOf=ANY_OF[:1]),
        prop("style", type=..., anyOf=ANY_OF),
        [("composition-narrowed", f"{P}/style/anyOf/1")],
    ),
    (
        "composition-widened",
        prop("style", type=..., anyOf=[*ANY_OF, {"type": "boolean"}]),
        prop("style", type=..., anyOf=ANY_OF),
        [("composition-widened", f"{P}/style/anyOf/2")],
    ),
    (
        "composition member compared",
        prop("style", type=..., anyOf=[{"type": "string", "maxLength": 3}, ANY_OF[1]]),
        prop("style", type=..., anyOf=ANY_OF),
        [("upper-bound-lowered", f"{P}/style/anyOf/0/maxLength")],
    ),
    (
        "constraint-added const",
        prop("style", const="x"),
        None,
        [("constraint-added", f"{P}/style/const")],
    ),
    (
        "constraint-removed const",
        prop("style", const=...),
        prop("style", const="x"),
        [("constraint-removed", f"{P}/style/const")],
    ),
    (
        "constraint-changed not",
        prop("style", **{"not": {"const": "y"}}),
        prop("style", **{"not": {"const": "x"}}),
        [("constraint-changed", f"{P}/style/not")],
    ),
    (
        "all-of-annotation-added",
        root(allOf=[{"description": "Shared parameters.", "examples": [{}]}]),
        None,
        [("all-of-annotation-added", "/allOf/0")],
    ),
    (
        "property-renamed",
        both(del_prop("style"), add_prop("styles", {"type": "string"})),
        None,
        [("property-renamed", f"{P}/style")],
    ),
    (
        "properties-reordered",
        both(prop("prompt", **{"x-order": 1}), prop("steps", **{"x-order": 0})),
        prop("steps", **{"x-order": 1}),
        [("properties-reordered", "")],
    ),
    (
        "default-changed-required",
        prop("prompt", default="a cat"),
        prop("prompt", default="a dog"),
        [("default-changed-required", f"{P}/prompt/default")],
    ),
    (
        "default-removed-required",
        prop("prompt", default=...),
        prop("prompt", default="a dog"),
        [("default-removed-required", f"{P}/prompt/default")],
    ),
    (
        "description-changed",
        prop("prompt", description="What to render."),
        None,
        [("description-changed", f"{P}/prompt/description")],
    ),
    (
        "title-changed",
        prop("guidance", title="CFG"),
        None,
        [("title-changed", f"{P}/guidance/title")],
    ),
    (
        "x-order of one property: a reordering",
        prop("steps", **{"x-order": -1}),
        None,
        [("properties-reordered", "")],
    ),
    (
        "annotation-changed x-order outside properties",
        prop("images", items={"type": "string", "x-order": 1}),
        None,
        [("annotation-changed", f"{P}/images/items/x-order")],
    ),
    (
        "annotation-changed basic",
        root(basic=["prompt", "steps"]),
        None,
        [("annotation-changed", "/basic")],
    ),
    (
        "annotation-changed renderType",
        prop("image_url", renderType="video-url"),
        None,
        [("annotation-changed", f"{P}/image_url/renderType")],
    ),
    (
        "nested bound",
        nested("strength", maximum=0.5),
        None,
        [("upper-bound-lowered", f"{P}/config/properties/strength/maximum")],
    ),
    (
        "nested property removed",
        del_prop("label", where="config"),
        None,
        [("property-removed", f"{P}/config/properties/label")],
    ),
    (
        "nested became required",
        set_required("label", True, where="config"),
        None,
        [("property-became-required", f"{P}/config/properties/label")],
    ),
    (
        "array items type",
        prop("images", items={"type": "integer"}),
        None,
        [("type-changed", f"{P}/images/items/type")],
    ),
    (
        "array items format",
        prop("images", items={"type": "string", "format": "uri"}),
        None,
        [("format-added", f"{P}/images/items/format")],
    ),
]


@pytest.mark.parametrize(("case", "mutate", "before", "expected"), CASES, ids=[c[0] for c in CASES])
def test_planted_change(
    case: str, mutate: Mutation, before: Mutation | None, expected: list[tuple[str, str]]
) -> None:
    changes = planted(mutate, before)
    assert sorted((c.rule, c.pointer) for c in changes) == sorted(expected)
    for c in changes:
        assert c.level == RULES[c.rule].level
        assert c.model == MODEL_ID
        assert MODEL_ID in c.message and c.pointer in c.message


def test_levels_of_representative_rules() -> None:
    """The levels the issue prescribes, spelled out (a rule-table edit must be deliberate)."""
    expected = {
        "model-removed": "breaking",
        "model-added": "info",
        "property-removed": "breaking",
        "property-added-optional": "info",
        "property-added-required": "breaking",
        "property-became-required": "breaking",
        "property-became-optional": "info",
        "enum-value-removed": "breaking",
        "enum-value-added": "info",
        "type-changed": "breaking",
        "type-narrowed": "breaking",
        "type-widened": "info",
        "lower-bound-raised": "breaking",
        "upper-bound-lowered": "breaking",
        "lower-bound-lowered": "info",
        "upper-bound-raised": "info",
        "pattern-added": "breaking",
        "pattern-changed": "warning",
        "pattern-widened": "info",
        "pattern-narrowed": "breaking",
        "constraint-added": "breaking",
        "constraint-removed": "info",
        "default-changed-required": "info",
        "default-removed-required": "info",
        "property-renamed": "breaking",
        "properties-reordered": "info",
        "all-of-annotation-added": "info",
        "format-added": "breaking",
        "format-changed": "breaking",
        "default-changed": "warning",
        "description-changed": "info",
        "title-changed": "info",
        "annotation-changed": "info",
        "model-python-name-changed": "breaking",
        "property-python-name-changed": "breaking",
        "additional-properties-restricted": "breaking",
        "model-schema-removed": "breaking",
        "route-changed": "breaking",
    }
    assert {rid: RULES[rid].level for rid in expected} == expected


def test_messages_speak_python() -> None:
    (removed,) = planted(del_prop("style"))
    assert "keyword argument `style`" in removed.message
    (nested_change,) = planted(nested("strength", maximum=0.5))
    assert "`config.strength`" in nested_change.message and "0.5" in nested_change.message
    (nullable,) = planted(prop("seed", nullable=False))
    assert "None" in nullable.message
    (default,) = planted(prop("steps", default=30))
    assert "28" in default.message and "30" in default.message


# --- model-level rules -----------------------------------------------------------------------


def _rules(changes: list[Change]) -> list[tuple[str, str, str, str]]:
    return [(c.model, c.rule, c.pointer, c.level) for c in changes]


def test_model_removed_and_added() -> None:
    changes = run_diff([base_model("acme-old")], [base_model("acme-new")])
    assert _rules(changes) == [
        ("acme-new", "model-added", "", "info"),
        ("acme-old", "model-removed", "", "breaking"),
    ]
    assert "generate_acme_old()" in changes[1].message


def test_schema_became_null_and_back() -> None:
    with_schema, without = base_model(), base_model()
    without["request_schema"] = None
    assert _rules(run_diff([with_schema], [without])) == [
        (MODEL_ID, "model-schema-removed", "", "breaking")
    ]
    assert _rules(run_diff([without], [with_schema])) == [
        (MODEL_ID, "model-schema-added", "", "info")
    ]


def test_model_python_name_changes_when_ids_collide() -> None:
    """`Acme-Video` is alone, then `acme-video` (canonical) arrives and takes the plain name."""
    odd = base_model("Acme-Video")
    changes = run_diff([odd], [odd, base_model("acme-video")])
    assert _rules(changes) == [
        ("Acme-Video", "model-python-name-changed", "", "breaking"),
        ("acme-video", "model-added", "", "info"),
    ]
    assert "AcmeVideoRequest -> AcmeVideo" in changes[0].message


def test_model_python_name_changes_when_only_class_names_collide() -> None:
    """`flux-2` (module flux_2) and `flux2` (module flux2) share no module name, but both would be
    `Flux2Request`: when `flux2` arrives, `flux-2`'s class takes a hash suffix, which is reported."""
    changes = run_diff([base_model("flux-2")], [base_model("flux-2"), base_model("flux2")])
    assert _rules(changes) == [
        ("flux-2", "model-python-name-changed", "", "breaking"),
        ("flux2", "model-added", "", "info"),
    ]
    assert "request class Flux2Request -> Flux2_" in changes[0].message
    assert "module" not in changes[0].message.split("(")[1]  # the module name stays


def _with(**fields: Any) -> Model:
    model = base_model()
    model.update(fields)
    return model


def test_route_changed_when_results_change_kind() -> None:
    image = _with(
        endpoint="/images/generate", capabilities={"input": ["text"], "output": ["image"]}
    )
    changes = run_diff([base_model()], [image])
    assert _rules(changes) == [(MODEL_ID, "route-changed", "", "breaking")]
    assert (
        "/ai/videos/generate" in changes[0].message and "/ai/images/generate" in changes[0].message
    )


def test_route_lost_is_breaking_and_gained_is_info() -> None:
    embedding = _with(
        endpoint="/embeddings", capabilities={"input": ["text"], "output": ["embedding"]}
    )
    assert _rules(run_diff([base_model()], [embedding])) == [
        (MODEL_ID, "route-changed", "", "breaking")
    ]
    assert _rules(run_diff([embedding], [base_model()])) == [(MODEL_ID, "route-added", "", "info")]


def test_route_moved_within_the_same_kind_is_a_warning() -> None:
    generate = _with(
        endpoint="/images/generate", capabilities={"input": ["text"], "output": ["image"]}
    )
    edit = _with(
        endpoint="/images/edit", capabilities={"input": ["text", "image"], "output": ["image"]}
    )
    assert _rules(run_diff([generate], [edit])) == [(MODEL_ID, "route-moved", "", "warning")]


def test_metadata_and_description_changes_are_info() -> None:
    caps = _with(
        capabilities={"input": ["text", "image"], "output": ["video"]}, description="Better videos."
    )
    assert _rules(run_diff([base_model()], [caps])) == [
        (MODEL_ID, "model-description-changed", "", "info"),
        (MODEL_ID, "model-metadata-changed", "", "info"),
    ]


def test_price_changes_are_warnings_naming_what_moved() -> None:
    per_image = {"method": "per_image", "cost_per_image": 0.1}
    grid = {"method": "per_image", "cost_per_image_grid": {"high": {"1K": 0.13, "2K": 0.29}}}
    dearer = {"method": "per_image", "cost_per_image_grid": {"high": {"1K": 0.13, "2K": 0.31}}}
    cases = [
        (
            base_model(),
            _with(pricing=per_image),
            'pricing added: cost_per_image 0.1, method "per_image"',
        ),
        (_with(pricing=per_image), base_model(), "pricing removed"),
        (
            _with(pricing=per_image),
            _with(pricing={**per_image, "cost_per_image": 0.12}),
            "pricing changed: cost_per_image 0.1 -> 0.12",
        ),
        (
            _with(pricing=grid),
            _with(pricing=dearer),
            "pricing changed: cost_per_image_grid.high.2K 0.29 -> 0.31",
        ),
        (
            _with(pricing=per_image),
            _with(pricing=grid),
            "cost_per_image 0.1 -> (none); cost_per_image_grid.high.1K (none) -> 0.13",
        ),
    ]
    for old, new, words in cases:
        changes = run_diff([old], [new])
        assert _rules(changes) == [(MODEL_ID, "model-pricing-changed", "", "warning")]
        assert words in changes[0].message, changes[0].message
    assert (
        run_diff([_with(pricing=per_image)], [_with(pricing=dict(reversed(per_image.items())))])
        == []
    )


def test_every_rule_has_a_planted_case() -> None:
    """Keeps the rule book and this file in step: a new rule needs a test here."""
    covered = {rule for _, _, _, expected in CASES for rule, _ in expected}
    covered |= {
        "model-removed",
        "model-added",
        "model-schema-removed",
        "model-schema-added",
        "model-python-name-changed",
        "route-changed",
        "route-moved",
        "route-added",
        "model-metadata-changed",
        "model-description-changed",
        "model-pricing-changed",
        "allow-entry-stale",  # tests/diff/test_diff_allow.py
    }
    assert covered == set(RULES)
