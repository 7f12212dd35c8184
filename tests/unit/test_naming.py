from __future__ import annotations

import keyword

import pytest

from oxgen import naming


def test_model_names_follow_the_id() -> None:
    names = naming.model_module_names(["luma-ray-v3-2-image-to-video", "kling-v2"])
    assert names["luma-ray-v3-2-image-to-video"] == "luma_ray_v3_2_image_to_video"
    assert naming.class_stem(names["luma-ray-v3-2-image-to-video"]) == "LumaRayV3_2ImageToVideo"
    assert naming.request_class_name("kling_v2") == "KlingV2Request"
    assert naming.class_stem("flux_v32") != naming.class_stem("flux_v3_2")


def test_colliding_ids_get_distinct_names_independent_of_other_models() -> None:
    alone = naming.model_module_names(["Flux.1 [dev]"])
    both = naming.model_module_names(["Flux.1 [dev]", "flux-1-dev", "flux_1_dev"])
    assert both["flux-1-dev"] == "flux_1_dev"  # the canonical id keeps the plain name
    assert len(set(both.values())) == 3
    assert alone["Flux.1 [dev]"] == "flux_1_dev"
    # the others' suffixes come from their own ids: adding more models does not move them
    more = naming.model_module_names(["Flux.1 [dev]", "flux-1-dev", "flux_1_dev", "flux 1 dev"])
    assert more["Flux.1 [dev]"] == both["Flux.1 [dev]"] and more["flux_1_dev"] == both["flux_1_dev"]


@pytest.mark.parametrize("model_id", ["class", "1-model", "", "../x", "über", "日本"])
def test_module_names_are_identifiers(model_id: str) -> None:
    name = naming.model_module_names([model_id])[model_id]
    assert name.isidentifier() and name.isascii() and not keyword.iskeyword(name)


def test_field_names() -> None:
    props = [
        "prompt",
        "class",
        "model_config",
        "json",
        "3d",
        "a-b",
        "a_b",
        "with space",
        "größe",
        "_x",
        "timeout",
        "type",
        "",
    ]
    names = naming.field_names(props)
    assert names["prompt"] == "prompt"
    assert names["class"] == "class_"
    assert names["model_config"] == "model_config_"
    assert names["json"] == "json_"
    assert names["3d"] == "field_3d"
    assert names["a_b"] == "a_b" and names["a-b"] == "a_b_2"
    assert names["with space"] == "with_space"
    assert names["größe"] == "grosse"
    assert names["_x"] == "field_x"
    assert names["timeout"] == "timeout_"  # a client call argument
    assert names["type"] == "type_"  # a builtin
    assert names[""] == "field"
    assert len(set(names.values())) == len(props)
    # a converted name never equals another property's wire name
    assert not (set(names.values()) - set(props)) & set(props)


def test_field_name_never_shadows_a_wire_name() -> None:
    names = naming.field_names(["class", "class_"])
    assert names["class_"] == "class_" and names["class"] == "class_2"


def test_fixed_reserved_names_cover_the_installed_pydantic_and_python() -> None:
    """The reserved sets are written out (output must not depend on the installed versions);
    they must still cover what this interpreter and this pydantic actually reserve."""
    import builtins
    import keyword

    from pydantic import BaseModel

    from oxgen import naming

    assert {n for n in dir(BaseModel) if not n.startswith("_")} <= naming.PYDANTIC_RESERVED
    assert {n for n in dir(builtins) if not n.startswith("_")} <= naming.BUILTINS
    assert set(keyword.kwlist) | set(keyword.softkwlist) <= naming.KEYWORDS
    for name in ("client", "params", "model_id", "timeout", "extra_body"):
        assert naming.field_names([name])[name] == name + "_"


def test_one_list_of_call_arguments_feeds_naming_and_the_methods() -> None:
    """The client's call arguments come from one list (oxgen.controls): the generic calls take
    exactly those, the per-model methods take theirs in order, and naming reserves them all
    (and nothing the client does not take)."""
    import inspect

    import oxen_inference as ox
    from oxen_inference._api import SyncOxenBase

    from oxgen import controls

    for kind in (controls.GENERATE, controls.SUBMIT):
        generic = inspect.signature(getattr(SyncOxenBase, kind)).parameters
        taken = {n for n, p in generic.items() if p.kind is p.KEYWORD_ONLY}
        assert taken == {c.name for c in controls.CALL_CONTROLS if kind in c.kinds}
        assert taken | {"self", "model_id", "params"} <= naming.CALL_ARGUMENTS
        client = ox.Oxen(api_key="k")
        method = getattr(client, f"{kind}_luma_ray_v3_2_image_to_video")
        names = list(inspect.signature(method).parameters)
        tail = [c.name for c in controls.controls_for(kind)]
        assert names[-len(tail) :] == tail
    assert "poll_interval" not in naming.CALL_ARGUMENTS  # no call takes it
    assert {
        *(c.name for c in controls.CALL_CONTROLS),
        *controls.OTHER_ARGUMENTS,
    } == naming.CALL_ARGUMENTS
