"""A forwarding proxy for tests that holds back the answers of enqueues.

Every request is passed to the upstream server as it is (streamed both ways, event streams
included). The answer of ``POST /api/ai/queue`` is read from upstream (the jobs exist from then
on) and then kept for `hold` seconds before it is sent: a client killed meanwhile never learns
the ids of jobs it has paid for. With `lose` > 0, that fraction of enqueue answers (seeded) is
replaced by a 502 after the jobs were created: the client sees an error for an enqueue that
worked. `held` counts answers being kept right now, `enqueues` every enqueue the upstream
answered, `lost` the answers replaced.

    with running_hold_proxy(mock.root_url, hold=2.0) as proxy:
        client = Oxen(base_url=proxy.base_url, ...)
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from oxgen.mock.server import bind

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class HoldProxy:
    def __init__(self, upstream: str, hold: float, lose: float = 0.0, seed: int = 0) -> None:
        self.upstream = upstream
        self.hold = hold
        self.lose = lose
        self.random = random.Random(seed)
        self.held = 0
        self.enqueues = 0
        self.lost = 0
        self.base_url = ""
        self._client: httpx.AsyncClient | None = None

    def _headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {k: v for k, v in headers.items() if k.lower() not in HOP_HEADERS}

    async def forward(self, request: Request) -> Response:
        if self._client is None:
            self._client = httpx.AsyncClient(base_url=self.upstream, timeout=None)
        body = await request.body()
        upstream = self._client.build_request(
            request.method,
            request.url.path,
            params=request.url.query,
            headers=self._headers(request.headers),
            content=body,
        )
        response = await self._client.send(upstream, stream=True)
        if request.method == "POST" and request.url.path == "/api/ai/queue":
            content = await response.aread()
            await response.aclose()
            self.enqueues += 1
            self.held += 1
            try:
                await asyncio.sleep(self.hold)
            finally:
                self.held -= 1
            if response.status_code == 200 and self.random.random() < self.lose:
                self.lost += 1
                return Response(b"bad gateway", 502)
            return Response(content, response.status_code, self._headers(response.headers))

        async def body_of() -> AsyncIterator[bytes]:
            try:
                async for chunk in response.aiter_raw():
                    yield chunk
            finally:
                await response.aclose()

        return StreamingResponse(body_of(), response.status_code, self._headers(response.headers))


@contextmanager
def running_hold_proxy(
    upstream: str, *, hold: float = 2.0, lose: float = 0.0, seed: int = 0
) -> Iterator[HoldProxy]:
    proxy = HoldProxy(upstream, hold, lose, seed)
    methods = ["GET", "POST", "DELETE", "PUT", "HEAD"]
    app = Starlette(routes=[Route("/{path:path}", proxy.forward, methods=methods)])
    sock = bind("127.0.0.1", 0)
    config = uvicorn.Config(
        app, log_level="critical", access_log=False, lifespan="off", timeout_keep_alive=30
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the hold proxy did not start")
        time.sleep(0.005)
    proxy.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}/api"
    try:
        yield proxy
    finally:
        server.should_exit = True
        server.force_exit = True
        thread.join(timeout=10)
        sock.close()
