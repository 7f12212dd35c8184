"""The ASGI application: the mock-only routes, and every other request handed to the protocol
core (an :class:`~oxen_inference.testing._protocol.router.Exchange`), whose replies it sends:
answers after their latency (``asyncio.sleep``), files, streamed chunks and event streams."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount
from starlette.types import Receive, Scope, Send

from . import routes_mock
from .protocol import answers, body, core, errors, events, router
from .state import MockState

log = logging.getLogger("oxgen.mock")


def _headers(scope: Scope) -> dict[str, str]:
    """Request headers by lower-case name (the first of repeated ones)."""
    out: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        out.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    return out


async def _sse(state: MockState, sub: events.Subscriber) -> AsyncIterator[str]:
    """The body of one ``/events`` answer: what each step of the stream gives, waiting between
    steps until the stream is woken or the step's wait is over."""
    wake = asyncio.Event()
    sub.wake = wake.set
    try:
        while True:
            wake.clear()
            texts, ended, wait = state.step(sub)
            for text in texts:
                yield text
            if ended:
                return
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await wake.wait()
    finally:
        state.unsubscribe(sub)


class _EventStream(StreamingResponse):
    """An SSE answer that unsubscribes even when the client leaves before the body starts."""

    def __init__(self, state: MockState, reply: answers.EventStream) -> None:
        self.mock_state = state
        self.sub = reply.subscriber
        super().__init__(_sse(state, reply.subscriber), reply.status, reply.headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.mock_state.unsubscribe(self.sub)


async def _response(state: MockState, reply: answers.Reply) -> Response:
    if isinstance(reply, answers.Delayed):
        await asyncio.sleep(reply.seconds)
        reply = reply.then()
    if isinstance(reply, answers.EventStream):
        return _EventStream(state, reply)
    if reply.file is not None:
        return FileResponse(reply.file, reply.status, reply.headers)
    if reply.chunks is not None:
        return StreamingResponse(iter(reply.chunks), reply.status, reply.headers)
    return Response(reply.body, reply.status, reply.headers)


class Protocol:
    """Every request that is not a mock-only route, through the protocol core."""

    def __init__(self, state: MockState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await self._answer(request)
        except Exception:
            log.exception("mock server bug on %s %s", request.method, request.url.path)
            body_ = errors.envelope_a(
                errors.UNKNOWN_ERROR, "Internal error", "the mock server failed"
            )
            response = JSONResponse(body_, status_code=500)
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Response:
        refused = routes_mock.wrong_method(request.method, request.scope["path"])
        if refused is not None:
            return refused
        exchange = router.Exchange(
            self.state,
            core.ROUTER,
            request.method,
            request.scope["path"],
            request.query_params,
            _headers(request.scope),
            str(request.base_url).rstrip("/"),
        )
        if exchange.wants_body:
            try:
                async for chunk in request.stream():
                    exchange.feed(chunk)
                    if not exchange.wants_body:
                        break
            except ClientDisconnect:
                exchange.abort(body.incomplete())
        return await _response(self.state, exchange.finish())


def create_app(state: MockState) -> Starlette:
    """An ASGI app serving `state`; run it with any ASGI server (the CLI uses uvicorn)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        state.close()

    app = Starlette(
        routes=[*routes_mock.ROUTES, Mount("/", app=Protocol(state))],
        lifespan=lifespan,
    )
    app.state.mock = state
    return app
