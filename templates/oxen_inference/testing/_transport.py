"""httpx transports that serve the fake's protocol state: no socket, no port, no thread of their
own. A request goes through the same :class:`~._protocol.router.Exchange` as on
``oxgen mock-server``; a generation's latency is slept (``time.sleep`` or ``asyncio.sleep``) and
the event stream really streams: its body yields each event as it is published, waiting in
between, so the client's waits work as against the real API.

What a server's socket would do, the transports do too: a wait longer than the request's read
timeout raises ``httpx.ReadTimeout`` (a stalled event stream meets the client's idle timeout), and
a closed fake refuses connections (``httpx.ConnectError``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from ._protocol import ROUTER, Answer, Delayed, EventStream, Exchange, Reply, State, Subscriber

API_PATH = "/api"


@dataclass
class RecordedRequest:
    """A request the fake received, in arrival order.

    `path` is relative to the API's base (``/ai/queue``; a path outside it, such as a result file's
    ``/files/<id>.png``, as it is); `json` is the parsed body (None when the body is not JSON);
    `status` is the answer's status (None until answered).
    """

    method: str
    path: str
    json: Any
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    status: int | None = None


def _parsed(raw: bytes, headers: dict[str, str]) -> Any:
    kind = headers.get("content-type", "application/json").split(";", 1)[0].strip().lower()
    if not raw or not (kind == "application/json" or kind.endswith("+json")):
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # not JSON, or beyond what Python's parser takes
        return None


def read_timeout(request: httpx.Request) -> float | None:
    timeout = request.extensions.get("timeout")
    value = timeout.get("read") if isinstance(timeout, dict) else None
    return float(value) if isinstance(value, (int, float)) else None


def _timed_out(request: httpx.Request, what: str) -> httpx.ReadTimeout:
    return httpx.ReadTimeout(
        f"the fake Oxen sent nothing within the read timeout ({what})", request=request
    )


class Server:
    """What both transports share: the protocol state and the record of requests."""

    def __init__(self, state: State, requests: list[RecordedRequest]) -> None:
        self.state = state
        self.requests = requests
        self.closed = False

    def open(self, request: httpx.Request, raw: bytes) -> tuple[Reply, RecordedRequest]:
        """Record `request` and run it through the protocol up to its reply."""
        if self.closed:
            raise httpx.ConnectError("the fake Oxen is closed", request=request)
        headers: dict[str, str] = {}
        for name, value in request.headers.multi_items():
            headers.setdefault(name.lower(), value)
        query = dict(request.url.params.multi_items())
        path = request.url.path
        shown = path[len(API_PATH) :] if path.startswith(API_PATH + "/") else path
        record = RecordedRequest(request.method, shown, _parsed(raw, headers), query, headers, raw)
        self.requests.append(record)
        base = f"{request.url.scheme}://{request.url.netloc.decode('ascii')}"
        exchange = Exchange(self.state, ROUTER, request.method, path, query, headers, base)
        if exchange.wants_body:
            exchange.feed(raw)
        return exchange.finish(), record

    def response(
        self, request: httpx.Request, reply: Answer, record: RecordedRequest
    ) -> httpx.Response:
        record.status = reply.status
        body = reply.read()
        headers = dict(reply.headers)
        if request.method == "HEAD":
            headers["Content-Length"] = str(len(body))
            return httpx.Response(reply.status, headers=headers, stream=httpx.ByteStream(b""))
        if reply.chunks is not None:
            return httpx.Response(reply.status, headers=headers, stream=_Chunks(reply.chunks))
        return httpx.Response(reply.status, headers=headers, content=body)


class _Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body sent in pieces (a streamed chat answer)."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


def _limit(
    wait: float | None, last: float, timeout: float | None, request: httpx.Request
) -> float | None:
    """How long a stream may wait now: `wait`, cut to what is left of the read timeout since the
    last bytes were sent (ReadTimeout when nothing is left)."""
    if timeout is None:
        return wait
    left = last + timeout - time.monotonic()
    if left <= 0:
        raise _timed_out(request, "event stream")
    return left if wait is None else min(wait, left)


class _SyncEvents(httpx.SyncByteStream):
    """An ``/events`` body for a thread: each step's texts, then a wait until woken."""

    def __init__(self, state: State, sub: Subscriber, request: httpx.Request) -> None:
        self.state, self.sub, self.request = state, sub, request
        self.timeout = read_timeout(request)
        self.woken = threading.Event()
        self.closed = False
        sub.wake = self.woken.set

    def __iter__(self) -> Iterator[bytes]:
        last = time.monotonic()
        try:
            while not self.closed:
                self.woken.clear()
                texts, ended, wait = self.state.step(self.sub)
                if texts:
                    last = time.monotonic()
                    yield "".join(texts).encode()
                if ended:
                    return
                self.woken.wait(_limit(wait, last, self.timeout, self.request))
        finally:
            self.state.unsubscribe(self.sub)

    def close(self) -> None:
        self.closed = True
        self.woken.set()
        self.state.unsubscribe(self.sub)


class _AsyncEvents(httpx.AsyncByteStream):
    """An ``/events`` body for an event loop; it may be woken from any thread."""

    def __init__(self, state: State, sub: Subscriber, request: httpx.Request) -> None:
        self.state, self.sub, self.request = state, sub, request
        self.timeout = read_timeout(request)
        self.loop = asyncio.get_running_loop()
        self.thread = threading.get_ident()
        self.woken = asyncio.Event()
        self.closed = False
        sub.wake = self._wake

    def _wake(self) -> None:
        if threading.get_ident() == self.thread:
            self.woken.set()
        else:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting
                self.loop.call_soon_threadsafe(self.woken.set)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        last = time.monotonic()
        try:
            while not self.closed:
                self.woken.clear()
                texts, ended, wait = self.state.step(self.sub)
                if texts:
                    last = time.monotonic()
                    yield "".join(texts).encode()
                if ended:
                    return
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(_limit(wait, last, self.timeout, self.request)):
                        await self.woken.wait()
        finally:
            self.state.unsubscribe(self.sub)

    async def aclose(self) -> None:
        self.closed = True
        self.woken.set()
        self.state.unsubscribe(self.sub)


class FakeTransport(httpx.BaseTransport):
    """The fake Oxen for an ``httpx.Client``."""

    def __init__(self, server: Server) -> None:
        self.server = server

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        reply, record = self.server.open(request, request.read())
        if isinstance(reply, Delayed):
            timeout = read_timeout(request)
            if timeout is not None and reply.seconds > timeout:
                time.sleep(timeout)
                raise _timed_out(request, "a generation's latency")
            time.sleep(reply.seconds)
            reply = reply.then()
        if isinstance(reply, EventStream):
            record.status = reply.status
            stream = _SyncEvents(self.server.state, reply.subscriber, request)
            return httpx.Response(reply.status, headers=reply.headers, stream=stream)
        return self.server.response(request, reply, record)


class AsyncFakeTransport(httpx.AsyncBaseTransport):
    """The fake Oxen for an ``httpx.AsyncClient`` (asyncio)."""

    def __init__(self, server: Server) -> None:
        self.server = server

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        reply, record = self.server.open(request, await request.aread())
        if isinstance(reply, Delayed):
            timeout = read_timeout(request)
            if timeout is not None and reply.seconds > timeout:
                await asyncio.sleep(timeout)
                raise _timed_out(request, "a generation's latency")
            await asyncio.sleep(reply.seconds)
            reply = reply.then()
        if isinstance(reply, EventStream):
            record.status = reply.status
            stream = _AsyncEvents(self.server.state, reply.subscriber, request)
            return httpx.Response(reply.status, headers=reply.headers, stream=stream)
        return self.server.response(request, reply, record)
