"""Authentication and bad input: always a clear 4xx in Oxen's envelope, never a 500."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from oxgen.mock.protocol import config
from oxgen.mock.testing import MockServer

VIDEO = "luma-ray-v3-2-image-to-video"
GOOD = {"model": VIDEO, "prompt": "a tiger", "input_image": "https://example.com/a.png"}


@pytest.mark.parametrize("header", [None, "", "Bearer", "Basic abc", "Token abc", "Bearer a b"])
def test_missing_or_malformed_bearer_is_401(mock: MockServer, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = httpx.get(mock.base_url + "/ai/models", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["status"] == "error" and body["status_message"] == "unauthenticated"
    assert body["error"]["type"] == "unauthenticated"
    assert set(body["error"]) == {"type", "title", "detail"}


def test_any_non_empty_token_is_accepted(mock: MockServer) -> None:
    for token in ("x", "sk-anything-123", "Z" * 200):
        response = httpx.get(
            mock.base_url + "/ai/models", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200


def test_events_and_queue_need_auth(mock: MockServer) -> None:
    assert httpx.get(mock.base_url + "/events").status_code == 401
    assert httpx.post(mock.base_url + "/ai/queue", json=GOOD).status_code == 401
    assert mock.stats()["jobs_created"] == 0


def test_unknown_route_and_method(api: httpx.Client) -> None:
    response = api.get("/ai/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "resource_not_found"
    response = api.delete("/ai/models")
    assert response.status_code == 405
    assert response.json()["status"] == "error"


def _post(
    api: httpx.Client, content: bytes, content_type: str | None = "application/json"
) -> httpx.Response:
    headers = {} if content_type is None else {"Content-Type": content_type}
    return api.post("/ai/images/generate", content=content, headers=headers)


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
    ],
)
def test_bad_bodies_are_clear_4xx(
    api: httpx.Client, content: bytes, content_type: str, status: int, needle: str
) -> None:
    response = _post(api, content, content_type)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == "error"
    assert needle in body["error"]["detail"]


def test_body_without_content_type_is_read_as_json(api: httpx.Client) -> None:
    response = _post(api, b'{"model": "flux-2-pro", "prompt": "x"}', None)
    assert response.status_code == 200, response.text


def test_huge_body_is_413(api: httpx.Client) -> None:
    big = b'{"model": "flux-2-pro", "prompt": "' + b"x" * config.MAX_BODY_BYTES + b'"}'
    response = _post(api, big)
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "payload_too_large"

    def chunks() -> Iterator[bytes]:
        yield b'{"model": "flux-2-pro", "prompt": "'
        for _ in range(config.MAX_BODY_BYTES // 65536 + 4):
            yield b"y" * 65536
        yield b'"}'

    streamed = api.post("/ai/queue", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    assert api.get("/ai/queue", params={"status": "all"}).json()["count"] == 0


def test_unknown_top_level_field_is_400_naming_it(api: httpx.Client) -> None:
    response = api.post("/ai/videos/generate", json={**GOOD, "promptt": "typo"})
    assert response.status_code == 400
    assert "promptt: unknown parameter" in response.json()["error"]["detail"]


def test_unknown_file_is_404(mock: MockServer) -> None:
    assert httpx.get(mock.root_url + "/files/0123.png").status_code == 404
    assert httpx.get(mock.root_url + "/files/../../etc/passwd").status_code == 404
