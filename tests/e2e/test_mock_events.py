"""`/events`: completion events (exact shapes), keep-alives, no replay, drops, many waiters."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from oxgen.mock.testing import MockServer

VIDEO = "luma-ray-v3-2-image-to-video"
VIDEO_BODY = {"model": VIDEO, "prompt": "a tiger", "input_image": "https://example.com/a.png"}
IMAGE = "flux-2-pro"


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


def client(mock: MockServer, key: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {key}"} if key else mock.headers
    return httpx.AsyncClient(base_url=mock.base_url, headers=headers, timeout=10)


async def test_succeeded_and_failed_events_have_the_documented_shapes(mock: MockServer) -> None:
    async with client(mock) as api, api.stream("GET", "/events") as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        ok = (await api.post("/ai/queue", json=VIDEO_BODY)).json()["generations"][0][
            "generation_id"
        ]
        bad = (await api.post("/ai/queue", json={"model": IMAGE, "seed": "x"})).json()[
            "generations"
        ][0]["generation_id"]
        events = {e["generation_id"]: e for e in await next_events(stream, 2)}
    row = (await client(mock).get(f"/ai/queue/{ok}")).json()
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


async def test_keepalive_comments_when_idle(mock: MockServer) -> None:
    async with client(mock) as api, api.stream("GET", "/events") as stream:
        seen: list[tuple[str, Any]] = []

        async def two_comments() -> None:
            async for item in sse(stream):
                seen.append(item)
                if len(seen) == 2:
                    return

        await asyncio.wait_for(two_comments(), 2.0)  # keep-alive is 0.2 s on the session server
    assert seen == [("comment", "keep-alive"), ("comment", "keep-alive")]


async def test_no_replay_and_scoped_to_the_key(mock: MockServer) -> None:
    async with client(mock) as api:
        before = (await api.post("/ai/queue", json=VIDEO_BODY)).json()["generations"][0][
            "generation_id"
        ]
        await asyncio.sleep(0.15)  # finished while nobody listened
        async with (
            api.stream("GET", "/events") as mine,
            client(mock, "other").stream("GET", "/events") as theirs,
        ):
            after = (await api.post("/ai/queue", json=VIDEO_BODY)).json()["generations"][0][
                "generation_id"
            ]
            [event] = await next_events(mine, 1)
            assert event["generation_id"] == after != before
            try:
                stolen = await next_events(theirs, 1, timeout=0.3)
            except TimeoutError:
                stolen = []
            assert stolen == []


async def test_cancelled_jobs_emit_nothing(mock: MockServer) -> None:
    mock.configure(latency=0.2)
    async with client(mock) as api, api.stream("GET", "/events") as stream:
        gone = (await api.post("/ai/queue", json=VIDEO_BODY)).json()["generations"][0][
            "generation_id"
        ]
        await api.delete(f"/ai/queue/{gone}")
        kept = (await api.post("/ai/queue", json=VIDEO_BODY)).json()["generations"][0][
            "generation_id"
        ]
        [event] = await next_events(stream, 1)
        assert event["generation_id"] == kept


async def test_drop_ends_open_streams(mock: MockServer) -> None:
    # Streams of earlier tests on this shared server may still be open server-side (a closed
    # client is noticed at the next write): the drop must end them all, ours included.
    before = mock.stats()["streams"]
    async with client(mock) as api, api.stream("GET", "/events") as stream:
        for _ in range(100):
            if mock.stats()["streams"]["open"] >= before["open"] + 1:
                break
            await asyncio.sleep(0.02)
        open_now = mock.stats()["streams"]["open"]
        assert open_now >= 1
        dropped = (await api.post(mock.root_url + "/_mock/events/drop")).json()
        assert dropped == {"dropped": open_now}
        await asyncio.wait_for(stream.aread(), 2.0)  # the body ends
    stats = mock.stats()["streams"]
    assert stats["dropped"] == before["dropped"] + open_now and stats["open"] == 0


async def test_fault_rate_drops_some_streams_at_random(mock: MockServer) -> None:
    mock.configure(fault_rate=0.5, seed=11, latency=0.1)
    ended = 0
    async with client(mock) as api:

        async def one() -> bool:
            while True:  # connecting may itself be faulted (429/503)
                async with api.stream("GET", "/events") as stream:
                    if stream.status_code != 200:
                        continue
                    try:
                        await asyncio.wait_for(stream.aread(), 0.6)
                    except TimeoutError:
                        return False
                    return True

        results = await asyncio.gather(*(one() for _ in range(12)))
        ended = sum(results)
    assert 0 < ended < 12
    assert mock.stats()["streams"]["dropped"] == ended


async def test_a_thousand_waiters_all_get_their_event(mock: MockServer) -> None:
    limits = httpx.Limits(max_connections=1200, max_keepalive_connections=0)
    async with httpx.AsyncClient(
        base_url=mock.base_url, headers=mock.headers, timeout=20, limits=limits
    ) as api:
        streams = [api.stream("GET", "/events") for _ in range(1000)]
        opened = await asyncio.gather(*(s.__aenter__() for s in streams))
        try:
            assert all(r.status_code == 200 for r in opened)
            gid = (await api.post("/ai/queue", json=VIDEO_BODY)).json()["generations"][0][
                "generation_id"
            ]
            got = await asyncio.gather(*(next_events(r, 1, timeout=15) for r in opened))
            assert all(events[0]["generation_id"] == gid for events in got)
        finally:
            await asyncio.gather(*(s.__aexit__(None, None, None) for s in streams))
    assert mock.stats()["events_sent"] == 1000
