"""Every request class of the snapshot behaves like the pydantic model its users expect, and
agrees with the JSON Schema the API publishes.

For each model: bodies built from its schema (only the required properties; every property)
dump back exactly (``model_dump``/``model_dump_json`` -> validate -> the same object and the same
JSON); ``jsonschema`` given ``model_json_schema()`` reaches the verdict it reaches with the
snapshot's own schema (normalised to draft 2020-12) on those bodies and on mutations of them
(a wrong enum value, a wrong type, an unknown property, a missing required one), and so does the
class; every documented property carries its description in ``model_fields``; the client's
methods carry their own names.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import oxen_inference as ox
import pydantic
import pytest

from oxgen import naming, normalise, routes
from oxgen.literals import plain
from oxgen.media import media_kind
from oxgen.snapshot import load

SNAPSHOT = load(Path(__file__).resolve().parents[2] / "schemas")
MODELS = [m for m in SNAPSHOT.models if isinstance(m.get("request_schema"), dict)]
IDS = [m["id"] for m in MODELS]


def _standard(model: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = normalise.localise_refs(normalise.to_standard(model["request_schema"]))
    return schema


def _instance(schema: Any, full: bool, media: bool = False) -> Any:
    """A value `schema` accepts: its default, first enum value or const, else one built from its
    type and bounds (objects: the required properties, or all of them when `full`). The strings
    of a media input are URLs (the client refuses any other string there)."""
    if not isinstance(schema, dict):
        return None
    if "default" in schema:
        return copy.deepcopy(schema["default"])
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return _instance(schema[key][0], full, media)
    types = schema.get("type")
    kind = types[0] if isinstance(types, list) else types
    if kind == "object" or (kind is None and "properties" in schema):
        props = schema.get("properties", {})
        wanted = props if full else [p for p in schema.get("required", []) if p in props]
        return {p: _instance(props[p], full, media_kind(p, props[p]) is not None) for p in wanted}
    if kind == "array":
        count = max(schema.get("minItems", 0), 1 if full else 0)
        return [_instance(schema.get("items", {}), full, media) for _ in range(count)]
    if kind in ("integer", "number"):
        low = _bound(schema, "minimum", "exclusiveMinimum", 0)
        high = _bound(schema, "maximum", "exclusiveMaximum", low + 2)
        value = low + 1 if "exclusiveMinimum" in schema else low
        value = min(value, high - 1) if "exclusiveMaximum" in schema else min(value, high)
        return int(value) if kind == "integer" else value + 0.5 * (value + 0.5 <= high)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    if kind == "string" or kind is None:
        if media:
            return "https://example.com/" + "x" * max(schema.get("minLength", 0), 1)
        return "x" * max(schema.get("minLength", 0), 1)
    raise AssertionError(f"no instance for {schema!r}")


def _bound(schema: dict[str, Any], inclusive: str, exclusive: str, default: float) -> float:
    for key in (inclusive, exclusive):
        if isinstance(schema.get(key), (int, float)):
            return float(schema[key])
    return default


def _wrong_type(schema: dict[str, Any]) -> Any:
    """A value of a JSON type the property does not allow (None if it allows them all)."""
    types = schema.get("type")
    allowed = set(types if isinstance(types, list) else [types] if types else [])
    for kind, value in (("string", "x"), ("integer", 7), ("boolean", True), ("object", {"a": 1})):
        if kind not in allowed and not (kind == "integer" and "number" in allowed):
            return value
    return None


def _mutations(schema: dict[str, Any], body: dict[str, Any]) -> list[tuple[str, Any]]:
    props: dict[str, Any] = schema.get("properties", {})
    out: list[tuple[str, Any]] = [("unknown property", {**body, "zz_not_a_parameter": 1})]
    for name in schema.get("required", []):
        if name in body:
            out.append((f"missing {name}", {k: v for k, v in body.items() if k != name}))
    for name, prop in props.items():
        if not isinstance(prop, dict):
            continue
        if isinstance(prop.get("enum"), list):
            out.append((f"{name}: not in enum", {**body, name: "zz-not-a-value"}))
        if prop.get("type") and (wrong := _wrong_type(prop)) is not None:
            out.append((f"{name}: wrong type", {**body, name: wrong}))
    return out


def _accepts(cls: type[ox.RequestModel], body: Any) -> bool:
    try:
        cls.model_validate(body)
    except pydantic.ValidationError:
        return False
    return True


@pytest.fixture(scope="module")
def client() -> ox.Oxen:
    return ox.Oxen(api_key="test-key", base_url="http://127.0.0.1:9/api")


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_dumps_validate_back_and_schemas_agree(model: dict[str, Any]) -> None:
    cls = ox.request_model(model["id"])
    snapshot = jsonschema.Draft202012Validator(_standard(model))
    published = cls.model_json_schema()
    assert published["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(published)
    mine = jsonschema.Draft202012Validator(published)
    schema = _standard(model)
    checked = 0
    for full in (False, True):
        body = _instance(schema, full)
        assert snapshot.is_valid(body), (body, list(snapshot.iter_errors(body)))
        request = cls.model_validate(body)
        # A dump is exactly the body: what was set, under the wire names, nothing added.
        assert request.model_dump() == body
        assert json.loads(request.model_dump_json()) == body
        assert ox.to_body(request) == body
        assert cls.model_validate(request.model_dump()) == request
        assert cls.model_validate_json(request.model_dump_json()) == request
        assert mine.is_valid(body)
        for label, mutated in _mutations(schema, body):
            expected = snapshot.is_valid(mutated)
            assert mine.is_valid(mutated) is expected, label
            assert _accepts(cls, mutated) is expected, label
            checked += 1
    assert checked >= 2


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_descriptions_reach_model_fields(model: dict[str, Any]) -> None:
    cls = ox.request_model(model["id"])
    schema = _standard(model)
    wire = {
        (f.validation_alias if isinstance(f.validation_alias, str) else name): f
        for name, f in cls.model_fields.items()
    }
    for prop, sub in schema.get("properties", {}).items():
        text = plain(sub.get("description")) or plain(sub.get("title"))
        assert wire[prop].description == (text or None), prop


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_methods_carry_their_own_names(model: dict[str, Any], client: ox.Oxen) -> None:
    module = naming.model_module_names(m["id"] for m in SNAPSHOT.models)[model["id"]]
    route = routes.route_for(model)
    names = [naming.generate_method_name(module)] if route else []
    if routes.QUEUE_MEDIA.get(route or ""):
        names.append(naming.submit_method_name(module))
    assert names, "every model with a schema has a route or the queue"
    for name in names:
        assert name.endswith(module)
        method = getattr(client, name)
        assert method.__name__ == name
        assert method.__qualname__ == f"Oxen.{name}"
        with pytest.raises(TypeError, match=rf"Oxen\.{name}\(\) got an unexpected keyword"):
            method(zz_not_a_parameter=1)


def test_a_misspelled_keyword_suggests_the_parameter(client: ox.Oxen) -> None:
    with pytest.raises(TypeError) as caught:
        client.generate_luma_ray_v3_2_image_to_video(promptt="a tiger", input_image="https://u")  # type: ignore[call-arg]
    assert str(caught.value) == (
        "Oxen.generate_luma_ray_v3_2_image_to_video() got an unexpected keyword argument "
        "'promptt'; did you mean 'prompt'?"
    )
    # A TypeError raised inside the call is not rewritten.
    with pytest.raises(ox.ValidationError):
        client.generate_luma_ray_v3_2_image_to_video(prompt=5, input_image="https://u")  # type: ignore[arg-type]


async def test_async_methods_are_coroutine_functions_with_the_same_names() -> None:
    import inspect

    async with ox.AsyncOxen(api_key="k", base_url="http://127.0.0.1:9/api") as aclient:
        method = aclient.submit_luma_ray_v3_2_image_to_video
        assert inspect.iscoroutinefunction(method)
        assert method.__qualname__ == "AsyncOxen.submit_luma_ray_v3_2_image_to_video"
        assert "num_generations" not in inspect.signature(method).parameters
        with pytest.raises(TypeError, match="did you mean 'prompt'"):
            await method(promptt="p", input_image="https://u")  # type: ignore[call-arg]
