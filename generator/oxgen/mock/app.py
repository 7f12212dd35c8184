"""The Starlette application: routes, error envelopes, the gate, and the lifespan."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match

from . import errors, routes_generate, routes_mock, routes_models, routes_queue, routes_repos
from .gate import Gate
from .state import MockState

log = logging.getLogger("oxgen.mock")


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.ApiError)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        body = errors.envelope_a(
            errors.NOT_FOUND,
            "Not found",
            f"no route {request.method} {request.url.path} on this server",
        )
    elif exc.status_code == 405:
        allowed = _allowed_methods(request)
        body = errors.envelope_a(
            errors.METHOD_NOT_ALLOWED,
            "Method not allowed",
            f"{request.method} is not allowed on {request.url.path}; use {', '.join(allowed)}",
        )
        # Starlette's Allow names only the first route that matched the path; each method of a
        # path is its own route here, so list them all.
        return JSONResponse(body, status_code=405, headers={"Allow": ", ".join(allowed)})
    else:
        body = errors.envelope_a(errors.INVALID_PARAMS, "Bad request", str(exc.detail))
    return JSONResponse(body, status_code=exc.status_code, headers=dict(exc.headers or {}))


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at the request's path (HEAD wherever GET is)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        route_methods = getattr(route, "methods", None)
        # PARTIAL: the path matches, the method does not; FULL cannot happen for a 405.
        if route_methods and route.matches(request.scope)[0] is not Match.NONE:
            methods.update(route_methods)
    return sorted(methods)


async def _crash(request: Request, exc: Exception) -> Response:
    log.exception("mock server bug on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(
        errors.envelope_a(errors.UNKNOWN_ERROR, "Internal error", "the mock server failed"),
        status_code=500,
    )


def create_app(state: MockState) -> Starlette:
    """An ASGI app serving `state`; run it with any ASGI server (the CLI uses uvicorn)."""
    routes = [
        *routes_models.ROUTES,
        *routes_generate.ROUTES,
        *routes_queue.ROUTES,
        *routes_mock.ROUTES,
        *routes_repos.ROUTES,
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        state.events.close_all()
        state.jobs.clear()

    app = Starlette(
        routes=routes,
        middleware=[Middleware(Gate, state=state, routes=routes)],
        exception_handlers={
            errors.ApiError: _api_error,
            HTTPException: _http_error,
            Exception: _crash,
        },
        lifespan=lifespan,
    )
    app.state.mock = state
    return app
