"""Mock-only endpoints (not part of Oxen's API; no key needed, never faulted, counted as requests).

- ``GET /_mock/stats``: counters (requests per route, faults, jobs, streams, events) and settings.
- ``POST /_mock/reset``: forget jobs, files and counters; restore the start-up settings; reseed.
- ``POST /_mock/config``: change settings, e.g. ``{"fault_rate": 0.2, "latency": 0.1}``.
- ``POST /_mock/events/drop``: drop every open event stream now (to test reconnects).
- ``POST /_mock/events/stall``: make every open event stream go silent (to test idle timeouts).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import cast

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .protocol import body, errors
from .state import MockState

Endpoint = Callable[[Request], Awaitable[Response]]


def state_of(request: Request) -> MockState:
    return cast(MockState, request.app.state.mock)


def _counted(endpoint: Endpoint, method: str, path: str) -> Endpoint:
    async def run(request: Request) -> Response:
        state = state_of(request)
        with state.lock:
            state.requests[f"{method} {path}"] += 1
        try:
            return await endpoint(request)
        except errors.ApiError as exc:
            return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)

    return run


async def stats(request: Request) -> Response:
    return JSONResponse(state_of(request).stats())


async def reset(request: Request) -> Response:
    state = state_of(request)
    state.reset()
    return JSONResponse({"status": "success", "config": state.config.as_dict()})


async def configure(request: Request) -> Response:
    state = state_of(request)
    reader = body.JsonBody(
        {k.lower(): v for k, v in request.headers.items()}, state.config.max_body_bytes
    )
    async for chunk in request.stream():
        reader.feed(chunk)
    try:
        state.configure(reader.parse())
    except ValueError as exc:
        raise errors.invalid(str(exc), "Invalid settings") from None
    return JSONResponse({"status": "success", "config": state.config.as_dict()})


async def drop_streams(request: Request) -> Response:
    return JSONResponse({"dropped": state_of(request).drop_streams()})


async def stall_streams(request: Request) -> Response:
    return JSONResponse({"stalled": state_of(request).stall_streams()})


_ENDPOINTS: list[tuple[str, str, Endpoint]] = [
    ("GET", "/_mock/stats", stats),
    ("POST", "/_mock/reset", reset),
    ("POST", "/_mock/config", configure),
    ("POST", "/_mock/events/drop", drop_streams),
    ("POST", "/_mock/events/stall", stall_streams),
]
ROUTES = [
    Route(path, _counted(fn, method, path), methods=[method]) for method, path, fn in _ENDPOINTS
]
METHODS = {path: method for method, path, _ in _ENDPOINTS}


def wrong_method(method: str, path: str) -> Response | None:
    """The 405 for a mock-only path asked with another method (None for other paths)."""
    allowed = METHODS.get(path)
    if allowed is None:
        return None
    allow = "GET, HEAD" if allowed == "GET" else allowed
    detail = f"{method} is not allowed on {path}; use {allow}"
    return JSONResponse(
        errors.envelope_a(errors.METHOD_NOT_ALLOWED, "Method not allowed", detail),
        status_code=405,
        headers={"Allow": allow},
    )
