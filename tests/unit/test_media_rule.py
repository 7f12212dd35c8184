"""Which parameters are media inputs (oxgen.media): a table of hard cases, and the whole snapshot
against its pinned list (tests/golden/media_inputs.txt)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from oxgen import media, normalise, vocabulary
from tests.golden import golden

URI = {"type": "string", "format": "uri"}

CASES: list[tuple[str, Any, str | None]] = [
    # named after a medium: a media input, with or without format: uri
    ("input_image", URI, "image"),
    ("input_image", {"type": "string"}, "image"),
    ("input_images", {"type": "array", "items": {"type": "string"}}, "image"),
    ("reference_image_urls", {"type": "array", "items": {"type": "string"}}, "image"),
    ("tail_image_url", URI, "image"),
    ("input_face_videos", {"type": "array", "items": URI}, "video"),
    ("audio_urls", {"type": "array", "items": {"type": "string"}}, "audio"),
    ("mask_url", URI, "mask"),
    ("first_frame_image", URI, "image"),
    ("inputImage", URI, "image"),
    ("input-video", URI, "video"),
    ("image", {"type": ["string", "null"]}, "image"),
    ("input_image", {"anyOf": [URI, {"type": "null"}]}, "image"),
    ("input_images", {"type": ["array", "null"], "items": URI}, "image"),
    # a URL whose description names the medium
    ("driving_signal", {**URI, "description": "A voice recording to lip-sync"}, "audio"),
    ("start", {**URI, "description": "The first frame of the clip"}, "image"),
    ("style_reference", {"type": "string", "renderType": "image-url"}, "image"),
    # not media inputs
    ("webhook_url", {**URI, "description": "Called when the video is ready"}, None),
    ("callback_url", {**URI, "description": "Receives the image when done"}, None),
    ("output_video", URI, None),
    ("image_size", {"type": "string", "enum": ["1K", "2K"]}, None),
    ("video_quality", {"type": "string"}, None),
    ("output_format", {"type": "string", "description": "Format of the output images"}, None),
    ("prompt", {"type": "string", "description": "Use @Image1 to reference input images"}, None),
    ("style_reference", {**URI, "description": "A page describing the style"}, None),
    ("homepage", URI, None),
    ("input_image", {"type": "integer"}, None),
    ("input_image", {"type": "string", "const": "https://x"}, None),
    ("input_image", {"type": "object", "properties": {"url": URI}}, None),
    ("input_images", {"type": "array", "items": {"type": "object"}}, None),
    ("input_images", {"type": "array", "items": {"type": "string", "enum": ["a"]}}, None),
    ("input_image", {"type": ["string", "integer"]}, None),
    ("input_image", True, None),
    ("", URI, None),
    ("url", URI, None),
]


@pytest.mark.parametrize(("name", "schema", "kind"), CASES)
def test_media_kind(name: str, schema: Any, kind: str | None) -> None:
    assert media.media_kind(name, normalise.to_standard(schema)) == kind


def test_snapshot_media_inputs_are_pinned() -> None:
    """The rule over the whole committed snapshot gives exactly the pinned list (regenerate it
    with ``python -m tests.golden.golden`` after an intended change)."""
    assert golden.media_inputs() == golden.MEDIA_INPUTS.read_text(encoding="utf-8")


def test_every_uri_parameter_of_the_snapshot_is_judged() -> None:
    """Each ``format: uri`` string (or array of them) in the snapshot is in the list, or is a
    destination (none in today's snapshot): no media input goes unnoticed."""
    pinned = {
        tuple(line.split()[:2])
        for line in golden.MEDIA_INPUTS.read_text(encoding="utf-8").splitlines()
        if not line.startswith("#")
    }
    seen = 0
    for path in sorted(Path(golden.SNAPSHOT).glob("*.json")):
        if path.name == "manifest.json":
            continue
        model = json.loads(path.read_text(encoding="utf-8"))
        schema = normalise.to_standard(model.get("request_schema"))
        for pointer, node in vocabulary.walk(schema):
            props = node.get("properties") if isinstance(node, dict) else None
            for name, prop in (props or {}).items():
                items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
                if "uri" in (prop.get("format"), items.get("format")):
                    seen += 1
                    assert (model["id"], f"{pointer}/properties/{name}") in pinned, (
                        model["id"],
                        name,
                    )
    assert seen >= 80  # the snapshot has ~90 such parameters
