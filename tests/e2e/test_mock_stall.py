"""Stalled event streams: open but silent (no events, no keep-alives), on demand or seeded."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from oxgen.mock.protocol import config, faults
from oxgen.mock.testing import MockServer
from tests.e2e.test_mock_events import VIDEO_BODY, client
from tests.e2e.test_protocol_queue import next_events, sse


def streams_of(mock: MockServer, key: str) -> list[tuple[bool, bool]]:
    """(stalled, closed) of each open stream of `key`, read on the server's loop."""
    subs = mock.call(lambda: list(mock.state.events._subscribers.get(key, ())))
    return [(s.stalled, s.closed) for s in subs]


async def test_stall_silences_an_open_stream_but_keeps_it_open(mock: MockServer) -> None:
    # Its own key: streams that earlier tests are still closing cannot take part.
    mock.configure(keepalive=0.05)
    key = f"stall-{uuid.uuid4()}"
    async with client(mock, key) as api, api.stream("GET", "/events") as stream:
        lines = sse(stream)
        assert await asyncio.wait_for(anext(lines), 1.0) == ("comment", "keep-alive")
        assert mock.stall_streams(key) == 1
        await api.post("/ai/queue", json=VIDEO_BODY)  # finishes in 0.05 s: its event is lost
        received: list[object] = []

        async def read() -> None:
            async for item in lines:
                received.append(item)

        # Read in the background: cancelling a read would close the connection itself.
        reader = asyncio.create_task(read())
        await asyncio.sleep(0.4)  # eight keep-alive periods and more: nothing at all
        assert received == []
        assert streams_of(mock, key) == [(True, False)]  # stalled, still open
        stats = mock.stats()
        assert stats["streams"]["stalled"] == 1 and stats["streams"]["dropped"] == 0
        assert stats["jobs"].get("succeeded") == 1 and stats["events_sent"] == 0
        # A stream opened afterwards is not stalled and gets its events.
        async with api.stream("GET", "/events") as fresh:
            await api.post("/ai/queue", json=VIDEO_BODY)
            [event] = await next_events(fresh, 1)
            assert event["status"] == "succeeded"
        reader.cancel()
    for _ in range(100):  # the client closing it ends a stalled stream too
        if not streams_of(mock, key):
            break
        await asyncio.sleep(0.01)
    assert streams_of(mock, key) == []


def test_stall_endpoint_stalls_open_streams_once(mock: MockServer) -> None:
    with (
        httpx.Client(base_url=mock.base_url, headers=mock.headers, timeout=5) as api,
        api.stream("GET", "/events"),
    ):
        stalled = api.post(mock.root_url + "/_mock/events/stall").json()["stalled"]
        assert stalled >= 1  # ours (and any stream an earlier test has not closed yet)
        assert api.post(mock.root_url + "/_mock/events/stall").json() == {"stalled": 0}
        assert mock.stats()["streams"]["stalled"] == stalled
    mock.reset()
    assert mock.stats()["streams"]["stalled"] == 0


async def test_stall_rate_stalls_streams_within_twice_the_latency(mock: MockServer) -> None:
    mock.configure(stall_rate=1.0, keepalive=0.02, latency=0.05)
    async with client(mock) as api, api.stream("GET", "/events") as stream:
        lines = sse(stream)
        with pytest.raises(TimeoutError):

            async def drain() -> None:
                async for _ in lines:
                    pass

            await asyncio.wait_for(drain(), 0.4)
    assert mock.stats()["streams"]["stalled"] == 1


def test_stall_decisions_are_seeded_and_do_not_shift_drops() -> None:
    def draws(stall_rate: float, seed: int) -> tuple[list[float | None], list[float | None]]:
        injector = faults.FaultInjector(
            config.MockConfig(fault_rate=0.5, stall_rate=stall_rate, seed=seed, latency=1.0)
        )
        pairs = [(injector.stream_drop_after(), injector.stream_stall_after()) for _ in range(40)]
        return [d for d, _ in pairs], [s for _, s in pairs]

    drops, stalls = draws(0.5, 3)
    assert draws(0.5, 3) == (drops, stalls)
    assert draws(0.0, 3) == (drops, [None] * 40)  # stalls on or off: the same drops
    assert draws(0.5, 4)[1] != stalls
    chosen = [s for s in stalls if s is not None]
    assert 5 < len(chosen) < 35 and all(0.0 <= s <= 2.0 for s in chosen)


def test_stall_rate_is_checked(mock: MockServer, api: httpx.Client) -> None:
    with pytest.raises(ValueError, match="stall_rate"):
        config.MockConfig(stall_rate=1.5)
    bad = api.post(mock.root_url + "/_mock/config", json={"stall_rate": -0.1})
    assert bad.status_code == 400 and "stall_rate" in bad.text
    ok = api.post(mock.root_url + "/_mock/config", json={"stall_rate": 0.25})
    assert ok.json()["config"]["stall_rate"] == 0.25
