"""The blocking routes, the catalog, authentication, bad input and faults, on both servers of the
protocol (``oxgen mock-server`` and the client's fake): the same answers, the same envelopes,
never a 500. (Exact validation messages differ: the server checks with `jsonschema`, the fake
with the client's request classes; both name each field.)"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.backends import Backend
from tests.e2e.test_mock_generate import assert_png

VIDEO = "luma-ray-v3-2-image-to-video"
VIDEO_BODY: dict[str, Any] = {
    "model": VIDEO,
    "prompt": "a tiger",
    "input_image": "https://example.com/a.png",
}
IMAGE = "flux-2-pro"
EDIT = "bytedance-seedream-5-lite"
MAX_BODY_BYTES = 16 * 1024 * 1024


def test_video_generate_blocks_then_answers_with_a_served_mp4(
    backend: Backend, http: httpx.Client
) -> None:
    backend.configure(latency=0.3)
    started = time.monotonic()
    response = http.post("/ai/videos/generate", json={**VIDEO_BODY, "target_namespace": "me"})
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"model", "created", "videos"}
    assert body["model"] == VIDEO and isinstance(body["created"], int)
    [item] = body["videos"]
    assert item["url"].startswith(backend.root_url + "/files/") and item["url"].endswith(".mp4")
    download = http.get(item["url"], headers={"Authorization": ""})  # no key needed
    assert download.status_code == 200
    assert download.headers["content-type"] == "video/mp4"
    assert download.content[4:8] == b"ftyp"
    assert http.get(item["url"]).status_code == 200  # a key is accepted too


def test_image_generate_b64_json(http: httpx.Client) -> None:
    response = http.post(
        "/ai/images/generate", json={"model": IMAGE, "prompt": "x", "response_format": "b64_json"}
    )
    assert response.status_code == 200, response.text
    [item] = response.json()["images"]
    assert set(item) == {"b64_json"}
    assert_png(base64.b64decode(item["b64_json"]))


def test_image_edit_and_num_generations(backend: Backend, http: httpx.Client) -> None:
    response = http.post(
        "/ai/images/edit", json={"model": EDIT, "prompt": "x", "num_generations": 3}
    )
    assert response.status_code == 200, response.text
    urls = [i["url"] for i in response.json()["images"]]
    assert len(set(urls)) == 3
    download = http.get(urls[0])
    assert download.headers["content-type"] == "image/png"
    assert_png(download.content)
    assert backend.stats()["sync_generations"] == 3


def test_invalid_parameters_are_400_naming_each_field(backend: Backend, http: httpx.Client) -> None:
    response = http.post(
        "/ai/videos/generate", json={"model": VIDEO, "prompt": 3, "duration": "7s", "promptt": 1}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["type"] == "invalid_params" and body["status_message"] == "invalid_params"
    detail = body["error"]["detail"]
    assert detail.startswith(f"Invalid parameters for {VIDEO}: ")
    for field in ("duration", "prompt", "input_image", "promptt: unknown parameter"):
        assert field in detail, detail
    assert backend.stats()["sync_generations"] == 0


def test_control_fields_are_not_parameters(http: httpx.Client) -> None:
    body = {**VIDEO_BODY, "response_format": "url", "target_namespace": "ns", "num_generations": 1}
    assert http.post("/ai/videos/generate", json=body).status_code == 200


@pytest.mark.parametrize(
    ("route", "body", "needle"),
    [
        ("/ai/images/generate", VIDEO_BODY, "call POST /ai/videos/generate"),
        ("/ai/videos/generate", {**VIDEO_BODY, "response_format": "gif"}, "response_format"),
        ("/ai/videos/generate", {**VIDEO_BODY, "num_generations": 9}, "num_generations"),
        ("/ai/videos/generate", {**VIDEO_BODY, "target_namespace": 1}, "target_namespace"),
        ("/ai/chat/completions", {"model": VIDEO, "messages": [{"role": "user"}]}, "videos"),
        ("/ai/chat/completions", {"model": "gpt-4o", "messages": []}, "messages"),
    ],
)
def test_wrong_route_or_control_field_is_400(
    http: httpx.Client, route: str, body: dict[str, object], needle: str
) -> None:
    response = http.post(route, json=body)
    assert response.status_code == 400
    assert needle in response.json()["error"]["detail"]


@pytest.mark.parametrize("route", ["/ai/images/generate", "/ai/queue"])
def test_unknown_model_is_404_envelope_b(http: httpx.Client, route: str) -> None:
    response = http.post(route, json={"model": "nope", "prompt": "x"})
    assert response.status_code == 404
    assert response.json() == {"error": {"message": "Model not found: nope"}}
    response = http.get("/ai/models/nope")
    assert response.json() == {"error": {"message": "Model not found: nope"}}


def test_chat_completion_plain_and_streamed(http: httpx.Client) -> None:
    body: dict[str, Any] = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    data = http.post("/ai/chat/completions", json=body).json()
    assert data["object"] == "chat.completion" and data["model"] == "gpt-4o"
    assert "hi" in data["choices"][0]["message"]["content"]
    usage = data["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    with http.stream("POST", "/ai/chat/completions", json={**body, "stream": True}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line[6:]) for line in lines[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == data["choices"][0]["message"]["content"]


def test_audio_routes(http: httpx.Client) -> None:
    speech = http.post(
        "/ai/audio/speech", json={"model": "bytedance-seed-audio-1-0", "prompt": "hi"}
    )
    assert speech.status_code == 200, speech.text
    wav = http.get(speech.json()["audio"][0]["url"])
    assert wav.headers["content-type"] == "audio/wav" and wav.content[:4] == b"RIFF"
    text = http.post(
        "/ai/audio/transcriptions", json={"model": "gpt-audio", "file": "https://x/a.mp3"}
    )
    assert text.status_code == 200 and isinstance(text.json()["text"], str)
    assert http.post("/ai/audio/transcriptions", json={"model": "gpt-4o"}).status_code == 400


def test_the_catalog_lists_and_serves_each_model_with_its_schema(http: httpx.Client) -> None:
    body = http.get("/ai/models").json()
    assert body["object"] == "list" and len(body["data"]) > 50
    ids = {m["id"] for m in body["data"]}
    assert {VIDEO, IMAGE, "gpt-4o"} <= ids
    model = http.get(f"/ai/models/{VIDEO}").json()
    assert model["id"] == VIDEO
    assert model["request_schema"]["required"] == ["prompt", "input_image"]
    found = http.get("/ai/models/search", params={"search": "ray luma"}).json()["data"]
    assert VIDEO in {m["id"] for m in found}
    assert http.get("/ai/models/search").status_code == 400


# -- authentication and bad input ---------------------------------------------------------


@pytest.mark.parametrize("header", [None, "", "Bearer", "Basic abc", "Token abc", "Bearer a b"])
def test_missing_or_malformed_bearer_is_401(backend: Backend, header: str | None) -> None:
    with backend.client() as api:
        api.headers.pop("Authorization")
        response = api.get(
            "/ai/models", headers={} if header is None else {"Authorization": header}
        )
    assert response.status_code == 401
    body = response.json()
    assert body["status"] == "error" and body["status_message"] == "unauthenticated"
    assert set(body["error"]) == {"type", "title", "detail"}


def test_events_and_queue_need_auth(backend: Backend) -> None:
    with backend.client() as api:
        api.headers.pop("Authorization")
        assert api.get("/events").status_code == 401
        assert api.post("/ai/queue", json=VIDEO_BODY).status_code == 401
    assert backend.stats()["jobs_created"] == 0


@pytest.mark.parametrize(
    ("content", "content_type", "status", "needle"),
    [
        (b"{not json", "application/json", 400, "not valid JSON"),
        (b"", "application/json", 400, "empty"),
        (b"[1, 2]", "application/json", 400, "JSON object"),
        (b"\xff\xfe", "application/json", 400, "UTF-8"),
        (b"model=x", "application/x-www-form-urlencoded", 415, "application/json"),
        (b"{}", "text/plain", 415, "application/json"),
        (b"{}", "application/json", 400, "`model` is required"),
        (b'{"model": 5}', "application/json", 400, "`model` must be"),
        (b"[" * 100_000, "application/json", 400, ""),
        (b'{"model": "flux-2-pro", "prompt": "x"}', None, 200, ""),
    ],
)
def test_bodies_get_a_clear_answer(
    http: httpx.Client, content: bytes, content_type: str | None, status: int, needle: str
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = http.post("/ai/images/generate", content=content, headers=headers)
    assert response.status_code == status, response.text
    if status != 200:
        assert response.json()["status"] == "error"
        assert needle in response.json()["error"]["detail"]


def _raw(extra: str) -> str:
    return json.dumps(VIDEO_BODY)[:-1] + ", " + extra + "}"


# (case, raw body, expected status, a phrase the error detail must hold)
HOSTILE = [
    ("int over 4,300 digits", _raw('"seed": ' + "9" * 5000), 400, "4300 digits"),
    ("negative huge int", _raw('"seed": -' + "1" * 4400), 400, "4300 digits"),
    ("lone surrogate in model", '{"model": "luma\\ud800"}', 400, "lone surrogate"),
    ("lone surrogate in a prompt", _raw('"prompt": "x\\udfffy"'), 400, "lone surrogate"),
    ("lone surrogate in a key", _raw('"\\ud800": 1'), 400, "lone surrogate"),
    ("NaN parameter", _raw('"seed": NaN'), 400, "NaN is not a JSON value"),
    ("Infinity parameter", _raw('"seed": -Infinity'), 400, "Infinity is not a JSON value"),
    ("deeply nested body", _raw('"x": ' + "[" * 5000 + "]" * 5000), 400, "nested too deeply"),
    ("num_generations 2.5", _raw('"num_generations": 2.5'), 400, "integer from 1 to 4"),
    ("num_generations 5.0", _raw('"num_generations": 5.0'), 400, "integer from 1 to 4"),
    ("num_generations true", _raw('"num_generations": true'), 400, "integer from 1 to 4"),
    ("num_generations 3.0 is 3", _raw('"num_generations": 3.0'), 200, ""),
    ("surrogate pair is fine", _raw('"prompt": "\\ud83d\\ude00"'), 200, ""),
]


@pytest.mark.parametrize("route", ["/ai/videos/generate", "/ai/queue"])
@pytest.mark.parametrize(("case", "body", "status", "phrase"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_bodies_get_a_4xx_never_a_500(
    backend: Backend, http: httpx.Client, route: str, case: str, body: str, status: int, phrase: str
) -> None:
    response = http.post(route, content=body.encode(), headers={"Content-Type": "application/json"})
    assert response.status_code == status, (case, response.text[:300])
    if "3.0" in case:
        items = response.json().get("generations") or response.json().get("videos")
        assert len(items) == 3
    if status == 400:
        assert phrase in response.json()["error"]["detail"]
        assert backend.stats()["jobs_created"] == 0
    assert http.get("/ai/queue").status_code == 200  # whatever was stored reads back


def test_huge_body_is_413_declared_or_streamed(http: httpx.Client) -> None:
    big = b'{"model": "flux-2-pro", "prompt": "' + b"x" * MAX_BODY_BYTES + b'"}'
    response = http.post(
        "/ai/images/generate", content=big, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "payload_too_large"

    def chunks() -> Iterator[bytes]:
        yield b'{"model": "flux-2-pro", "prompt": "'
        for _ in range(MAX_BODY_BYTES // 65536 + 4):
            yield b"y" * 65536
        yield b'"}'

    streamed = http.post(
        "/ai/queue", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    assert http.get("/ai/queue", params={"status": "all"}).json()["count"] == 0


@pytest.mark.parametrize(
    ("method", "path", "status", "allow"),
    [
        ("OPTIONS", "/ai/queue/abc", 405, "DELETE, GET, HEAD"),
        ("PUT", "/ai/queue/abc", 405, "DELETE, GET, HEAD"),
        ("PUT", "/ai/queue", 405, "GET, HEAD, POST"),
        ("DELETE", "/ai/queue", 405, "GET, HEAD, POST"),
        ("GET", "/ai/videos/generate", 405, "POST"),
        ("DELETE", "/ai/models", 405, "GET, HEAD"),
        ("POST", "/ai/models/some-model", 405, "GET, HEAD"),
        ("GET", "/ai/nothing-here", 404, None),
    ],
)
def test_unrouted_requests(
    http: httpx.Client, method: str, path: str, status: int, allow: str | None
) -> None:
    response = http.request(method, path)
    assert response.status_code == status
    assert response.headers.get("allow") == allow
    expected = "method_not_allowed" if status == 405 else "resource_not_found"
    assert response.json()["error"]["type"] == expected


def test_unknown_file_is_404(backend: Backend, http: httpx.Client) -> None:
    assert http.get(backend.root_url + "/files/0123.png").status_code == 404


# -- faults ---------------------------------------------------------------------------------


def statuses(api: httpx.Client, n: int = 40) -> list[int]:
    return [api.get("/ai/models/flux-2-pro").status_code for _ in range(n)]


def test_same_seed_same_faults(backend: Backend, http: httpx.Client) -> None:
    backend.configure(fault_rate=0.5, seed=7)
    first = statuses(http)
    assert set(first) == {200, 429, 503}
    backend.configure(seed=7)  # reseeds
    assert statuses(http) == first
    backend.configure(seed=8)
    assert statuses(http) != first


def test_fault_envelopes_and_retry_after(backend: Backend, http: httpx.Client) -> None:
    backend.configure(fault_rate=1.0, retry_after_max=1)
    seen = set()
    for _ in range(30):
        response = http.get("/ai/models")
        body = response.json()
        if response.status_code == 429:
            assert response.headers["retry-after"] in ("0", "1")
            assert body["error"]["type"] == "rate_limited"
        else:
            assert response.status_code == 503 and body["error"]["type"] == "service_unavailable"
        seen.add(response.status_code)
    assert seen == {429, 503}
    assert sum(backend.stats()["faults"].values()) == 30


def test_faulted_enqueue_creates_no_job_and_files_never_fault(
    backend: Backend, http: httpx.Client
) -> None:
    url = http.post("/ai/images/generate", json={"model": IMAGE, "prompt": "x"}).json()["images"][
        0
    ]["url"]
    backend.configure(fault_rate=1.0)
    for _ in range(10):
        assert http.post("/ai/queue", json=VIDEO_BODY).status_code in (429, 503)
        assert http.get(url).status_code == 200
    assert backend.stats()["jobs_created"] == 0


def test_stats_count_requests_per_route(backend: Backend, http: httpx.Client) -> None:
    http.get("/ai/models")
    http.get("/ai/models/flux-2-pro")
    http.get("/ai/models/nope")
    http.post("/ai/queue", json=VIDEO_BODY)
    stats = backend.stats()
    assert stats["requests"]["GET /api/ai/models"] == 1
    assert stats["requests"]["GET /api/ai/models/{model_id}"] == 2
    assert stats["requests"]["POST /api/ai/queue"] == 1
    assert stats["jobs_created"] == 1
