"""The queue and its event stream, on both servers of the protocol (``oxgen mock-server`` and the
client's fake): enqueue, run-time validation, the life of a row, listing, cancelling, history;
completion events (exact shapes), keep-alives, no replay, drops."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.e2e.backends import Backend

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


def test_job_moves_queued_processing_succeeded(backend: Backend, http: httpx.Client) -> None:
    backend.configure(latency=0.4)
    body = {**VIDEO_BODY, "duration": "10s", "target_namespace": "team"}
    [gid] = enqueue(http, body)
    row = http.get(f"/ai/queue/{gid}").json()
    assert row["status"] == "queued" and row["started_at"] is None and row["result_url"] is None
    row = wait_for(http, gid, ("processing",))
    assert row["status"] == "processing" and isinstance(row["started_at"], int)
    row = wait_for(http, gid, ("succeeded",))
    assert row["status"] == "succeeded"
    for key in ("prompt", "input_image", "duration"):
        assert row[key] == body[key]  # every request parameter is kept
    assert row["model_name"] == VIDEO and row["media_type"] == "video"
    assert row["namespace"] == "team" and row["error_message"] is None
    assert row["enqueued_at"] <= row["started_at"] <= row["completed_at"]
    download = http.get(row["result_url"], headers={"Authorization": ""})  # no key needed
    assert download.status_code == 200 and download.headers["content-type"] == "video/mp4"
    time.sleep(0.1)
    assert http.get(f"/ai/queue/{gid}").json()["status"] == "succeeded"  # rows persist


def test_parameters_are_validated_when_the_job_runs(http: httpx.Client) -> None:
    [gid] = enqueue(http, {"model": VIDEO, "prompt": "x", "duration": "7s", "bogus": 1})
    row = wait_for(http, gid, ("failed",))
    assert row["status"] == "failed" and row["result_url"] is None
    assert "duration" in row["error_message"] and "bogus" in row["error_message"]
    assert "input_image" in row["error_message"]
    assert row["duration"] == "7s" and row["bogus"] == 1


def test_num_generations_makes_that_many_jobs(backend: Backend, http: httpx.Client) -> None:
    ids = enqueue(http, {"model": IMAGE, "prompt": "x", "num_generations": 4})
    assert len(set(ids)) == 4
    assert backend.stats()["jobs_created"] == 4
    rows = [wait_for(http, gid, ("succeeded",)) for gid in ids]
    assert all(r["media_type"] == "image" and r["result_url"].endswith(".png") for r in rows)
    assert "num_generations" not in rows[0]


@pytest.mark.parametrize("count", [0, 5, "2", 1.5, True])
def test_bad_num_generations_is_400(backend: Backend, http: httpx.Client, count: object) -> None:
    response = http.post("/ai/queue", json={**VIDEO_BODY, "num_generations": count})
    assert response.status_code == 400
    assert "num_generations" in response.json()["error"]["detail"]
    assert backend.stats()["jobs_created"] == 0


def test_only_image_and_video_models_queue(http: httpx.Client) -> None:
    response = http.post("/ai/queue", json={"model": "gpt-4o", "messages": []})
    assert response.status_code == 400
    assert "image and video models only" in response.json()["error"]["detail"]
    missing = http.post("/ai/queue", json={"model": "nope"})
    assert missing.status_code == 404 and missing.json() == {
        "error": {"message": "Model not found: nope"}
    }


def test_listing_filters_and_count(backend: Backend, http: httpx.Client) -> None:
    backend.configure(latency=5.0)
    video_ids = enqueue(http, {**VIDEO_BODY, "num_generations": 2})
    [image_id] = enqueue(http, {"model": IMAGE, "prompt": "x"})
    listing = http.get("/ai/queue").json()
    assert listing["count"] == 3 and len(listing["generations"]) == 3
    by_media = http.get("/ai/queue", params={"media_type": "image"}).json()
    assert [g["generation_id"] for g in by_media["generations"]] == [image_id]
    by_model = http.get("/ai/queue", params={"model": VIDEO}).json()
    assert sorted(g["generation_id"] for g in by_model["generations"]) == sorted(video_ids)
    assert http.get("/ai/queue", params={"status": "succeeded"}).json()["count"] == 0
    assert http.delete(f"/ai/queue/{image_id}").status_code == 200
    assert http.get("/ai/queue").json()["count"] == 2  # active only by default
    cancelled = http.get("/ai/queue", params={"status": "cancelled"}).json()
    assert [g["generation_id"] for g in cancelled["generations"]] == [image_id]
    assert http.get("/ai/queue", params={"status": "queued,cancelled"}).json()["count"] == 3
    assert http.get("/ai/queue", params={"status": "done"}).status_code == 400
    assert http.get("/ai/queue", params={"media_type": "audio"}).status_code == 400


def test_cancel(backend: Backend, http: httpx.Client) -> None:
    backend.configure(latency=0.3)
    [gid] = enqueue(http, VIDEO_BODY)
    response = http.delete(f"/ai/queue/{gid}")
    assert response.json() == {"status": "success", "generation_id": gid}
    time.sleep(0.4)
    row = http.get(f"/ai/queue/{gid}").json()
    assert row["status"] == "cancelled" and row["result_url"] is None
    again = http.delete(f"/ai/queue/{gid}")
    assert again.status_code == 400 and "already ended" in again.json()["error"]["detail"]


def test_unknown_generation_is_404_envelope_a(http: httpx.Client) -> None:
    for response in (http.get("/ai/queue/nope"), http.delete("/ai/queue/nope")):
        assert response.status_code == 404
        body = response.json()
        assert (
            body["error"]["type"] == "resource_not_found"
            and body["status_message"] == "resource_not_found"
        )


def test_jobs_are_scoped_to_the_key(backend: Backend, http: httpx.Client) -> None:
    [gid] = enqueue(http, VIDEO_BODY)
    with backend.client("someone-else") as other:
        assert other.get(f"/ai/queue/{gid}").status_code == 404
        assert other.get("/ai/queue").json()["count"] == 0


def test_generations_history_is_paginated(http: httpx.Client) -> None:
    ids = enqueue(http, {"model": IMAGE, "prompt": "x", "num_generations": 3})
    http.post("/ai/images/generate", json={"model": IMAGE, "prompt": "y"})
    page1 = http.get("/ai/generations", params={"page": 1, "page_size": 3}).json()
    page2 = http.get("/ai/generations", params={"page": 2, "page_size": 3}).json()
    assert page1["total_count"] == 4 and page1["total_pages"] == 2
    assert len(page1["generations"]) == 3 and len(page2["generations"]) == 1
    seen = {g["generation_id"] for g in page1["generations"] + page2["generations"]}
    assert set(ids) <= seen
    assert all(isinstance(g["cost"], float) for g in page1["generations"])
    assert http.get("/ai/generations", params={"page_size": 0}).status_code == 400
    assert http.get("/ai/generations", params={"page": "x"}).status_code == 400


# -- /events --------------------------------------------------------------------------------


async def sse(response: httpx.Response) -> AsyncIterator[tuple[str, Any]]:
    """(event name, data) pairs; comments come out as ("comment", text)."""
    name, data = "message", []
    async for line in response.aiter_lines():
        if line.startswith(":"):
            yield "comment", line[1:].strip()
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif line == "" and data:
            yield name, json.loads("\n".join(data))
            name, data = "message", []


async def next_events(
    response: httpx.Response, count: int, timeout: float = 5.0
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    async def collect() -> None:
        async for name, data in sse(response):
            if name == "media_generation_completed":
                out.append(data)
                if len(out) == count:
                    return

    await asyncio.wait_for(collect(), timeout)
    return out


async def queued(api: httpx.AsyncClient, body: dict[str, Any]) -> str:
    gid: str = (await api.post("/ai/queue", json=body)).json()["generations"][0]["generation_id"]
    return gid


async def test_succeeded_and_failed_events_have_the_documented_shapes(backend: Backend) -> None:
    async with backend.async_client() as api, api.stream("GET", "/events") as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        ok = await queued(api, VIDEO_BODY)
        bad = await queued(api, {"model": IMAGE, "seed": "x"})
        events = {e["generation_id"]: e for e in await next_events(stream, 2)}
        row = (await api.get(f"/ai/queue/{ok}")).json()
    assert events[ok] == {
        "generation_id": ok,
        "status": "succeeded",
        "media_type": "video",
        "model": VIDEO,
        "url": row["result_url"],
    }
    failed = events[bad]
    assert set(failed) == {"generation_id", "status", "media_type", "error"}
    assert failed["status"] == "failed" and failed["media_type"] == "image"
    assert "prompt" in failed["error"] or "seed" in failed["error"]


async def test_keepalive_comments_when_idle(backend: Backend) -> None:
    async with backend.async_client() as api, api.stream("GET", "/events") as stream:
        seen: list[tuple[str, Any]] = []

        async def two_comments() -> None:
            async for item in sse(stream):
                seen.append(item)
                if len(seen) == 2:
                    return

        await asyncio.wait_for(two_comments(), 2.0)  # keep-alive is every 0.2 s here
    assert seen == [("comment", "keep-alive"), ("comment", "keep-alive")]


async def test_no_replay_and_scoped_to_the_key(backend: Backend) -> None:
    async with backend.async_client() as api, backend.async_client("other") as other:
        before = await queued(api, VIDEO_BODY)
        await asyncio.sleep(0.15)  # finished while nobody listened
        async with api.stream("GET", "/events") as mine, other.stream("GET", "/events") as theirs:
            after = await queued(api, VIDEO_BODY)
            [event] = await next_events(mine, 1)
            assert event["generation_id"] == after != before
            try:
                stolen = await next_events(theirs, 1, timeout=0.3)
            except TimeoutError:
                stolen = []
            assert stolen == []


async def test_cancelled_jobs_emit_nothing(backend: Backend) -> None:
    backend.configure(latency=0.2)
    async with backend.async_client() as api, api.stream("GET", "/events") as stream:
        gone = await queued(api, VIDEO_BODY)
        await api.delete(f"/ai/queue/{gone}")
        kept = await queued(api, VIDEO_BODY)
        [event] = await next_events(stream, 1)
        assert event["generation_id"] == kept


async def test_drop_ends_open_streams(backend: Backend) -> None:
    # Streams of earlier tests on a shared server may still be open server-side (a closed client
    # is noticed at the next write): the drop must end them all, ours included.
    before = backend.stats()["streams"]
    async with backend.async_client() as api, api.stream("GET", "/events") as stream:
        for _ in range(100):
            if backend.stats()["streams"]["open"] >= before["open"] + 1:
                break
            await asyncio.sleep(0.02)
        open_now = backend.stats()["streams"]["open"]
        assert open_now >= 1
        assert backend.drop_streams() == open_now
        await asyncio.wait_for(stream.aread(), 2.0)  # the body ends
    stats = backend.stats()["streams"]
    assert stats["dropped"] == before["dropped"] + open_now and stats["open"] == 0
