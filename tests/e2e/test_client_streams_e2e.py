"""The generated client's streams against real servers on 127.0.0.1: streamed chat on
`oxgen mock-server`, a chat stream whose connection drops (a raw socket server), and the event
stream's idle timeout (a stalled mock stream is given up, reconnected and reconciled)."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator

import oxen_inference as ox
import pytest

from oxgen.mock.testing import MockServer

I2V = "luma-ray-v3-2-image-to-video"
IMG = "https://example.com/tiger.png"
HI = [{"role": "user", "content": "the tiger turns"}]
REPLY = "Mock reply from gpt-4o: you said 'the tiger turns'."


def test_chat_streams_on_the_mock_sync(mock: MockServer) -> None:
    with ox.Oxen(api_key=mock.api_key, base_url=mock.base_url) as client:
        with client.chat("gpt-4o", messages=HI, stream=True) as stream:
            chunks = list(stream)
        assert "".join(c.text for c in chunks) == REPLY
        assert {c.object for c in chunks} == {"chat.completion.chunk"}
        assert chunks[-1].choices[0].finish_reason == "stop"
        # Stopping early closes the connection; the client goes on working.
        with client.chat("gpt-4o", messages=HI, stream=True) as stream:
            assert next(stream).choices[0].delta.role == "assistant"
        assert stream.response.is_closed
        whole = client.chat("gpt-4o", messages=HI)
        assert isinstance(whole, ox.ChatCompletion) and whole.text == REPLY
        with pytest.raises(ox.ValidationError, match=r"client\.chat"):
            client.generate("gpt-4o", messages=HI, stream=True)
        with pytest.raises(ox.NotFoundError):  # unknown ids go to the server unchecked
            client.chat("no-such-chat-model", messages=HI, stream=True)
    assert mock.stats()["requests"]["POST /api/ai/chat/completions"] == 4


async def test_chat_streams_on_the_mock_async(mock: MockServer) -> None:
    async with ox.AsyncOxen(api_key=mock.api_key, base_url=mock.base_url) as client:
        async with await client.chat("gpt-4o", messages=HI, stream=True) as stream:
            text = "".join([c.text async for c in stream])
        assert text == REPLY
        async with await client.chat("gpt-4o", messages=HI, stream=True) as stream:
            async for _ in stream:
                break
        assert stream.response.is_closed
        assert (await client.chat("gpt-4o", messages=HI)).text == REPLY


@pytest.fixture
def dropping_server() -> Iterator[tuple[str, list[int]]]:
    """An HTTP server on 127.0.0.1 that starts a chat stream, sends one chunk and drops the connection."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.02)
    stop = threading.Event()
    accepted: list[int] = []
    chunk = {
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": {"content": "Hel"}}],
    }
    event = f"data: {json.dumps(chunk)}\n\n".encode()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(2)
            accepted.append(1)
            with conn:
                conn.recv(65536)
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                    b"transfer-encoding: chunked\r\n\r\n"
                    + f"{len(event):x}\r\n".encode()
                    + event
                    + b"\r\n"
                )
                time.sleep(0.05)
            # closed without the final chunk: the body is cut short

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/api", accepted
    stop.set()
    thread.join(timeout=2)
    listener.close()


def test_chat_stream_dropped_mid_way_raises_and_is_not_retried(
    dropping_server: tuple[str, list[int]],
) -> None:
    base_url, accepted = dropping_server
    got: list[str] = []
    with (
        ox.Oxen(api_key="k", base_url=base_url) as client,
        pytest.raises(ox.APIConnectionError),
        client.chat("gpt-4o", messages=HI, stream=True) as stream,
    ):
        for c in stream:
            got.append(c.text)
    assert got == ["Hel"] and len(accepted) == 1


async def test_chat_stream_dropped_mid_way_raises_async(
    dropping_server: tuple[str, list[int]],
) -> None:
    base_url, accepted = dropping_server
    async with ox.AsyncOxen(api_key="k", base_url=base_url) as client:
        stream = await client.chat("gpt-4o", messages=HI, stream=True)
        with pytest.raises(ox.APIConnectionError):
            async with stream:
                async for _ in stream:
                    pass
    assert len(accepted) == 1


# The event stream's idle timeout: keep-alives every 0.05 s, a dead stream after 0.2 s of silence.
# Each test uses its own key (jobs, events and stalls are per key), so streams that earlier tests
# left closing on the shared server cannot take part.
IDLE = 0.2


def _opened(mock: MockServer) -> int:
    return int(mock.stats()["streams"]["opened"])


def test_a_silent_event_stream_is_given_up_and_reconciled(mock: MockServer) -> None:
    mock.configure(keepalive=0.05, latency=0.3)
    key, opened = f"idle-{uuid.uuid4()}", _opened(mock)
    with ox.Oxen(api_key=key, base_url=mock.base_url, events_idle_timeout=IDLE) as client:
        started = time.monotonic()
        job = client.submit(I2V, prompt="p", input_image=IMG)
        assert mock.stall_streams(key) == 1  # open but silent: the job's event will be lost
        assert job.wait(timeout=5).succeeded
        took = time.monotonic() - started
        assert client._hub.idle_drops == 1 and client._hub.epoch == 2
    stats = mock.stats()
    assert _opened(mock) - opened == 2 and stats["streams"]["stalled"] == 1
    assert stats["events_sent"] == 0  # the job ended while its only stream was stalled
    assert stats["requests"]["GET /api/ai/queue"] >= 1  # reconciled with the list, as after a drop
    assert took < 2.0


async def test_a_silent_event_stream_is_given_up_and_reconciled_async(mock: MockServer) -> None:
    mock.configure(keepalive=0.05, latency=0.3)
    key, opened = f"idle-{uuid.uuid4()}", _opened(mock)
    async with ox.AsyncOxen(
        api_key=key, base_url=mock.base_url, events_idle_timeout=IDLE
    ) as client:
        job = await client.submit(I2V, prompt="p", input_image=IMG)
        assert mock.stall_streams(key) == 1
        assert (await job.wait(timeout=5)).succeeded
        assert client._hub.idle_drops == 1 and client._hub.epoch == 2
    stats = mock.stats()
    assert _opened(mock) - opened == 2 and stats["events_sent"] == 0
    assert stats["requests"]["GET /api/ai/queue"] >= 1


def test_keep_alives_keep_a_quiet_stream_alive(mock: MockServer) -> None:
    mock.configure(keepalive=0.05, latency=0.5)  # the job takes 2.5 idle timeouts
    key, opened = f"idle-{uuid.uuid4()}", _opened(mock)
    with ox.Oxen(api_key=key, base_url=mock.base_url, events_idle_timeout=IDLE) as client:
        job = client.submit(I2V, prompt="p", input_image=IMG)
        assert job.wait(timeout=5).succeeded
        assert client._hub.idle_drops == 0 and client._hub.epoch == 1
    assert _opened(mock) - opened == 1 and "GET /api/ai/queue" not in mock.stats()["requests"]
