"""The blocking routes: validation, latency, response shapes, result files; chat and audio."""

from __future__ import annotations

import base64
import json
import struct
import time
import zlib

import httpx
import pytest

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


def test_video_generate_blocks_then_answers_with_a_served_mp4(
    mock: MockServer, api: httpx.Client
) -> None:
    mock.configure(latency=0.3)
    started = time.monotonic()
    response = api.post("/ai/videos/generate", json={**VIDEO_BODY, "target_namespace": "me"})
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"model", "created", "videos"}
    assert body["model"] == VIDEO and isinstance(body["created"], int)
    [item] = body["videos"]
    assert item["url"].startswith(mock.root_url + "/files/") and item["url"].endswith(".mp4")
    download = httpx.get(item["url"])  # no key needed
    assert download.status_code == 200
    assert download.headers["content-type"] == "video/mp4"
    assert download.content[4:8] == b"ftyp"
    assert httpx.get(item["url"], headers=mock.headers).status_code == 200  # key accepted too


def test_image_generate_b64_json(api: httpx.Client) -> None:
    response = api.post(
        "/ai/images/generate", json={"model": IMAGE, "prompt": "x", "response_format": "b64_json"}
    )
    assert response.status_code == 200, response.text
    [item] = response.json()["images"]
    assert set(item) == {"b64_json"}
    assert_png(base64.b64decode(item["b64_json"]))


def test_image_edit_and_num_generations(mock: MockServer, api: httpx.Client) -> None:
    body = {"model": EDIT, "prompt": "x", "num_generations": 3}
    response = api.post("/ai/images/edit", json=body)
    assert response.status_code == 200, response.text
    urls = [i["url"] for i in response.json()["images"]]
    assert len(set(urls)) == 3
    download = httpx.get(urls[0])
    assert download.headers["content-type"] == "image/png"
    assert_png(download.content)
    assert mock.stats()["sync_generations"] == 3


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


def test_control_fields_are_not_parameters(api: httpx.Client) -> None:
    body = {**VIDEO_BODY, "response_format": "url", "target_namespace": "ns", "num_generations": 1}
    assert api.post("/ai/videos/generate", json=body).status_code == 200


@pytest.mark.parametrize(
    ("route", "body", "needle"),
    [
        ("/ai/images/generate", VIDEO_BODY, "call POST /ai/videos/generate"),
        ("/ai/videos/generate", {**VIDEO_BODY, "response_format": "gif"}, "response_format"),
        ("/ai/videos/generate", {**VIDEO_BODY, "num_generations": 9}, "num_generations"),
        ("/ai/videos/generate", {**VIDEO_BODY, "target_namespace": 1}, "target_namespace"),
        (
            "/ai/chat/completions",
            {"model": VIDEO, "messages": [{"role": "user", "content": "hi"}]},
            "videos",
        ),
        ("/ai/chat/completions", {"model": "gpt-4o", "messages": []}, "messages"),
    ],
)
def test_wrong_route_or_control_field_is_400(
    api: httpx.Client, route: str, body: dict[str, object], needle: str
) -> None:
    response = api.post(route, json=body)
    assert response.status_code == 400
    assert needle in response.json()["error"]["detail"]


def test_unknown_model_on_generate_is_404_envelope_b(api: httpx.Client) -> None:
    response = api.post("/ai/images/generate", json={"model": "nope", "prompt": "x"})
    assert response.status_code == 404
    assert response.json() == {"error": {"message": "Model not found: nope"}}


def test_chat_completion_is_openai_shaped(api: httpx.Client) -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hello there"}]}
    response = api.post("/ai/chat/completions", json=body)
    assert response.status_code == 200
    data = response.json()
    assert data["object"] == "chat.completion" and data["model"] == "gpt-4o"
    message = data["choices"][0]["message"]
    assert message["role"] == "assistant" and "hello there" in message["content"]
    assert data["choices"][0]["finish_reason"] == "stop"
    assert (
        data["usage"]["total_tokens"]
        == data["usage"]["prompt_tokens"] + data["usage"]["completion_tokens"]
    )


def test_chat_completion_stream(api: httpx.Client) -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    with api.stream("POST", "/ai/chat/completions", json=body) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line[6:]) for line in lines[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert "hi" in text and chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_audio_routes(api: httpx.Client) -> None:
    speech = api.post(
        "/ai/audio/speech", json={"model": "bytedance-seed-audio-1-0", "prompt": "hello"}
    )
    assert speech.status_code == 200, speech.text
    [item] = speech.json()["audio"]
    wav = httpx.get(item["url"])
    assert wav.headers["content-type"] == "audio/wav" and wav.content[:4] == b"RIFF"
    text = api.post(
        "/ai/audio/transcriptions", json={"model": "gpt-audio", "file": "https://x/a.mp3"}
    )
    assert text.status_code == 200 and isinstance(text.json()["text"], str)
    wrong = api.post("/ai/audio/transcriptions", json={"model": "gpt-4o"})
    assert wrong.status_code == 400
