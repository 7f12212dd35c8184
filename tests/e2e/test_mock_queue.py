"""The queue: enqueue, run-time validation, the life of a row, listing, cancelling, history."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from oxgen.mock.testing import MockServer

VIDEO = "luma-ray-v3-2-image-to-video"
VIDEO_BODY = {"model": VIDEO, "prompt": "a tiger", "input_image": "https://example.com/a.png"}
IMAGE = "flux-2-pro"


def wait_for(
    api: httpx.Client, gid: str, statuses: tuple[str, ...], timeout: float = 5.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        row: dict[str, Any] = api.get(f"/ai/queue/{gid}").json()
        if row["status"] in statuses or time.monotonic() > deadline:
            return row
        time.sleep(0.01)


def enqueue(api: httpx.Client, body: dict[str, Any]) -> list[str]:
    response = api.post("/ai/queue", json=body)
    assert response.status_code == 200, response.text
    gens = response.json()["generations"]
    assert all(g["status"] == "queued" for g in gens)
    return [g["generation_id"] for g in gens]


def test_job_moves_queued_processing_succeeded(mock: MockServer, api: httpx.Client) -> None:
    mock.configure(latency=0.4)
    body = {**VIDEO_BODY, "duration": "10s", "target_namespace": "team"}
    [gid] = enqueue(api, body)
    row = api.get(f"/ai/queue/{gid}").json()
    assert row["status"] == "queued" and row["started_at"] is None and row["result_url"] is None
    row = wait_for(api, gid, ("processing",))
    assert row["status"] == "processing" and isinstance(row["started_at"], int)
    row = wait_for(api, gid, ("succeeded",))
    assert row["status"] == "succeeded"
    for key in ("prompt", "input_image", "duration"):
        assert row[key] == body[key]  # every request parameter is kept
    assert row["model_name"] == VIDEO and row["media_type"] == "video"
    assert row["namespace"] == "team" and row["error_message"] is None
    assert row["enqueued_at"] <= row["started_at"] <= row["completed_at"]
    download = httpx.get(row["result_url"])
    assert download.status_code == 200 and download.headers["content-type"] == "video/mp4"
    time.sleep(0.1)
    assert api.get(f"/ai/queue/{gid}").json()["status"] == "succeeded"  # rows persist


def test_parameters_are_validated_when_the_job_runs(api: httpx.Client) -> None:
    [gid] = enqueue(api, {"model": VIDEO, "prompt": "x", "duration": "7s", "bogus": 1})
    row = wait_for(api, gid, ("failed",))
    assert row["status"] == "failed" and row["result_url"] is None
    assert "duration" in row["error_message"] and "bogus" in row["error_message"]
    assert "input_image" in row["error_message"]
    assert row["duration"] == "7s" and row["bogus"] == 1


def test_num_generations_makes_that_many_jobs(mock: MockServer, api: httpx.Client) -> None:
    ids = enqueue(api, {"model": IMAGE, "prompt": "x", "num_generations": 4})
    assert len(set(ids)) == 4
    assert mock.stats()["jobs_created"] == 4
    rows = [wait_for(api, gid, ("succeeded",)) for gid in ids]
    assert all(r["media_type"] == "image" and r["result_url"].endswith(".png") for r in rows)
    assert "num_generations" not in rows[0]


@pytest.mark.parametrize("count", [0, 5, "2", 1.5, True])
def test_bad_num_generations_is_400(mock: MockServer, api: httpx.Client, count: object) -> None:
    response = api.post("/ai/queue", json={**VIDEO_BODY, "num_generations": count})
    assert response.status_code == 400
    assert "num_generations" in response.json()["error"]["detail"]
    assert mock.stats()["jobs_created"] == 0


def test_only_image_and_video_models_queue(api: httpx.Client) -> None:
    response = api.post("/ai/queue", json={"model": "gpt-4o", "messages": []})
    assert response.status_code == 400
    assert "image and video models only" in response.json()["error"]["detail"]
    missing = api.post("/ai/queue", json={"model": "nope"})
    assert missing.status_code == 404 and missing.json() == {
        "error": {"message": "Model not found: nope"}
    }


def test_listing_filters_and_count(mock: MockServer, api: httpx.Client) -> None:
    mock.configure(latency=5.0)
    video_ids = enqueue(api, {**VIDEO_BODY, "num_generations": 2})
    [image_id] = enqueue(api, {"model": IMAGE, "prompt": "x"})
    listing = api.get("/ai/queue").json()
    assert listing["count"] == 3 and len(listing["generations"]) == 3
    by_media = api.get("/ai/queue", params={"media_type": "image"}).json()
    assert [g["generation_id"] for g in by_media["generations"]] == [image_id]
    by_model = api.get("/ai/queue", params={"model": VIDEO}).json()
    assert sorted(g["generation_id"] for g in by_model["generations"]) == sorted(video_ids)
    assert api.get("/ai/queue", params={"status": "succeeded"}).json()["count"] == 0
    assert api.delete(f"/ai/queue/{image_id}").status_code == 200
    assert api.get("/ai/queue").json()["count"] == 2  # active only by default
    cancelled = api.get("/ai/queue", params={"status": "cancelled"}).json()
    assert [g["generation_id"] for g in cancelled["generations"]] == [image_id]
    assert api.get("/ai/queue", params={"status": "queued,cancelled"}).json()["count"] == 3
    assert api.get("/ai/queue", params={"status": "done"}).status_code == 400
    assert api.get("/ai/queue", params={"media_type": "audio"}).status_code == 400


def test_cancel(mock: MockServer, api: httpx.Client) -> None:
    mock.configure(latency=0.3)
    [gid] = enqueue(api, VIDEO_BODY)
    response = api.delete(f"/ai/queue/{gid}")
    assert response.json() == {"status": "success", "generation_id": gid}
    time.sleep(0.4)
    row = api.get(f"/ai/queue/{gid}").json()
    assert row["status"] == "cancelled" and row["result_url"] is None
    again = api.delete(f"/ai/queue/{gid}")
    assert again.status_code == 400 and "already ended" in again.json()["error"]["detail"]


def test_unknown_generation_is_404_envelope_a(api: httpx.Client) -> None:
    for response in (api.get("/ai/queue/nope"), api.delete("/ai/queue/nope")):
        assert response.status_code == 404
        body = response.json()
        assert (
            body["error"]["type"] == "resource_not_found"
            and body["status_message"] == "resource_not_found"
        )


def test_jobs_are_scoped_to_the_key(mock: MockServer, api: httpx.Client) -> None:
    [gid] = enqueue(api, VIDEO_BODY)
    other = {"Authorization": "Bearer someone-else"}
    assert httpx.get(f"{mock.base_url}/ai/queue/{gid}", headers=other).status_code == 404
    assert httpx.get(f"{mock.base_url}/ai/queue", headers=other).json()["count"] == 0


def test_generations_history_is_paginated(api: httpx.Client) -> None:
    ids = enqueue(api, {"model": IMAGE, "prompt": "x", "num_generations": 3})
    api.post("/ai/images/generate", json={"model": IMAGE, "prompt": "y"})
    page1 = api.get("/ai/generations", params={"page": 1, "page_size": 3}).json()
    page2 = api.get("/ai/generations", params={"page": 2, "page_size": 3}).json()
    assert page1["total_count"] == 4 and page1["total_pages"] == 2
    assert len(page1["generations"]) == 3 and len(page2["generations"]) == 1
    seen = {g["generation_id"] for g in page1["generations"] + page2["generations"]}
    assert set(ids) <= seen
    assert all(isinstance(g["cost"], float) for g in page1["generations"])
    assert api.get("/ai/generations", params={"page_size": 0}).status_code == 400
    assert api.get("/ai/generations", params={"page": "x"}).status_code == 400
