"""A client's life: ``close()``/``aclose()`` wakes every pending wait with ``ClientClosedError``,
every call after close raises it (no request is sent), and one ``AsyncOxen`` serves one
``asyncio.run()`` after another (it makes new connections for each event loop; an
``http_client`` of your own cannot follow, and says so)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import oxen_inference as ox
import pytest

from tests.hostile.rawhttp import Conn, Request, queue_api, serve

KEY = "sk-lifecycle-test-key"
I2V = "luma-ray-v3-2-image-to-video"
IMG = "https://example.com/tiger.png"
ACTIVE = {"g1": {"generation_id": "g1", "status": "processing"}}


def _quiet(conn: Conn) -> None:
    conn.keep_alive()


def _until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_close_wakes_every_pending_wait() -> None:
    with serve(queue_api(dict(ACTIVE), _quiet)) as server:
        client = ox.Oxen(api_key=KEY, base_url=server.api)
        job = client.submit(I2V, prompt="p", input_image=IMG)
        outcomes: list[tuple[type[BaseException], float]] = []

        def wait(handle: Any) -> None:
            try:
                handle.wait(timeout=60)
            except BaseException as exc:
                outcomes.append((type(exc), time.monotonic()))

        waits = [threading.Thread(target=wait, args=(h,)) for h in (job, client.job("g1"))]
        for thread in waits:
            thread.start()
        _until(lambda: len(client._hub.waiters.get("g1", [])) == 2)
        closed_at = time.monotonic()
        client.close()
        for thread in waits:
            thread.join(10)
    assert [kind for kind, _ in outcomes] == [ox.ClientClosedError] * 2
    assert all(at - closed_at < 5 for _, at in outcomes)


async def test_aclose_wakes_every_pending_wait() -> None:
    with serve(queue_api(dict(ACTIVE), _quiet)) as server:
        client = ox.AsyncOxen(api_key=KEY, base_url=server.api)
        job = await client.submit(I2V, prompt="p", input_image=IMG)
        waits = [asyncio.ensure_future(h.wait(timeout=60)) for h in (job, client.job("g1"))]
        for _ in range(2000):
            if len(client._hub.waiters.get("g1", [])) == 2:
                break
            await asyncio.sleep(0.01)
        started = time.monotonic()
        await client.aclose()
        results = await asyncio.wait_for(asyncio.gather(*waits, return_exceptions=True), timeout=10)
        assert time.monotonic() - started < 5
    assert [type(r) for r in results] == [ox.ClientClosedError] * 2


def _calls_sync(client: ox.Oxen) -> dict[str, Callable[[], Any]]:
    return {
        "submit": lambda: client.submit(I2V, prompt="p", input_image=IMG),
        "generate": lambda: client.generate("flux-2-pro", prompt="p"),
        "wait": lambda: client.job("g1").wait(timeout=30),
        "status": lambda: client.job("g1").status(),
        "models.list": lambda: client.models.list(),
        "queue.list": lambda: client.queue.list(),
        "download_url": lambda: client.download_url(IMG, "/tmp/never-written.png"),
    }


def _calls_async(client: ox.AsyncOxen) -> dict[str, Callable[[], Awaitable[Any]]]:
    return {
        "submit": lambda: client.submit(I2V, prompt="p", input_image=IMG),
        "generate": lambda: client.generate("flux-2-pro", prompt="p"),
        "wait": lambda: client.job("g1").wait(timeout=30),
        "status": lambda: client.job("g1").status(),
        "models.list": lambda: client.models.list(),
        "queue.list": lambda: client.queue.list(),
        "download_url": lambda: client.download_url(IMG, "/tmp/never-written.png"),
    }


def test_calls_after_close_raise_client_closed() -> None:
    with serve(queue_api(dict(ACTIVE), _quiet)) as server:
        client = ox.Oxen(api_key=KEY, base_url=server.api)
        client.models  # noqa: B018 - made before the close, used after it
        client.close()
        client.close()  # twice is fine
        for name, call in _calls_sync(client).items():
            started = time.monotonic()
            with pytest.raises(ox.ClientClosedError, match="closed"):
                call()
            assert time.monotonic() - started < 2, name
        assert server.requests == []


async def test_calls_after_aclose_raise_client_closed() -> None:
    with serve(queue_api(dict(ACTIVE), _quiet)) as server:
        client = ox.AsyncOxen(api_key=KEY, base_url=server.api)
        await client.aclose()
        await client.close()
        for _, call in _calls_async(client).items():
            with pytest.raises(ox.ClientClosedError, match="closed"):
                await call()
        assert server.requests == []


def test_leaving_the_with_block_closes_the_client() -> None:
    with ox.Oxen(api_key=KEY, base_url="http://127.0.0.1:9/api") as client:
        pass
    with pytest.raises(ox.ClientClosedError):
        client.models.list()


# -- one AsyncOxen, several event loops ------------------------------------------------------------


def _models(request: Request, conn: Conn) -> None:
    conn.reply(200, {"object": "list", "data": [{"id": "m1", "object": "model"}]})


def test_one_async_client_serves_one_asyncio_run_after_another() -> None:
    with serve(_models) as server:
        client = ox.AsyncOxen(api_key=KEY, base_url=server.api, events=False)
        first = asyncio.run(client.models.list())
        second = asyncio.run(client.models.list())  # was: RuntimeError: Event loop is closed
        third = asyncio.run(client.models.list())
        asyncio.run(client.aclose())
    assert [m.id for m in first + second + third] == ["m1"] * 3


def test_waits_work_in_a_second_event_loop() -> None:
    def events(conn: Conn) -> None:
        n = conn.server.count("GET", "/api/events")  # one stream per event loop
        conn.until(lambda: conn.server.count("POST", "/api/ai/queue") >= n)
        conn.pause(0.2)
        conn.event(
            "media_generation_completed",
            {"generation_id": f"g{n}", "status": "succeeded", "url": f"https://cdn.test/{n}"},
        )
        conn.keep_alive()

    rows = {f"g{n}": {"generation_id": f"g{n}", "status": "processing"} for n in (1, 2)}
    with serve(queue_api(rows, events)) as server:
        client = ox.AsyncOxen(api_key=KEY, base_url=server.api)

        async def one() -> str | None:
            job = await client.submit(I2V, prompt="p", input_image=IMG)
            return (await job.wait(timeout=30)).result_url

        urls = [asyncio.run(one()), asyncio.run(one())]
        asyncio.run(client.aclose())
    assert urls == ["https://cdn.test/1", "https://cdn.test/2"]


def test_an_http_client_of_your_own_says_why_it_cannot_change_loops() -> None:
    with serve(_models) as server:
        client = ox.AsyncOxen(
            api_key=KEY, base_url=server.api, events=False, http_client=httpx.AsyncClient()
        )
        asyncio.run(client.models.list())
        with pytest.raises(ox.OxenError, match="event loop"):
            asyncio.run(client.models.list())
