"""One request's trip through the protocol: counting, faults, authentication, routing, the body,
then the handler. Servers and transports drive it the same way::

    exchange = Exchange(state, ROUTER, method, path, query, headers, base_url)
    for chunk in body:              # only while exchange.wants_body
        exchange.feed(chunk)
    reply = exchange.finish()       # an Answer, a Delayed answer or an EventStream

Order matters: a faulted request is answered before anything else happens (an enqueue that gets
a 429 creates no job), and is still counted. Only ``/api/...`` is subject to faults and
authentication: result downloads (``/files/...``) need no key (a bearer key is accepted and
ignored) and never fault; files of repositories (``GET /api/repos/.../file/...``) may be read
without a key (public repositories serve anyone).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .answers import Answer, Delayed, Reply, json_answer
from .body import JsonBody
from .errors import (
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    RATE_LIMITED,
    UNAVAILABLE,
    UNKNOWN_ERROR,
    ApiError,
    envelope_a,
    error,
    unauthenticated,
)
from .faults import Fault
from .multipart import Multipart, Part
from .state import State

API = "/api"
_PARAM = re.compile(r"\{(\w+)(:path)?\}")
_FILE_READ = re.compile(r"^/api/repos/[^/]+/[^/]+/file/")


@dataclass
class Context:
    """A request as a handler sees it. `owner` is the caller's bearer key ("" when none was
    needed); `base_url` is this server's root as the client addressed it (for result URLs)."""

    state: State
    method: str
    path: str
    params: dict[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    owner: str
    base_url: str
    json: dict[str, Any] = field(default_factory=dict)
    parts: list[Part] = field(default_factory=list)


Handler = Callable[[Context], Reply]


@dataclass(frozen=True)
class Route:
    """`template` like ``/api/ai/queue/{generation_id}`` (``{name:path}`` takes slashes too).
    `body`: "json" (a JSON object, in ``ctx.json``) or "" (none read); `prepare` makes the
    parser of a multipart body (in ``ctx.parts``) after checking what can be checked first."""

    method: str
    template: str
    handler: Handler
    body: str = ""
    prepare: Callable[[Context], Multipart] | None = None

    @property
    def name(self) -> str:
        """The template as counters show it (``{path}``, not ``{path:path}``)."""
        return _PARAM.sub(r"{\1}", self.template)

    def pattern(self) -> re.Pattern[str]:
        parts, last = [], 0
        for match in _PARAM.finditer(self.template):
            parts.append(re.escape(self.template[last : match.start()]))
            parts.append(f"(?P<{match[1]}>{'.+' if match[2] else '[^/]+'})")
            last = match.end()
        parts.append(re.escape(self.template[last:]))
        return re.compile("".join(parts))


class Router:
    """Routes by path, then method; HEAD is served wherever GET is."""

    def __init__(self, routes: list[Route]) -> None:
        self.routes = [(route, route.pattern()) for route in routes]

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], list[str], str]:
        """(route, path parameters, every method of the path, the counter's key)."""
        found: Route | None = None
        params: dict[str, str] = {}
        allowed: set[str] = set()
        first: Route | None = None
        wanted = "GET" if method == "HEAD" else method
        for route, pattern in self.routes:
            hit = pattern.fullmatch(path)
            if hit is None:
                continue
            first = first or route
            allowed.update(("GET", "HEAD") if route.method == "GET" else (route.method,))
            if found is None and route.method == wanted:
                found, params = route, hit.groupdict()
        shown = found or first
        key = f"{method} {shown.name if shown else '(no route)'}"
        return found, params, sorted(allowed), key


def bearer(headers: Mapping[str, str]) -> str | None:
    """The key of ``Authorization: Bearer <key>``, or None when absent or malformed."""
    value = headers.get("authorization")
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and token and " " not in token:
        return token
    return None


def fault_answer(fault: Fault) -> Answer:
    if fault.status == 429:
        body = envelope_a(
            RATE_LIMITED,
            "Too many requests",
            "rate limit exceeded (mock fault injection); retry later",
        )
        return json_answer(body, 429, {"Retry-After": str(fault.retry_after or 0)})
    headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
    if fault.status == 503:
        detail = "the service is temporarily unavailable (mock fault injection)"
        return json_answer(envelope_a(UNAVAILABLE, "Service unavailable", detail), 503, headers)
    detail = f"injected fault: HTTP {fault.status}"
    kind = UNKNOWN_ERROR if fault.status >= 500 else "injected_fault"
    return json_answer(envelope_a(kind, "Injected fault", detail), fault.status, headers)


def _unrouted(method: str, path: str, allowed: list[str]) -> ApiError:
    if not allowed:
        return error(404, NOT_FOUND, "Not found", f"no route {method} {path} on this server")
    detail = f"{method} is not allowed on {path}; use {', '.join(allowed)}"
    return ApiError(
        405,
        envelope_a(METHOD_NOT_ALLOWED, "Method not allowed", detail),
        {"Allow": ", ".join(allowed)},
    )


class Exchange:
    """One request. `reply` is set as soon as the answer is known (a fault, 401, 404, a body
    refused while arriving); until then, feed the body while `wants_body`, then `finish()`."""

    def __init__(
        self,
        state: State,
        router: Router,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        base_url: str,
    ) -> None:
        self.state = state
        self.method, self.path, self.query, self.headers = method, path, query, headers
        self.base_url = base_url
        self.reply: Reply | None = None
        self.sink: JsonBody | Multipart | None = None
        self.route: Route | None = None
        self.context: Context | None = None
        try:
            self._open(router)
        except ApiError as exc:
            self.reply = exc.answer()

    def _open(self, router: Router) -> None:
        state, method, path = self.state, self.method, self.path
        query, headers, base_url = self.query, self.headers, self.base_url
        route, params, allowed, key = router.match(method, path)
        owner = ""
        with state.lock:
            state.requests[key] += 1
            guarded = path == API or path.startswith(API + "/")
            fault = state.faults.request_fault(method, path) if guarded else None
            if fault is not None:
                state.fault_counts[str(fault.status)] += 1
                self.reply = fault_answer(fault)
                return
        if guarded:
            token = bearer(headers)
            public = method in ("GET", "HEAD") and _FILE_READ.match(path) is not None
            if token is None and not public:
                raise unauthenticated(
                    "send `Authorization: Bearer <your API key>` (any non-empty key works on the mock)"
                )
            owner = token or ""
        if route is None:
            raise _unrouted(method, path, allowed)
        self.route = route
        self.context = Context(state, method, path, params, query, headers, owner, base_url)
        if route.body == "json":
            self.sink = JsonBody(headers, state.config.max_body_bytes)
        elif route.prepare is not None:
            with state.lock:
                self.sink = route.prepare(self.context)

    @property
    def wants_body(self) -> bool:
        return self.reply is None and self.sink is not None

    def feed(self, chunk: bytes) -> None:
        if self.reply is not None or self.sink is None:
            return
        try:
            self.sink.feed(chunk)
        except ApiError as exc:
            self.abort(exc)

    def abort(self, exc: ApiError) -> None:
        """Answer `exc` (e.g. the client went away mid-body); spooled parts are removed."""
        if isinstance(self.sink, Multipart):
            self.sink.discard()
        if self.reply is None:
            self.reply = exc.answer()

    def finish(self) -> Reply:
        """The reply, once the whole body has been fed."""
        if self.reply is not None:
            return self.reply
        assert self.route is not None and self.context is not None
        ctx, sink, state = self.context, self.sink, self.state
        try:
            if isinstance(sink, JsonBody):
                ctx.json = sink.parse()
            elif isinstance(sink, Multipart):
                ctx.parts = sink.finish()
            with state.lock:
                state.jobs.advance(state.clock())
                reply = self.route.handler(ctx)
        except ApiError as exc:
            reply = exc.answer()
        finally:
            if isinstance(sink, Multipart):
                sink.discard()
        if isinstance(reply, Delayed):
            reply = Delayed(reply.seconds, _locked(state, reply.then))
        self.reply = reply
        return reply


def _locked(state: State, then: Callable[[], Answer]) -> Callable[[], Answer]:
    def run() -> Answer:
        try:
            with state.lock:
                return then()
        except ApiError as exc:
            return exc.answer()

    return run
