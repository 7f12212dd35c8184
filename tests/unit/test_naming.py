from __future__ import annotations

import ast
import keyword
import random

import pytest

from oxgen import naming, reserved
from tests.conftest import REPO


def test_model_names_follow_the_id() -> None:
    names = naming.model_module_names(["luma-ray-v3-2-image-to-video", "kling-v2"])
    assert names["luma-ray-v3-2-image-to-video"] == "luma_ray_v3_2_image_to_video"
    assert naming.class_stem(names["luma-ray-v3-2-image-to-video"]) == "LumaRayV3_2ImageToVideo"
    assert naming.request_class_name(naming.class_stem("kling_v2")) == "KlingV2Request"
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

    assert {n for n in dir(BaseModel) if not n.startswith("_")} <= reserved.PYDANTIC_RESERVED
    assert {n for n in dir(builtins) if not n.startswith("_")} <= reserved.BUILTINS
    assert set(keyword.kwlist) | set(keyword.softkwlist) <= reserved.KEYWORDS
    for name in ("client", "params", "model_id", "timeout", "extra_body"):
        assert naming.field_names([name])[name] == name + "_"


def test_one_list_of_call_arguments_feeds_naming_and_the_methods() -> None:
    """The client's call arguments come from one list (oxgen.controls): the generic calls take
    exactly those, the per-model methods take theirs in order, and naming reserves them all
    (and nothing the client does not take)."""
    import inspect

    import oxen_inference as ox
    from oxen_inference._sync.api import SyncOxenBase

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


# Ids that differ only in case, separators, digits, accents or far into a long id.
CONFUSABLE = [
    "flux-2",
    "flux2",
    "Flux-2",
    "FLUX_2",
    "flux.2",
    "flux 2",
    "flüx-2",
    "ﬂux-2",  # a ligature that folds to "flux"
    "a-b2",
    "a-b-2",
    "ab2",
    "x1-2",
    "x-1-2",
    "x12",
    "os",
    "os-",
    "OS",
    "class",
    "class-",
    "3d",
    "m-3d",
    "vendor-" + "long-model-name-" * 6 + "x",
    "vendor-" + "long-model-name-" * 6 + "y",
    "",
]


def test_confusable_ids_get_distinct_names_of_every_kind() -> None:
    names = naming.model_names(CONFUSABLE)
    assert set(names) == set(CONFUSABLE)
    for kind in ("module", "stem", "class_name", "generate_method", "submit_method", "alias"):
        values = [getattr(n, kind) for n in names.values()]
        assert len(set(values)) == len(values), kind
        assert all(v.isidentifier() and v.isascii() and not keyword.iskeyword(v) for v in values)
    assert all(n.class_name == n.stem + "Request" for n in names.values())
    assert names["flux2"].class_name == "Flux2Request"  # its module is the stem in snake_case
    assert names["flux-2"].module == "flux_2" and names["flux-2"].class_name.startswith("Flux2_")
    assert names["os"].module == "os_" and names["class"].module == "class_"


def test_names_do_not_depend_on_order_or_run() -> None:
    names = naming.model_names(CONFUSABLE)
    for seed in range(5):
        shuffled = list(CONFUSABLE)
        random.Random(seed).shuffle(shuffled)
        assert naming.model_names(shuffled) == names


def test_a_name_changes_only_when_its_own_collision_does() -> None:
    """Adding an id renames only the models it collides with, and an id alone keeps the plain
    names (no hash)."""
    base = naming.model_names(["flux-2", "kling-v2"])
    assert base["flux-2"].class_name == "Flux2Request" and base["flux-2"].module == "flux_2"
    more = naming.model_names(["flux-2", "kling-v2", "flux2", "other"])
    assert more["kling-v2"] == base["kling-v2"]
    assert more["flux-2"].module == "flux_2" and more["flux-2"].class_name != "Flux2Request"


def test_stub_aliases_avoid_what_the_stub_binds() -> None:
    names = naming.model_names(["typing", "asynchronous", "p", "luma"])
    assert names["asynchronous"].alias == "_asynchronous_"  # the stub defines `_asynchronous`
    assert names["typing"].alias == "_typing"  # the stub imports plain names (Literal, Mapping)
    assert names["p"].alias == "_p" and names["luma"].alias == "_luma"
    assert not {n.alias for n in names.values()} & naming.STUB_SCOPE


def _top_level_names(source: str) -> set[str]:
    """What a module binds at its top level: imports, definitions and assignments."""
    found: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found |= {t.id for t in targets if isinstance(t, ast.Name)}
    return found


def test_stub_scope_is_what_the_shipped_stub_binds() -> None:
    """STUB_SCOPE lists exactly what the rendered `_client.pyi` binds besides its model aliases."""
    stub = (REPO / "generated" / "oxen_inference" / "_client.pyi").read_text(encoding="utf-8")
    aliases = {
        n for n in _top_level_names(stub) if n.startswith("_") and n not in naming.STUB_SCOPE
    }
    assert _top_level_names(stub) - aliases == naming.STUB_SCOPE
    assert aliases  # the model modules, each under its alias


def test_models_package_scope_covers_what_the_package_binds() -> None:
    """A model module named like something `models/__init__.py` binds would replace it when
    imported (a model `os` broke `os.path` there): every such name is reserved."""
    init = REPO / "templates" / "oxen_inference" / "models" / "__init__.py"
    bound = _top_level_names(init.read_text(encoding="utf-8"))
    assert {n for n in bound if not n.startswith("_")} <= naming.MODELS_PACKAGE_SCOPE
    for name in bound:  # a module name never starts with `_`, and never is a reserved name
        assert naming.model_module_names([name])[name] != name or name.startswith("_")


def test_class_stems_take_the_fast_path_of_module_names_faithfully() -> None:
    """A module name is already snake_case, so its stem skips `snake`: the same result."""
    for module in naming.model_module_names(CONFUSABLE).values():
        assert naming.class_stem(module).removeprefix("M") in (
            naming.pascal(module),
            naming.pascal(module).removeprefix("M"),
        )
        assert naming.class_stem(module)[0].isupper()
