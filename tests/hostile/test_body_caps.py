"""Every body the client reads has a cap, enforced while it streams: an event-stream line, an
error answer, a 2xx answer (``max_response_bytes``), a chat-stream line, a download (its
``max_bytes``). Past a cap the client stops reading and raises a clear ``OxenError`` (the event
stream instead drops the connection and reconnects). Memory is measured in a subprocess against
bodies of hundreds of MiB: it grows by the cap, not by the body."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import oxen_inference as ox
import pytest
from oxen_inference._bodies import (
    DEFAULT_MAX_RESPONSE_BYTES,
    MAX_ERROR_BODY_BYTES,
    MAX_LINE_BYTES,
)

from tests.hostile.rawhttp import Conn, Request, queue_api, serve

KEY = "sk-caps-test-key"
I2V = "luma-ray-v3-2-image-to-video"
IMG = "https://example.com/tiger.png"
CHAT = "gpt-4o"
HI = [{"role": "user", "content": "hi"}]
MiB = 1 << 20


def _big(status: int, size: int, *, declared: bool, ctype: str = "application/json") -> Any:
    """A handler answering `size` bytes with `status`, with a Content-Length or without one
    (the body then ends when the connection closes)."""

    def handler(request: Request, conn: Conn) -> bool:
        headers = {"Content-Type": ctype, "Connection": "close"}
        if declared:
            headers["Content-Length"] = str(size)
        conn.head(status, headers)
        conn.flood(size, b" ")
        return False

    return handler


# -- error answers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "undeclared"])
async def test_a_huge_error_answer_is_read_only_up_to_its_cap(declared: bool) -> None:
    size = MAX_ERROR_BODY_BYTES * 8
    with serve(_big(400, size, declared=declared)) as server:
        with (
            ox.Oxen(api_key=KEY, base_url=server.api, max_retries=0) as client,
            pytest.raises(ox.BadRequestError) as info,
        ):
            client.models.list()
        async with ox.AsyncOxen(api_key=KEY, base_url=server.api, max_retries=0) as aclient:
            with pytest.raises(ox.BadRequestError) as ainfo:
                await aclient.models.list()
    for error in (info.value, ainfo.value):
        assert error.status_code == 400
        assert f"more than {MAX_ERROR_BODY_BYTES:,} bytes" in str(error)
        assert len(str(error)) < 600
        assert isinstance(error.body, str) and len(error.body) <= MAX_ERROR_BODY_BYTES


# -- 2xx answers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "undeclared"])
async def test_a_2xx_answer_past_max_response_bytes_raises(declared: bool) -> None:
    cap = 1 * MiB
    with serve(_big(200, 4 * MiB, declared=declared)) as server:
        with (
            ox.Oxen(api_key=KEY, base_url=server.api, max_response_bytes=cap) as client,
            pytest.raises(ox.ResponseTooLargeError) as info,
        ):
            client.models.list()
        async with ox.AsyncOxen(
            api_key=KEY, base_url=server.api, max_response_bytes=cap
        ) as aclient:
            with pytest.raises(ox.ResponseTooLargeError) as ainfo:
                await aclient.models.list()
    for error in (info.value, ainfo.value):
        assert isinstance(error, ox.APIError) and error.limit == cap
        assert "max_response_bytes" in str(error) and "/ai/models" in str(error)


def test_max_response_bytes_is_checked_and_defaults_to_the_documented_cap() -> None:
    assert ox.Oxen(api_key=KEY).max_response_bytes == DEFAULT_MAX_RESPONSE_BYTES
    for bad in (0, -1, 1.5, True, "1"):
        with pytest.raises(ValueError, match="max_response_bytes"):
            ox.Oxen(api_key=KEY, max_response_bytes=bad)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="max_response_bytes"):
            ox.AsyncOxen(api_key=KEY, max_response_bytes=bad)  # type: ignore[arg-type]
    # a batch run of a blocking client runs on an AsyncOxen with the same cap
    from oxen_inference._batch import _async_twin

    twin = _async_twin(ox.Oxen(api_key=KEY, max_response_bytes=1234), ox.AsyncOxen)
    assert twin.max_response_bytes == 1234


def test_an_answer_within_the_cap_is_read_whole() -> None:
    models = [{"id": f"m{i}", "object": "model", "pad": "x" * 1000} for i in range(500)]

    def handler(request: Request, conn: Conn) -> None:
        conn.reply(200, {"object": "list", "data": models})

    with serve(handler) as server, ox.Oxen(api_key=KEY, base_url=server.api) as client:
        assert [m.id for m in client.models.list()] == [m["id"] for m in models]


async def test_an_oversized_enqueue_answer_says_the_jobs_may_exist() -> None:
    with serve(_big(200, 4 * MiB, declared=False)) as server:
        client = ox.Oxen(api_key=KEY, base_url=server.api, events=False, max_response_bytes=MiB)
        with client, pytest.raises(ox.ResponseTooLargeError, match=r"queue\.list"):
            client.submit(I2V, prompt="p", input_image=IMG)


# -- chat-stream lines -----------------------------------------------------------------------------


def _chat_flood(request: Request, conn: Conn) -> bool:
    conn.head(200, {"Content-Type": "text/event-stream", "Connection": "close"})
    conn.send(b'data: {"id": "c1", "choices": [{"index": 0, "delta": {"content": "hi"}}]}\n\n')
    conn.send(b"data: ")
    conn.flood(MAX_LINE_BYTES * 4)
    return False


async def test_a_chat_stream_line_past_the_cap_raises() -> None:
    with serve(_chat_flood) as server:
        with ox.Oxen(api_key=KEY, base_url=server.api) as client:
            chunks: list[str] = []
            with (
                pytest.raises(ox.APIStreamError, match="longer than") as info,
                client.chat(CHAT, messages=HI, stream=True) as stream,
            ):
                chunks.extend(chunk.text for chunk in stream)
            assert chunks == ["hi"]
            assert f"{MAX_LINE_BYTES:,} bytes" in str(info.value)
        async with ox.AsyncOxen(api_key=KEY, base_url=server.api) as aclient:
            with pytest.raises(ox.APIStreamError, match="longer than"):
                async with await aclient.chat(CHAT, messages=HI, stream=True) as astream:
                    async for _ in astream:
                        pass


# -- event-stream lines ----------------------------------------------------------------------------


def _events_flood(conn: Conn) -> None:
    """The first stream sends an endless line; the next one, the job's completion event."""
    if conn.index == 0 or not conn.server.count("GET", "/api/events") >= 2:
        conn.send(b"data: ")
        conn.flood(MAX_LINE_BYTES * 64)
        return
    conn.until(lambda: conn.server.count("POST", "/api/ai/queue") >= 1)
    conn.pause(0.2)
    conn.event(
        "media_generation_completed",
        {"generation_id": "g1", "status": "succeeded", "url": "https://cdn.test/event.png"},
    )
    conn.keep_alive()


async def test_the_event_stream_is_reconnected_after_an_oversized_line() -> None:
    rows = {"g1": {"generation_id": "g1", "status": "processing"}}  # only the event ends it
    with serve(queue_api(rows, _events_flood)) as server:
        with ox.Oxen(api_key=KEY, base_url=server.api) as client:
            job = client.submit(I2V, prompt="p", input_image=IMG)
            assert job.wait(timeout=30).result_url == "https://cdn.test/event.png"
        assert server.count("GET", "/api/events") >= 2
    with serve(queue_api(dict(rows), _events_flood)) as server:
        async with ox.AsyncOxen(api_key=KEY, base_url=server.api) as aclient:
            ajob = await aclient.submit(I2V, prompt="p", input_image=IMG)
            assert (await ajob.wait(timeout=30)).result_url == "https://cdn.test/event.png"
        assert server.count("GET", "/api/events") >= 2


# -- downloads -------------------------------------------------------------------------------------


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "undeclared"])
async def test_a_download_past_max_bytes_raises_and_leaves_no_file(
    tmp_path: Path, declared: bool
) -> None:
    with serve(_big(200, 3 * MiB, declared=declared, ctype="image/png")) as server:
        url = server.url + "/files/big.png"
        with ox.Oxen(api_key=KEY, base_url=server.api) as client:
            with pytest.raises(ox.ResponseTooLargeError, match="max_bytes") as info:
                client.download_url(url, tmp_path / "a.png", max_bytes=MiB)
            assert info.value.limit == MiB
            small = client.download_url(url, tmp_path / "whole.png", max_bytes=3 * MiB)
            assert small.stat().st_size == 3 * MiB  # exactly the cap: allowed
        async with ox.AsyncOxen(api_key=KEY, base_url=server.api) as aclient:
            with pytest.raises(ox.ResponseTooLargeError, match="max_bytes"):
                await aclient.download_url(url, tmp_path / "b.png", max_bytes=MiB)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["whole.png"]  # no partial files


@pytest.mark.parametrize("bad", [0, -5, 1.5, True, "9"])
def test_max_bytes_is_checked(tmp_path: Path, bad: object) -> None:
    with (
        ox.Oxen(api_key=KEY, base_url="http://127.0.0.1:9/api") as client,
        pytest.raises(ox.ValidationError, match="max_bytes"),
    ):
        client.download_url("http://127.0.0.1:9/x.png", tmp_path, max_bytes=bad)  # type: ignore[arg-type]


# -- memory, measured in a subprocess --------------------------------------------------------------

_PROBE = r"""
import json, sys
import oxen_inference as ox

def status_kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))

base, case = sys.argv[1], sys.argv[2]
client = ox.Oxen(api_key="k", base_url=base, max_retries=0)
client.queue.list()  # warm up: httpx, pydantic and the answer models are loaded
before = status_kib("VmRSS:")
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")  # the peak (VmHWM) starts again from what the process holds now
outcome = "no error"
try:
    if case == "events":
        job = client.submit("luma-ray-v3-2-image-to-video", prompt="p", input_image="https://e/x.png")
        outcome = job.wait(timeout=120).result_url
    elif case == "chat":
        with client.chat("gpt-4o", messages=[{"role": "user", "content": "x"}], stream=True) as s:
            for _ in s:
                pass
    else:
        client.models.list()
except ox.OxenError as exc:
    outcome = type(exc).__name__
after = status_kib("VmHWM:")
client.close()
print(json.dumps({"grew_kib": after - before, "outcome": outcome}))
"""


def _probe(handler: Callable[[Request, Conn], bool | None], case: str) -> dict[str, Any]:
    with serve(handler) as server:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, server.api, case],
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _memory_server(body: Callable[[Conn], None]) -> Callable[[Request, Conn], bool | None]:
    """Small answers for the warm-up (``GET /api/ai/queue``); `body` for anything else."""

    def handler(request: Request, conn: Conn) -> bool | None:
        if request.path == "/api/ai/queue" and request.method == "GET":
            conn.reply(200, {"count": 0, "generations": []})
            return None
        body(conn)
        return False

    return handler


def _error_flood(conn: Conn) -> None:
    conn.head(400, {"Content-Type": "application/json", "Connection": "close"})
    conn.flood(512 * MiB, b" ")


def _ok_flood(conn: Conn) -> None:
    conn.head(200, {"Content-Type": "application/json", "Connection": "close"})
    conn.flood(512 * MiB, b" ")


def _chat_line(conn: Conn) -> None:
    conn.head(200, {"Content-Type": "text/event-stream", "Connection": "close"})
    conn.send(b"data: ")
    conn.flood(512 * MiB)


def test_memory_stays_bounded_under_huge_bodies() -> None:
    """Each row: the growth of the client's peak RSS (KiB) while it meets a huge body; before the
    caps: a 512 MiB error body took 2.2 GB, a 512 MiB 2xx 1.4 GB, a 512 MiB chat line 1.8 GB."""
    figures = {
        "error body, 512 MiB": _probe(_memory_server(_error_flood), "models"),
        "2xx body, 512 MiB": _probe(_memory_server(_ok_flood), "models"),
        "chat line, 512 MiB": _probe(_memory_server(_chat_line), "chat"),
    }
    print(figures)
    assert figures["error body, 512 MiB"]["outcome"] == "BadRequestError"
    assert figures["2xx body, 512 MiB"]["outcome"] == "ResponseTooLargeError"
    assert figures["chat line, 512 MiB"]["outcome"] == "APIStreamError"
    assert figures["error body, 512 MiB"]["grew_kib"] < 32 * 1024
    assert figures["chat line, 512 MiB"]["grew_kib"] < 32 * 1024
    # the default cap is read before it is refused: the cap in memory, and a little more
    grew = figures["2xx body, 512 MiB"]["grew_kib"]
    assert grew < (DEFAULT_MAX_RESPONSE_BYTES + 32 * MiB) // 1024


def _events_memory(request: Request, conn: Conn) -> bool | None:
    if request.path == "/api/events":
        conn.sse()
        if conn.server.count("GET", "/api/events") == 1:
            conn.send(b"data: ")
            conn.flood(256 * MiB)  # one 256 MiB line
            return False
        conn.until(lambda: conn.server.count("POST", "/api/ai/queue") >= 1)
        conn.pause(0.2)
        conn.event(
            "media_generation_completed",
            {"generation_id": "g1", "status": "succeeded", "url": "https://cdn.test/ok.png"},
        )
        conn.keep_alive()
        return False
    return queue_api({"g1": {"generation_id": "g1", "status": "processing"}})(request, conn)


def test_memory_stays_bounded_under_a_256_mib_event_line() -> None:
    """Before the cap: 876 MB of RSS (a 1 GiB line: 3.2 GB)."""
    figures = _probe(_events_memory, "events")
    print({"event line, 256 MiB": figures})
    assert figures["outcome"] == "https://cdn.test/ok.png"  # the stream came back
    assert figures["grew_kib"] < 32 * 1024
