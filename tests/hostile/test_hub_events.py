"""The event hub against an event stream that sends anything: a malformed completion event is
dropped and its job reconciled, the hub keeps reading (a later job is still served by its event),
a crash inside the hub is survived (restarted, waits reconciled meanwhile), and an id has one
terminal outcome, the first seen, whatever later events say and whichever handle asks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import oxen_inference as ox
import pytest
from oxen_inference import _events

from tests.hostile.rawhttp import Conn, queue_api, serve

KEY = "sk-hub-test-key"
I2V = "luma-ray-v3-2-image-to-video"
IMG = "https://example.com/tiger.png"
ROW_URL = "https://cdn.test/from-the-row.png"
EVENT_URL = "https://cdn.test/from-the-event.png"
COMPLETED = "media_generation_completed"

# Each: the data line of a completion event for g1 that the hub cannot use.
BAD_EVENTS: dict[str, bytes] = {
    "status a number": b'{"generation_id": "g1", "status": 5}',
    "url an object": b'{"generation_id": "g1", "status": "succeeded", "url": {"href": "x"}}',
    "a 100,000-digit integer": b'{"generation_id": "g1", "status": "succeeded", "n": '
    + b"9" * 100_000
    + b"}",
    "arrays nested 100,000 deep": b'{"generation_id": "g1", "x": '
    + b"[" * 100_000
    + b"]" * 100_000
    + b"}",
    "not JSON": b"{generation_id: g1, status: succeeded",
    "a JSON list": b'["g1", "succeeded"]',
    "null": b"null",
    "an id that is a number": b'{"generation_id": 1, "status": "succeeded"}',
    "an unknown status": b'{"generation_id": "g1", "status": "exploded"}',
    "an error message that is an object": b'{"generation_id": "g1", "status": "failed", '
    b'"error": {"code": 1}}',
    "bytes that are not UTF-8": b'{"generation_id": "g1", "status": "succ\xff\xfeeded"}',
}


def _script(first: bytes) -> Callable[[Conn], None]:
    """After the first enqueue, `first` as g1's completion event; after the second, a good event
    for g2 (whose row stays active, so only the event can end its wait); then keep-alives."""

    def run(conn: Conn) -> None:
        if not conn.until(lambda: conn.server.count("POST", "/api/ai/queue") >= 1):
            return
        conn.pause(0.2)
        conn.send(b"event: " + COMPLETED.encode() + b"\ndata: " + first + b"\n\n")
        if not conn.until(lambda: conn.server.count("POST", "/api/ai/queue") >= 2):
            return
        conn.pause(0.2)
        conn.event(COMPLETED, {"generation_id": "g2", "status": "succeeded", "url": EVENT_URL})
        conn.keep_alive()

    return run


def _rows() -> dict[str, dict[str, Any]]:
    return {
        "g1": {"generation_id": "g1", "status": "succeeded", "result_url": ROW_URL},
        "g2": {"generation_id": "g2", "status": "processing"},
    }


@pytest.mark.parametrize("event", list(BAD_EVENTS), ids=list(BAD_EVENTS))
def test_a_malformed_event_is_dropped_and_its_job_reconciled(event: str) -> None:
    with (
        serve(queue_api(_rows(), _script(BAD_EVENTS[event]))) as server,
        ox.Oxen(api_key=KEY, base_url=server.api) as client,
    ):
        first = client.submit(I2V, prompt="p", input_image=IMG).wait(timeout=20)
        second = client.submit(I2V, prompt="p", input_image=IMG).wait(timeout=20)
        assert client._hub.requests >= 1  # the first job was reconciled...
    assert (first.status, first.result_url) == ("succeeded", ROW_URL)
    assert (second.status, second.result_url) == ("succeeded", EVENT_URL)  # ...the hub read on


@pytest.mark.parametrize("event", list(BAD_EVENTS), ids=list(BAD_EVENTS))
async def test_a_malformed_event_is_dropped_and_its_job_reconciled_async(event: str) -> None:
    with serve(queue_api(_rows(), _script(BAD_EVENTS[event]))) as server:
        async with ox.AsyncOxen(api_key=KEY, base_url=server.api) as client:
            first = await (await client.submit(I2V, prompt="p", input_image=IMG)).wait(timeout=20)
            second = await (await client.submit(I2V, prompt="p", input_image=IMG)).wait(timeout=20)
            assert client._hub.requests >= 1
    assert (first.status, first.result_url) == ("succeeded", ROW_URL)
    assert (second.status, second.result_url) == ("succeeded", EVENT_URL)


# -- one terminal outcome per id -------------------------------------------------------------------


def _contradicting(conn: Conn) -> None:
    if not conn.until(lambda: conn.server.count("POST", "/api/ai/queue") >= 1):
        return
    conn.pause(0.2)
    conn.event(COMPLETED, {"generation_id": "g1", "status": "failed", "error": "first"})
    conn.event(COMPLETED, {"generation_id": "g1", "status": "succeeded", "url": EVENT_URL})
    conn.keep_alive()


def test_contradictory_events_give_every_handle_the_first_outcome() -> None:
    # The row says succeeded by now, as the late event does: the first outcome seen still wins.
    rows = {"g1": {"generation_id": "g1", "status": "succeeded", "result_url": ROW_URL}}
    with (
        serve(queue_api(rows, _contradicting)) as server,
        ox.Oxen(api_key=KEY, base_url=server.api) as client,
    ):
        job = client.submit(I2V, prompt="p", input_image=IMG)
        seen = [job.wait(timeout=20, raise_on_failure=False)]
        seen += [client.job("g1").wait(timeout=20, raise_on_failure=False) for _ in range(2)]
        with pytest.raises(ox.GenerationFailedError, match="first"):
            client.job("g1").wait(timeout=20)
        looked = client.job("g1")
        assert looked.status().status == "succeeded"  # status() is the server's row, as it is
        seen.append(looked.wait(timeout=20, raise_on_failure=False))  # wait(): the one outcome
    assert [(r.status, r.error_message) for r in seen] == [("failed", "first")] * 4


async def test_contradictory_events_give_every_handle_the_first_outcome_async() -> None:
    rows = {"g1": {"generation_id": "g1", "status": "succeeded", "result_url": ROW_URL}}
    with serve(queue_api(rows, _contradicting)) as server:
        async with ox.AsyncOxen(api_key=KEY, base_url=server.api) as client:
            job = await client.submit(I2V, prompt="p", input_image=IMG)
            seen = [await job.wait(timeout=20, raise_on_failure=False)]
            for _ in range(2):
                seen.append(await client.job("g1").wait(timeout=20, raise_on_failure=False))
    assert [(r.status, r.error_message) for r in seen] == [("failed", "first")] * 3


# -- a crash inside the hub ------------------------------------------------------------------------


def _crash_once(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The hub's SSE decoder raises on the first completion line it sees (a bug, simulated)."""
    crashed: list[str] = []
    feed = _events.SSEDecoder.feed

    def buggy(self: _events.SSEDecoder, line: str) -> tuple[str, str] | None:
        if not crashed and COMPLETED in line:
            crashed.append(line)
            raise ZeroDivisionError("a bug in the hub")
        return feed(self, line)

    monkeypatch.setattr(_events.SSEDecoder, "feed", buggy)
    return crashed


def _good_events(conn: Conn) -> None:
    for n, gid, url in ((1, "g1", ROW_URL), (2, "g2", EVENT_URL)):
        if not conn.until(lambda n=n: conn.server.count("POST", "/api/ai/queue") >= n):  # type: ignore[misc]
            return
        conn.pause(0.2)
        conn.event(COMPLETED, {"generation_id": gid, "status": "succeeded", "url": url})
    conn.keep_alive()


def test_the_hub_survives_a_crash_and_reconciles_meanwhile(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    crashed = _crash_once(monkeypatch)
    caplog.set_level(logging.WARNING, logger="oxen_inference")
    with (
        serve(queue_api(_rows(), _good_events)) as server,
        ox.Oxen(api_key=KEY, base_url=server.api) as client,
    ):
        first = client.submit(I2V, prompt="p", input_image=IMG).wait(timeout=20)
        second = client.submit(I2V, prompt="p", input_image=IMG).wait(timeout=20)
    assert crashed, "the simulated bug was never reached"
    assert (first.status, first.result_url) == ("succeeded", ROW_URL)  # reconciled
    assert second.result_url == EVENT_URL  # the restarted reader serves events again
    assert any("a bug in the hub" in r.getMessage() for r in caplog.records)  # not silent


async def test_the_hub_survives_a_crash_and_reconciles_meanwhile_async(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    crashed = _crash_once(monkeypatch)
    caplog.set_level(logging.WARNING, logger="oxen_inference")
    with serve(queue_api(_rows(), _good_events)) as server:
        async with ox.AsyncOxen(api_key=KEY, base_url=server.api) as client:
            first = await (await client.submit(I2V, prompt="p", input_image=IMG)).wait(timeout=20)
            second = await (await client.submit(I2V, prompt="p", input_image=IMG)).wait(timeout=20)
    assert crashed
    assert (first.status, first.result_url) == ("succeeded", ROW_URL)
    assert second.result_url == EVENT_URL
    assert any("a bug in the hub" in r.getMessage() for r in caplog.records)
