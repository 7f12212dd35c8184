"""The ASGI middleware in front of every route: counting, fault injection, then authentication.

Order matters: a faulted request is answered before anything else happens (an enqueue that gets
a 429 creates no job), and is still counted in the request counters. Only ``/api/...`` is
subject to faults and authentication: result downloads (``/files/...``) need no key (a bearer
key is accepted and ignored) and never fault; files of repositories (``GET /api/repos/.../file/...``)
may be read without a key (public repositories serve anyone), and the mock-only ``/_mock/...`` endpoints are
always available, so tests can observe a server that is busy failing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from . import errors
from .state import MockState


class Gate:
    """Counts each request by route template, injects faults, checks the bearer token."""

    def __init__(self, app: ASGIApp, state: MockState, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.state = state
        self.routes = routes

    def _route_key(self, scope: Scope) -> str:
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is not Match.NONE:
                path = getattr(route, "path_format", getattr(route, "path", "?"))
                return f"{scope['method']} {path}"
        return f"{scope['method']} (no route)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        self.state.requests[self._route_key(scope)] += 1
        if not path.startswith("/api/") and path != "/api":
            await self.app(scope, receive, send)
            return
        fault = self.state.faults.request_fault()
        if fault is not None:
            self.state.fault_counts[str(fault.status)] += 1
            if fault.status == 429:
                body = errors.envelope_a(
                    errors.RATE_LIMITED,
                    "Too many requests",
                    "rate limit exceeded (mock fault injection); retry later",
                )
                headers = {"Retry-After": str(fault.retry_after or 0)}
            else:
                body = errors.envelope_a(
                    errors.UNAVAILABLE,
                    "Service unavailable",
                    "the service is temporarily unavailable (mock fault injection)",
                )
                headers = {}
            await _send_json(send, fault.status, body, headers)
            return
        token = _bearer(scope)
        if token is None and _public_read(scope):
            scope["oxen.owner"] = ""  # files of public repositories: anyone may download them
            await self.app(scope, receive, send)
            return
        if token is None:
            err = errors.unauthenticated(
                "send `Authorization: Bearer <your API key>` (any non-empty key works on the mock)"
            )
            await _send_json(send, err.status, err.body, err.headers)
            return
        scope["oxen.owner"] = token
        await self.app(scope, receive, send)


_FILE_READ = re.compile(r"^/api/repos/[^/]+/[^/]+/file/")


def _public_read(scope: Scope) -> bool:
    return scope["method"] in ("GET", "HEAD") and bool(_FILE_READ.match(scope["path"]))


def _bearer(scope: Scope) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").strip().partition(" ")
            token = token.strip()
            if scheme.lower() == "bearer" and token and " " not in token:
                return token
            return None
    return None


async def _send_json(send: Send, status: int, body: object, headers: dict[str, str]) -> None:
    payload = json.dumps(body).encode()
    raw_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})
