"""The fake Oxen as an httpx transport: written once in ``testing/_async/transport.py`` for an
event loop, and made into its blocking twin, ``testing/_sync/transport.py``, by ``oxgen generate``.
What both share (the protocol state, the record of requests, the answers) is in
``testing/_transport``."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx

from ..._synchronization import async_sleep
from .._protocol import Delayed, EventStream, State, Subscriber
from .._transport import Server, limit, read_timeout, timed_out
from .._wake import AsyncWake

__all__ = ["AsyncFakeTransport"]


class AsyncEventBody(httpx.AsyncByteStream):
    """An ``/events`` body: each step's texts, then a wait until woken (from any thread)."""

    def __init__(self, state: State, sub: Subscriber, request: httpx.Request) -> None:
        self.state, self.sub, self.request = state, sub, request
        self.timeout = read_timeout(request)
        self.woken = AsyncWake()
        self.closed = False
        sub.wake = self.woken.set

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
                await self.woken.wait(limit(wait, last, self.timeout, self.request))
        finally:
            self.state.unsubscribe(self.sub)

    async def aclose(self) -> None:
        self.closed = True
        self.woken.set()
        self.state.unsubscribe(self.sub)


class AsyncFakeTransport(httpx.AsyncBaseTransport):
    """The fake Oxen for an ``httpx.AsyncClient``."""

    def __init__(self, server: Server) -> None:
        self.server = server

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        reply, record = self.server.open(request, await request.aread())
        if isinstance(reply, Delayed):
            timeout = read_timeout(request)
            if timeout is not None and reply.seconds > timeout:
                await async_sleep(timeout)
                raise timed_out(request, "a generation's latency")
            await async_sleep(reply.seconds)
            reply = reply.then()
        if isinstance(reply, EventStream):
            record.status = reply.status
            stream = AsyncEventBody(self.server.state, reply.subscriber, request)
            return httpx.Response(reply.status, headers=reply.headers, stream=stream)
        return self.server.response(request, reply, record)
