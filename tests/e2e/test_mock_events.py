"""`/events` on `oxgen mock-server` only: the drop endpoint, seeded stream drops, a thousand
waiters (the protocol's event tests, which both servers run, are in test_protocol_queue.py)."""

from __future__ import annotations

import asyncio

import httpx

from oxgen.mock.testing import MockServer
from tests.e2e.test_protocol_queue import next_events

VIDEO = "luma-ray-v3-2-image-to-video"
VIDEO_BODY = {"model": VIDEO, "prompt": "a tiger", "input_image": "https://example.com/a.png"}
IMAGE = "flux-2-pro"


def client(mock: MockServer, key: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {key}"} if key else mock.headers
    return httpx.AsyncClient(base_url=mock.base_url, headers=headers, timeout=10)


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
