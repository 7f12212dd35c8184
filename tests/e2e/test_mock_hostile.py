"""Hostile settings and schemas against the mock server: every one gets a clear 4xx (or a correct
2xx), never a 500, and a rejected setting is never stored. (Hostile request bodies, which both
servers of the protocol get, are in test_protocol_http.py.)"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from oxgen import snapshot as snap
from oxgen.mock.testing import MockServer, running_mock_server

GOOD = {
    "model": "luma-ray-v3-2-image-to-video",
    "prompt": "a tiger",
    "input_image": "https://example.com/a.png",
}
# (case, raw settings body, phrase of the 400's detail)
CONFIGS = [
    ("latency NaN", '{"latency": NaN}', "NaN is not a JSON value"),
    ("latency Infinity", '{"latency": Infinity}', "Infinity is not a JSON value"),
    ("latency 1e308", '{"latency": 1e308}', "latency must be within [0, 3600]"),
    ("latency negative", '{"latency": -1}', "latency must be within"),
    ("fault_rate 1.5", '{"fault_rate": 1.5}', "fault_rate must be within [0, 1]"),
    ("stall_rate -0.1", '{"stall_rate": -0.1}', "stall_rate must be within"),
    ("keepalive 0", '{"keepalive": 0}', "keepalive must be within"),
    ("keepalive huge", '{"keepalive": 1e300}', "keepalive must be within"),
    ("retry_after_max huge", '{"retry_after_max": 10000000}', "retry_after_max must be within"),
    ("retry_after_max float", '{"retry_after_max": 1.5}', "must be an integer"),
    ("max_body_bytes 0", '{"max_body_bytes": 0}', "max_body_bytes must be within"),
    ("seed 1e400", '{"seed": 1e400}', "seed must be an integer"),
    ("seed 2**70", '{"seed": ' + str(2**70) + "}", "seed must be within"),
    ("seed over 4,300 digits", '{"seed": ' + "7" * 4400 + "}", "4300 digits"),
    ("unknown name", '{"latencyy": 1}', "unknown setting"),
    ("one bad of two", '{"latency": 0.2, "fault_rate": NaN}', "NaN"),
]


@pytest.mark.parametrize(("case", "body", "phrase"), CONFIGS, ids=[c[0] for c in CONFIGS])
def test_bad_settings_are_400_and_nothing_is_stored(
    mock: MockServer, case: str, body: str, phrase: str
) -> None:
    root = mock.base_url.removesuffix("/api")
    before = httpx.get(root + "/_mock/stats", timeout=10).json()
    response = httpx.post(
        root + "/_mock/config",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 400, (case, response.text)
    assert phrase in response.json()["error"]["detail"]
    after = httpx.get(root + "/_mock/stats", timeout=10)
    assert after.status_code == 200
    assert after.json()["config"] == before["config"]


def test_a_generation_is_not_hung_by_settings(mock: MockServer) -> None:
    """The largest accepted latency is bounded; a normal one still answers promptly."""
    root = mock.base_url.removesuffix("/api")
    assert httpx.post(root + "/_mock/config", json={"latency": 0.01}).status_code == 200
    start = time.monotonic()
    response = httpx.post(mock.base_url + "/ai/videos/generate", json=GOOD, headers=mock.headers)
    assert response.status_code == 200
    assert time.monotonic() - start < 5


@pytest.fixture(scope="module")
def hostile_mock() -> Iterator[MockServer]:
    """A mock serving models whose schemas are themselves hostile."""
    models = [
        {"id": "root-ref", "request_schema": {"$ref": "#"}},
        {
            "id": "ref-loop",
            "request_schema": {
                "type": "object",
                "properties": {"a": {"$ref": "#/$defs/x"}},
                "$defs": {"x": {"$ref": "#/$defs/y"}, "y": {"$ref": "#/$defs/x"}},
            },
        },
        {
            "id": "catastrophic",
            "request_schema": {
                "type": "object",
                "properties": {"name": {"type": "string", "pattern": "^(a+)+$"}},
            },
        },
    ]
    for model in models:
        model["capabilities"] = {"input": ["text"], "output": ["image"]}
    with running_mock_server(snap.from_catalog({"data": models}, "hostile"), latency=0.01) as m:
        yield m


# (model, parameters, expected status)
SCHEMA_CASES = [
    ("root-ref", {"prompt": "x"}, 400),
    ("ref-loop", {"a": 1}, 400),
    ("catastrophic", {"name": "a" * 10}, 200),
    ("catastrophic", {"name": "a" * 40 + "!"}, 400),
    ("catastrophic", {"name": "a" * 100_000 + "!"}, 400),
    ("catastrophic", {"name": "a" * 100_000}, 200),
]


@pytest.mark.parametrize(("model", "params", "status"), SCHEMA_CASES)
def test_hostile_schemas_never_500_nor_hang(
    hostile_mock: MockServer, model: str, params: dict[str, Any], status: int
) -> None:
    start = time.monotonic()
    response = httpx.post(
        hostile_mock.base_url + "/ai/images/generate",
        json={"model": model, **params},
        headers=hostile_mock.headers,
        timeout=10,
    )
    assert response.status_code == status, response.text[:300]
    assert time.monotonic() - start < 2
