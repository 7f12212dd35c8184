"""Luma Ray 3.2 image-to-video exactly as its published page documents it.

The facts below are written out by hand from
https://docs.oxen.ai/inference-api/reference/models/luma-ray-v3-2-image-to-video (not read from
the snapshot), so a regression in the snapshot, the compiler or the templates shows up here.
"""

from __future__ import annotations

import ast
import inspect
from typing import Any

import oxen_inference as ox
import pytest

MODEL = "luma-ray-v3-2-image-to-video"
PUBLISHED = {
    # field: (required, default, allowed values or None for free values)
    "prompt": (True, None, None),
    "input_image": (True, None, None),
    "aspect_ratio": (
        False,
        "16:9",
        ["3:1", "2:1", "21:9", "16:9", "4:3", "3:2", "1:1", "3:4", "2:3", "9:16", "1:2", "1:3"],
    ),
    "resolution": (False, "540p", ["540p", "720p", "1080p"]),
    "duration": (False, "5s", ["5s", "10s"]),
    "loop": (False, None, None),
    "reference_image_urls": (False, None, None),
}
BASE = {"prompt": "a tiger", "input_image": "https://example.com/tiger.png"}


def _literal_values(annotation: str) -> list[Any]:
    """The values of a ``Literal[...]`` annotation written as source text."""
    node = ast.parse(annotation, mode="eval").body
    assert isinstance(node, ast.Subscript) and ast.unparse(node.value) == "Literal", annotation
    items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    return [ast.literal_eval(item) for item in items]


def test_fields_required_and_defaults() -> None:
    cls = ox.request_model(MODEL)
    assert cls.__name__ == "LumaRayV3_2ImageToVideoRequest"
    fields = cls.model_fields
    assert list(fields) == list(PUBLISHED)  # the page's order (x-order)
    for name, (required, default, _) in PUBLISHED.items():
        assert fields[name].is_required() is required, name
        if default is not None:
            assert fields[name].default == default, name
    with pytest.raises(ValueError):
        cls.model_validate({"prompt": "a tiger"})  # input_image is required


@pytest.mark.parametrize("name", [n for n, (_, _, allowed) in PUBLISHED.items() if allowed])
def test_allowed_values_exactly(name: str) -> None:
    cls = ox.request_model(MODEL)
    allowed = PUBLISHED[name][2]
    assert allowed is not None
    for value in allowed:
        assert ox.to_body(cls.model_validate({**BASE, name: value}))[name] == value
    wrong: list[Any] = ["7s", "4k", "16x9", "", None, 5, "1080P"]
    for value in wrong:
        if value not in allowed:
            with pytest.raises(ValueError):
                cls.model_validate({**BASE, name: value})


def test_types_are_not_coerced() -> None:
    cls = ox.request_model(MODEL)
    for bad in ({"loop": "yes"}, {"loop": 1}, {"reference_image_urls": "https://x"}):
        with pytest.raises(ValueError):
            cls.model_validate({**BASE, **bad})
    body = ox.to_body(cls.model_validate({**BASE, "loop": True, "reference_image_urls": []}))
    assert body == {**BASE, "loop": True, "reference_image_urls": []}  # nothing added


def test_client_methods_show_the_same_facts() -> None:
    client = ox.Oxen(api_key="x")
    for method in (
        client.generate_luma_ray_v3_2_image_to_video,
        client.submit_luma_ray_v3_2_image_to_video,
    ):
        params = inspect.signature(method).parameters
        for name, (required, default, allowed) in PUBLISHED.items():
            p = params[name]
            assert (p.default is inspect.Parameter.empty) is required, name
            if default is not None:
                assert repr(p.default) == f"server_default({default!r})"
            if allowed:  # in the signature's Literal (the docstring does not repeat it)
                assert _literal_values(p.annotation) == allowed, name
