"""The request loop: send with retries, within the call's deadline and the concurrency limit,
reading each answer under its cap (``_bodies``).

Every decision that needs no I/O is ``BaseClient``'s (``_base_client``); what differs between
threads and an event loop (the limiter, deadlines, sleeping) is ``_synchronization``'s, and who a
connection pool belongs to is ``_pools``'s. After ``close()`` every call raises
ClientClosedError.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .._answers import answer, connection_error, read_json
from .._base_client import BASE_HEADERS, BaseClient
from .._bodies import MAX_ERROR_BODY_BYTES
from .._exceptions import OxenError, status_error
from .._limits import default_timeout, pool_limits
from .._pools import LOOP_CHANGED, async_close_with_loop, async_pool_owner
from .._response import record
from .._synchronization import NO_SLOT, AsyncClosing, AsyncDeadline, AsyncSlots, async_sleep
from .._types import OMIT, Omit, Timeout
from .bodies import read_capped, read_upto

if TYPE_CHECKING:  # httpx is imported by the first request, not by making a client
    import httpx

__all__ = ["AsyncAPIClient"]

_T = TypeVar("_T")


class AsyncAPIClient(BaseClient, AsyncClosing):
    """The request loop, over an ``httpx.AsyncClient``."""

    def __init__(self, *, http_client: httpx.AsyncClient | None, **config: Any) -> None:
        super().__init__(**config)
        self._owns_http = http_client is None
        self.__http = http_client
        self.__owner: object = None  # the event loop the pool belongs to (see pool_owner)
        self.__closing: object = None  # the pool whose closing is arranged (close_with_loop)
        self.__closer: object = None
        self._slots = AsyncSlots(self.max_concurrency)

    @property
    def _http(self) -> httpx.AsyncClient:
        """The connection pool, made on first use (so creating a client costs nothing), and
        made anew for another event loop."""
        http = self.__http
        owner = async_pool_owner()
        if http is None or owner is not self.__owner:
            http = self._new_pool(http, owner)
        return http

    async def _connections(self) -> httpx.AsyncClient:
        """The pool for the next attempt (see ``_http``), with its closing arranged when the client
        made it (see ``_pools``)."""
        http = self.__http
        if http is not None and http is self.__closing and async_pool_owner() is self.__owner:
            return http  # every attempt passes here: one call, three comparisons
        http = self._http
        self.__closing = http
        if self._owns_http:
            self.__closer = await async_close_with_loop(http)
        return http

    def _new_pool(self, old: httpx.AsyncClient | None, owner: object) -> httpx.AsyncClient:
        if old is not None and self.__owner is not None and not self._owns_http:
            raise OxenError(LOOP_CHANGED)
        self.__owner = owner
        if old is not None and not self._owns_http:
            return old
        import httpx

        from .._deadline import async_transport

        self.__http = httpx.AsyncClient(
            headers=BASE_HEADERS,
            timeout=default_timeout(),
            transport=async_transport(pool_limits(self.max_concurrency)),
        )
        return self.__http

    def _after_fork(self) -> None:
        """In a forked child: drop what the parent's threads may hold (never closing it: that
        would touch the parent's connections); all of it is made anew on first use."""
        super()._after_fork()
        if self._owns_http:
            self.__http = None
        self.__owner = None
        self._slots = AsyncSlots(self.max_concurrency)

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        unsafe: bool = False,
        deadline: float | None = None,
        stream: bool = False,
        retry: bool = True,
        follow_redirects: bool = False,
        limited: bool = True,
        content: Callable[[], Any] | None = None,
        max_retries: int | None = None,
        extra_query: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        """Send with retries; returns a 2xx response (unread when `stream`), raises otherwise.

        `timeout` (or `deadline`, a monotonic instant) bounds the whole call; with `stream`, only
        each read of the body. `limited=False` skips the concurrency limit (the event stream).
        `content` makes each attempt's body (an upload's stream). Bodies are capped (2xx:
        ``max_response_bytes``, errors: ``MAX_ERROR_BODY_BYTES``). `max_retries`: None, the
        client's; `retry=False`: none. `extra_query` goes over `params`. Closed: an error."""
        import httpx  # the first request pays for importing httpx

        root = self._root  # a with_options copy uses its original's connections, slots, state
        if root._closed:
            root._check_open()
        if isinstance(timeout, Omit):  # the client's timeout, when set, is the call's
            timeout = self.timeout
        retries = self._retries(max_retries, retry)
        params = self._query(params, extra_query)
        call_deadline = self._call_deadline(timeout, deadline)
        given = not isinstance(timeout, Omit)
        attempt = hops = 0
        while True:
            http = await root._connections()
            request, limit = self._build(
                http, method, path, json, params, timeout, extra_headers, call_deadline, content
            )
            self._log_request(request, attempt)
            slot = await root._slots.acquire(call_deadline, request) if limited else NO_SLOT
            try:
                started = time.monotonic()
                at = self._attempt_deadline(path, limit, call_deadline, given)
                async with AsyncDeadline(at, request):
                    try:
                        response = await http.send(request, stream=True)
                        ok = response.is_success
                        if ok and not stream:
                            await read_capped(
                                response, self.max_response_bytes, "max_response_bytes"
                            )
                    except httpx.TransportError as exc:
                        delay = self._next_delay(
                            attempt, unsafe, call_deadline, exc=exc, retries=retries
                        )
                        if delay is None:
                            raise connection_error(exc, request, attempt + 1) from exc
                    else:
                        self._log_response(response, started)
                        if ok:
                            record(response)  # for client.with_raw_response
                            return response
                        if follow_redirects and response.is_redirect:
                            path = self._redirect(response, hops)
                            hops += 1
                            await response.aclose()
                            continue
                        delay = self._next_delay(
                            attempt,
                            unsafe,
                            call_deadline,
                            status=response.status_code,
                            headers=response.headers,
                            retries=retries,
                        )
                        try:
                            whole = await read_upto(response, MAX_ERROR_BODY_BYTES)
                        except httpx.TransportError as exc:
                            raise connection_error(exc, request, attempt + 1) from exc
                        if delay is None:
                            raise status_error(response, None if whole else MAX_ERROR_BODY_BYTES)
            finally:
                slot.release()
            await async_sleep(delay)
            attempt += 1

    async def get_json(self, path: str, **kwargs: Any) -> Any:
        return read_json(await self.request("GET", path, **kwargs))

    async def get_parsed(self, path: str, parse: Callable[[Any], _T], **kwargs: Any) -> _T:
        """``GET path`` and `parse` its answer (see ``_answers.answer``)."""
        return answer(await self.request("GET", path, **kwargs), parse)

    async def close(self) -> None:
        """Close the connections (only those of an ``httpx.AsyncClient`` the client made itself,
        and only in the event loop they belong to); every later call raises ClientClosedError.
        On a ``with_options`` copy: its original's (they are the same)."""
        if self._root is not self:
            await self._root.close()
            return
        self._closed = True
        http, self.__http = self.__http, None
        if self._owns_http and http is not None and self.__owner is async_pool_owner():
            await http.aclose()
