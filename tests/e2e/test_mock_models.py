"""`/api/ai/models`: listing, filters, search and single model objects over the committed snapshot."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from oxgen import snapshot


def test_list_has_every_model_in_list_shape(api: httpx.Client, schemas_dir: Path) -> None:
    body = api.get("/ai/models").json()
    assert body["object"] == "list"
    expected = [m["id"] for m in snapshot.load(schemas_dir).models]
    assert sorted(m["id"] for m in body["data"]) == expected
    assert all("request_schema" in m for m in body["data"])


def test_developer_name_filter(api: httpx.Client) -> None:
    ids = [m["id"] for m in api.get("/ai/models", params={"developer_name": "luma"}).json()["data"]]
    assert ids and all(i.startswith("luma-") for i in ids)
    assert "luma-ray-v3-2-image-to-video" in ids
    assert api.get("/ai/models", params={"developer_name": "nobody-at-all"}).json()["data"] == []


def test_action_filter(api: httpx.Client) -> None:
    data = api.get("/ai/models", params={"action": "image-to-video"}).json()["data"]
    assert data
    for model in data:
        assert "video" in model["capabilities"]["output"]
        assert "image" in model["capabilities"]["input"]
    texts = api.get("/ai/models", params={"action": "text-to-image"}).json()["data"]
    assert all(m["capabilities"]["input"] == ["text"] for m in texts)


def test_search(api: httpx.Client) -> None:
    body = api.get("/ai/models/search", params={"search": "Luma Ray"}).json()
    assert body["object"] == "list"
    assert {m["id"] for m in body["data"]} >= {"luma-ray-v3-2-image-to-video"}
    assert api.get("/ai/models/search", params={"search": "zzz-no-such"}).json()["data"] == []


def test_get_model_is_the_snapshot_object(api: httpx.Client, schemas_dir: Path) -> None:
    response = api.get("/ai/models/luma-ray-v3-2-image-to-video")
    assert response.status_code == 200
    on_disk = json.loads((schemas_dir / "luma-ray-v3-2-image-to-video.json").read_text())
    assert response.json() == on_disk
    assert response.json()["request_schema"]["required"] == ["prompt", "input_image"]
