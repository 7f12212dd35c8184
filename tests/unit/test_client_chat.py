"""Chat completions in the generated client, whole and streamed, over httpx.MockTransport:
the body on the wire, chunk parsing, errors mid-stream, no retry once streaming, early close."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import oxen_inference as ox
import pytest

CHAT = "gpt-4o"
HI = [{"role": "user", "content": "hi"}]
SSE = {"content-type": "text/event-stream"}


def chunk(content: str | None = None, finish: str | None = None, **extra: Any) -> str:
    delta = {} if content is None else {"content": content}
    data = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": CHAT,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }
    return f"data: {json.dumps(data)}\n\n"


GOOD = [
    ": keep-alive\n\n",
    'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n',
    chunk("Hello", system_fingerprint="fp1"),
    "event: ping\ndata: {}\n\n",  # other event types are not chunks
    chunk(" world"),
    chunk(None, "stop"),
    "data: [DONE]\n\n",
]


def sse_response(parts: list[str], status: int = 200) -> httpx.Response:
    return httpx.Response(status, headers=SSE, content="".join(parts).encode())


def recorder(
    *responses: httpx.Response | Callable[[httpx.Request], httpx.Response],
) -> tuple[Callable[[httpx.Request], httpx.Response], list[httpx.Request]]:
    seen: list[httpx.Request] = []
    items = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = items.pop(0) if len(items) > 1 else items[0]
        return item(request) if callable(item) else item

    return handler, seen


def sync_client(handler: Callable[[httpx.Request], httpx.Response]) -> ox.Oxen:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return ox.Oxen(api_key="k", base_url="https://api.test/api", http_client=http, events=False)


def async_client(handler: Callable[[httpx.Request], httpx.Response]) -> ox.AsyncOxen:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return ox.AsyncOxen(
        api_key="k", base_url="https://api.test/api", http_client=http, events=False
    )


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr("time.sleep", slept.append)
    return slept


class Broken(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that sends `parts` and then loses the connection."""

    def __init__(self, parts: list[str]) -> None:
        self.parts = parts
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        for part in self.parts:
            yield part.encode()
        raise httpx.ReadError("connection reset by peer")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            yield part.encode()
        raise httpx.ReadError("connection reset by peer")

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


def test_stream_yields_typed_chunks_and_sends_the_openai_body() -> None:
    handler, seen = recorder(sse_response(GOOD))
    with (
        sync_client(handler) as c,
        c.chat(CHAT, messages=HI, stream=True, temperature=0.2, max_tokens=ox.OMIT) as stream,
    ):
        chunks = list(stream)
    assert isinstance(stream, ox.ChatStream)
    assert [type(x) for x in chunks] == [ox.ChatCompletionChunk] * 4
    assert "".join(x.text for x in chunks) == "Hello world"
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[1].model_extra == {"system_fingerprint": "fp1"}  # extra keys kept
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert stream.response.is_closed
    [request] = seen
    assert request.url.path == "/api/ai/chat/completions"
    assert request.headers["accept"] == "text/event-stream"
    assert json.loads(request.content) == {
        "model": CHAT,
        "messages": HI,
        "temperature": 0.2,
        "stream": True,
    }


def test_whole_completion_is_typed_and_messages_can_be_passed_back() -> None:
    answer = {
        "id": "c2",
        "object": "chat.completion",
        "created": 1,
        "model": CHAT,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hey"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        "service_tier": "default",
    }
    handler, seen = recorder(httpx.Response(200, json=answer))
    with sync_client(handler) as c:
        done = c.chat(CHAT, messages=HI)
        assert isinstance(done, ox.ChatCompletion)
        assert done.text == "Hey" and done.usage and done.usage.total_tokens == 2
        assert done.model_extra == {"service_tier": "default"}
        c.chat(CHAT, messages=[*HI, done.choices[0].message, {"role": "user", "content": "more"}])
    assert "stream" not in json.loads(seen[0].content)
    assert json.loads(seen[1].content)["messages"][1] == {"role": "assistant", "content": "Hey"}


def test_error_envelope_mid_stream_raises_after_the_chunks_before_it() -> None:
    error = 'data: {"error": {"message": "upstream overloaded", "type": "server_error"}}\n\n'
    handler, seen = recorder(sse_response([chunk("Hel"), error, chunk("lo")]))
    got: list[str] = []
    with (
        sync_client(handler) as c,
        c.chat(CHAT, messages=HI, stream=True) as stream,
        pytest.raises(ox.APIStreamError) as info,
    ):
        for x in stream:
            got.append(x.text)
    assert got == ["Hel"]
    assert info.value.message == "upstream overloaded" and info.value.type == "server_error"
    assert info.value.body == {"error": {"message": "upstream overloaded", "type": "server_error"}}
    assert isinstance(info.value, ox.APIError) and len(seen) == 1
    assert list(stream) == []  # the stream is over


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (['event: error\ndata: {"message": "quota exceeded"}\n\n'], "quota exceeded"),
        (["data: {not json\n\n"], "unparsable chunk"),
        (['data: {"choices": "nope"}\n\n'], "unexpected chunk"),
    ],
)
def test_bad_events_raise_stream_errors(parts: list[str], message: str) -> None:
    handler, _ = recorder(sse_response(parts))
    with sync_client(handler) as c, pytest.raises(ox.APIStreamError, match=message):
        list(c.chat(CHAT, messages=HI, stream=True))


def test_a_stream_cut_short_is_a_connection_error_but_a_finished_one_is_not() -> None:
    handler, _ = recorder(sse_response([chunk("Hel")]))
    with (
        sync_client(handler) as c,
        pytest.raises(ox.APIConnectionError, match="before it was complete"),
    ):
        list(c.chat(CHAT, messages=HI, stream=True))
    # No [DONE] and no blank line after the last event, but a finish_reason: complete.
    handler, _ = recorder(sse_response([chunk("Hi"), chunk(None, "stop").rstrip("\n")]))
    with sync_client(handler) as c:
        assert [x.text for x in c.chat(CHAT, messages=HI, stream=True)] == ["Hi", ""]


def test_dropped_connection_mid_stream_raises_and_is_never_retried() -> None:
    body = Broken([chunk("Hel")])
    handler, seen = recorder(httpx.Response(200, headers=SSE, stream=body))
    got: list[str] = []
    with sync_client(handler) as c, pytest.raises(ox.APIConnectionError) as info:
        for x in c.chat(CHAT, messages=HI, stream=True):
            got.append(x.text)
    assert got == ["Hel"] and len(seen) == 1 and body.closed
    assert not isinstance(info.value, ox.APITimeoutError)


def test_retried_before_streaming_starts_only(no_sleep: list[float]) -> None:
    handler, seen = recorder(
        httpx.Response(503, json={"error": "busy"}), httpx.Response(500, json={"error": "boom"})
    )
    with sync_client(handler) as c, pytest.raises(ox.InternalServerError):
        c.chat(CHAT, messages=HI, stream=True)
    assert len(seen) == 2  # 503 retried; 500 not (the request may have been processed)
    handler, seen = recorder(httpx.Response(429, json={"error": "slow down"}), sse_response(GOOD))
    with sync_client(handler) as c:
        assert "".join(x.text for x in c.chat(CHAT, messages=HI, stream=True)) == "Hello world"
    assert len(seen) == 2


def test_early_close_closes_the_connection() -> None:
    body = Broken([chunk("a"), chunk("b"), chunk("c")])
    handler, _ = recorder(httpx.Response(200, headers=SSE, stream=body))
    with sync_client(handler) as c:
        with c.chat(CHAT, messages=HI, stream=True) as stream:
            assert next(stream).text == "a"
        assert body.closed and stream.response.is_closed
        assert list(stream) == []
        stream.close()  # idempotent


def test_a_json_answer_to_a_stream_request_is_an_error() -> None:
    handler, _ = recorder(httpx.Response(200, json={"error": {"message": "streaming is off"}}))
    with sync_client(handler) as c, pytest.raises(ox.APIStreamError, match="streaming is off"):
        c.chat(CHAT, messages=HI, stream=True)


def test_timeout_is_per_call() -> None:
    handler, seen = recorder(sse_response(GOOD))
    with sync_client(handler) as c:
        list(c.chat(CHAT, messages=HI, stream=True, timeout=7.5))
        list(c.chat(CHAT, messages=HI, stream=True))
    # the call's deadline starts when it is made: the read limit is what remains of 7.5 s
    assert 7.4 < seen[0].extensions["timeout"]["read"] <= 7.5
    assert seen[1].extensions["timeout"]["read"] == 300.0  # the chat route's default


def test_checked_before_sending() -> None:
    handler, seen = recorder(sse_response(GOOD))
    with sync_client(handler) as c:
        with pytest.raises(
            ox.ValidationError, match="not a chat model; it runs on POST /ai/videos"
        ):
            c.chat("luma-ray-v3-2-image-to-video", messages=HI)
        for bad in ([], "hi", [{"content": "no role"}], {"role": "user"}):
            with pytest.raises(ox.ValidationError, match="messages"):
                c.chat(CHAT, messages=bad)  # type: ignore[arg-type]
        assert seen == []
        list(c.chat("brand-new-chat-model", messages=HI, stream=True))  # unknown ids: unchecked
    assert json.loads(seen[0].content)["model"] == "brand-new-chat-model"


def test_generate_refuses_to_stream_and_points_to_chat() -> None:
    handler, seen = recorder(sse_response(GOOD))
    with sync_client(handler) as c:
        calls: list[Callable[[], object]] = [
            lambda: c.generate(CHAT, messages=HI, stream=True),
            lambda: c.generate_gpt_4o(messages=HI, stream=True),
            lambda: c.generate(CHAT, messages=HI, extra_body={"stream": True}),
        ]
        for call in calls:
            with pytest.raises(
                ox.ValidationError, match=r"client\.chat\(model_id, .*stream=True\)"
            ):
                call()
    assert seen == []


async def test_async_stream_yields_chunks_and_closes() -> None:
    handler, seen = recorder(sse_response(GOOD))
    async with async_client(handler) as c:
        stream = await c.chat(CHAT, messages=HI, stream=True, temperature=0.2)
        assert isinstance(stream, ox.AsyncChatStream)
        async with stream:
            text = "".join([x.text async for x in stream])
    assert text == "Hello world" and stream.response.is_closed
    assert json.loads(seen[0].content)["stream"] is True


async def test_async_errors_mid_stream_and_no_retry() -> None:
    body = Broken([chunk("Hel")])
    handler, seen = recorder(httpx.Response(200, headers=SSE, stream=body))
    async with async_client(handler) as c:
        got: list[str] = []
        with pytest.raises(ox.APIConnectionError):
            async with await c.chat(CHAT, messages=HI, stream=True) as stream:
                async for x in stream:
                    got.append(x.text)
        assert got == ["Hel"] and len(seen) == 1 and body.closed
        error = 'data: {"error": "model unavailable"}\n\n'
        handler2, _ = recorder(sse_response([error]))
    async with async_client(handler2) as c:
        with pytest.raises(ox.APIStreamError, match="model unavailable"):
            async for _ in await c.chat(CHAT, messages=HI, stream=True):
                pass
        with pytest.raises(ox.ValidationError, match=r"client\.chat"):
            await c.generate(CHAT, messages=HI, stream=True)


async def test_async_early_close_and_whole_completion() -> None:
    body = Broken([chunk("a"), chunk("b")])
    whole = {"choices": [{"message": {"role": "assistant", "content": "ok"}}]}
    handler, _ = recorder(
        httpx.Response(200, headers=SSE, stream=body), httpx.Response(200, json=whole)
    )
    async with async_client(handler) as c:
        async with await c.chat(CHAT, messages=HI, stream=True) as stream:
            assert (await anext(stream)).text == "a"
        assert body.closed and [x async for x in stream] == []
        assert (await c.chat(CHAT, messages=HI)).text == "ok"
