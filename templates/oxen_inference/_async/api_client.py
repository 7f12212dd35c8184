"""The request loop: send with retries, within the call's deadline and the concurrency limit.

Every decision that needs no I/O is ``BaseClient``'s (``_base_client``); what differs between
threads and an event loop (the limiter, deadlines, sleeping) is ``_synchronization``'s.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .._answers import answer, connection_error, read_json
from .._base_client import BASE_HEADERS, BaseClient
from .._exceptions import status_error
from .._limits import default_timeout, pool_limits
from .._synchronization import NO_SLOT, AsyncClosing, AsyncDeadline, AsyncSlots, async_sleep
from .._types import OMIT, Omit, Timeout

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
        self._slots = AsyncSlots(self.max_concurrency)

    @property
    def _http(self) -> httpx.AsyncClient:
        """The connection pool, made on first use (so creating a client costs nothing)."""
        if self.__http is None:
            import httpx

            from .._deadline import async_transport

            self.__http = httpx.AsyncClient(
                headers=BASE_HEADERS,
                timeout=default_timeout(),
                transport=async_transport(pool_limits(self.max_concurrency)),
            )
        return self.__http

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
    ) -> httpx.Response:
        """Send with retries; returns a 2xx response (unread when `stream`), raises otherwise.

        `timeout` (or `deadline`, a ``time.monotonic()`` instant) bounds the whole call; with
        `stream`, the body is read afterwards and only each read is bounded by the read timeout.
        `limited=False` skips the concurrency limit (the event stream: one long-lived request
        that must not queue behind a burst of submits).
        """
        import httpx  # the first request pays for importing httpx

        call_deadline = self._call_deadline(timeout, deadline)
        given = not isinstance(timeout, Omit)
        attempt = hops = 0
        while True:
            request, limit = self._build(
                self._http, method, path, json, params, timeout, extra_headers, call_deadline
            )
            self._log_request(request, attempt)
            slot = await self._slots.acquire(call_deadline, request) if limited else NO_SLOT
            try:
                started = time.monotonic()
                at = self._attempt_deadline(path, limit, call_deadline, given)
                async with AsyncDeadline(at, request):
                    try:
                        response = await self._http.send(request, stream=stream)
                    except httpx.TransportError as exc:
                        delay = self._next_delay(
                            attempt, unsafe, call_deadline, exc=exc, retry=retry
                        )
                        if delay is None:
                            raise connection_error(exc, request, attempt + 1) from exc
                    else:
                        self._log_response(response, started)
                        if response.is_success:
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
                            retry=retry,
                        )
                        try:
                            await response.aread()
                        except httpx.TransportError as exc:
                            raise connection_error(exc, request, attempt + 1) from exc
                        finally:
                            await response.aclose()
                        if delay is None:
                            raise status_error(response)
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
        """Close the connections (only those of an ``httpx.AsyncClient`` the client made itself)."""
        if self._owns_http and self.__http is not None:
            await self.__http.aclose()
