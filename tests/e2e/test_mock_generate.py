"""The blocking routes: validation, latency, response shapes, result files; chat and audio."""

from __future__ import annotations

import struct
import zlib

import httpx

from oxgen.mock.testing import MockServer

VIDEO = "luma-ray-v3-2-image-to-video"
VIDEO_BODY = {"model": VIDEO, "prompt": "a tiger", "input_image": "https://example.com/a.png"}
IMAGE = "flux-2-pro"
EDIT = "bytedance-seedream-5-lite"


def assert_png(data: bytes) -> None:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, seen = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, chunk = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + chunk) & 0xFFFFFFFF == crc
        seen.append(kind)
        if kind == b"IDAT":
            width, height = struct.unpack(">II", data[16:24])
            assert len(zlib.decompress(chunk)) == height * (1 + 3 * width)
        pos += 12 + length
    assert seen == [b"IHDR", b"IDAT", b"IEND"]


def test_invalid_parameters_are_400_naming_the_fields(mock: MockServer, api: httpx.Client) -> None:
    response = api.post("/ai/videos/generate", json={"model": VIDEO, "prompt": 3, "duration": "7s"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["type"] == "invalid_params" and body["status_message"] == "invalid_params"
    detail = body["error"]["detail"]
    assert "duration: '7s' is not one of" in detail
    assert "prompt: 3 is not of type 'string'" in detail
    assert "'input_image' is a required property" in detail
    assert mock.stats()["sync_generations"] == 0


def test_nullable_fields_accept_null(api: httpx.Client) -> None:
    # flux-2-klein's schema is verbatim from the real endpoint and uses `nullable: true`.
    model = api.get("/ai/models/black-forest-labs-flux-2-klein-9b").json()
    nullable = [k for k, v in model["request_schema"]["properties"].items() if v.get("nullable")]
    assert nullable
    body = {"model": model["id"], "prompt": "x", nullable[0]: None}
    assert api.post("/ai/images/generate", json=body).status_code == 200
