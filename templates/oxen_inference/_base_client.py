"""What both clients share: configuration, the API key, headers, logging, and every decision of
the request loop that needs no I/O (URLs, each attempt's request and limits, whether and when to
retry, redirects). The loops themselves are ``_async/api_client.py`` and its blocking twin.

Retries: see ``_retries``. Deadlines and the concurrency limit: see ``_limits``. The blocking
client enforces deadlines with a network backend whose every socket read and write is clipped to
the deadline of the call running on that thread (``_deadline``; for an ``http_client`` of your
own, only each phase is clipped); the async client with ``asyncio.timeout``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, Self, cast

from ._bodies import DEFAULT_MAX_RESPONSE_BYTES, check_cap
from ._checks import (
    APIKey,
    check_api_key,
    check_headers,
    check_max_concurrency,
    check_max_retries,
    check_query,
    check_timeout,
    check_url,
    not_json,
)
from ._exceptions import APIConnectionError, ClientClosedError, MissingAPIKeyError
from ._fork import track
from ._limits import (
    DEFAULT_MAX_CONCURRENCY,
    as_timeout,
    clip,
    default_timeout,
    overall_limit,
    route_timeouts,
)
from ._retries import retry_delay, retryable_exception, retryable_status
from ._types import Omit, Timeout
from ._version import USER_AGENT

# logging and httpx are imported by the first log line and the first request, so that importing
# the package and creating a client stay cheap.
if TYPE_CHECKING:
    import logging

    import httpx

__all__ = ["BASE_HEADERS", "DEFAULT_BASE_URL", "BaseClient", "redact_headers", "setup_logging"]

DEFAULT_BASE_URL = "https://hub.oxen.ai/api"
REDACTED = "<redacted>"
MAX_REDIRECTS = 10

_DEBUG = 10  # logging.DEBUG


@cache
def _logger() -> logging.Logger:
    """This package's logger (``logging`` too is imported on first use)."""
    import logging

    return logging.getLogger(__package__)


def setup_logging() -> None:
    """``OXEN_LOG=debug`` (or ``info``) sends this package's log to stderr, once per process."""
    level = os.environ.get("OXEN_LOG", "").strip().upper()
    if level not in ("DEBUG", "INFO"):
        return
    import logging

    logger = logging.getLogger(__package__)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(level)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers fit for a log line: credentials replaced."""
    secret = ("authorization", "proxy-authorization", "cookie", "x-api-key")
    return {k: (REDACTED if k.lower() in secret else v) for k, v in headers.items()}


BASE_HEADERS: Mapping[str, str] = {"Accept": "application/json", "User-Agent": USER_AGENT}
"""Sent with every request, to any origin (the key is not: see ``BaseClient._headers``)."""


class BaseClient:
    """Configuration and the pure parts of sending a request (no I/O)."""

    timeout: Timeout | Omit
    max_retries: int
    max_concurrency: int
    # Headers sent with every request to the API's own origin (``with_options(default_headers=)``)
    _default_headers: Mapping[str, str] | None = None
    # The client whose connections, limiter, event hub and uploads this one uses: itself, or
    # for a copy made by ``with_options``, the client it was made from.
    _root: Self
    _owns_http = False  # whether the connection pool is the client's own (made with BASE_HEADERS)

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | httpx.URL | None,
        timeout: Timeout | Omit,
        max_retries: int,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        setup_logging()
        if api_key is not None:
            key: APIKey | None = APIKey(check_api_key(api_key, "api_key"))
        else:
            env = os.environ.get("OXEN_API_KEY")
            key = APIKey(check_api_key(env, "OXEN_API_KEY")) if env else None
        self.__api_key = key
        url = base_url or os.environ.get("OXEN_BASE_URL") or DEFAULT_BASE_URL  # the default is fine
        source = "base_url" if base_url else "OXEN_BASE_URL"
        self._base_url = check_url(str(url), source).rstrip("/")
        check_timeout(timeout)
        self.timeout = timeout
        self.max_retries = check_max_retries(max_retries)
        self.max_concurrency = check_max_concurrency(max_concurrency)
        self.max_response_bytes: int = check_cap("max_response_bytes", max_response_bytes)
        self._closed = False
        self._root = cast("Self", self)  # what `self` is in a subclass
        track(self)  # a forked child starts afresh (see _fork)

    def _check_open(self) -> None:
        if self._root._closed:  # a with_options copy is closed with its original
            raise ClientClosedError(
                f"this {type(self).__name__} is closed (close(), or the end of its with block): "
                "make a new client"
            )

    def _after_fork(self) -> None:
        """In a forked child (see ``_fork``): the subclasses drop what the parent may hold."""

    def __repr__(self) -> str:
        key = "set" if self.__api_key else "missing"
        return f"{type(self).__name__}(base_url={str(self.base_url)!r}, api_key=<{key}>)"

    @cached_property
    def base_url(self) -> httpx.URL:
        """The API's root, an ``httpx.URL`` (made on first use, like the connection pool)."""
        import httpx

        return httpx.URL(self._base_url)

    @property
    def has_api_key(self) -> bool:
        return self.__api_key is not None

    def _url(self, path: str) -> str | httpx.URL:
        """The URL of an API path (``/ai/queue``), parsed once per path; other URLs as given."""
        if not path.startswith("/"):
            return path
        urls: dict[str, httpx.URL] = self.__dict__.setdefault("_urls", {})
        url = urls.get(path)
        if url is None:
            import httpx

            # Bounded (per-job paths such as ``/ai/queue/<id>`` would grow it): past 64 paths,
            # a new path is parsed on each use.
            url = httpx.URL(str(self.base_url) + path)
            if len(urls) < 64:
                urls[path] = url
        return url

    def _headers(
        self, url: str | httpx.URL, extra: Mapping[str, str] | None, own: bool | None = None
    ) -> Mapping[str, str]:
        own = own if own is not None else self.same_origin(url)
        if own and self._default_headers:
            extra = {**self._default_headers, **extra} if extra else self._default_headers
        key = self.__api_key
        if own and not extra and key is not None:
            cached = key.headers
            if cached is None:  # made once: httpx copies Headers objects without re-encoding them
                cached = key.headers = self._header_dict(True, None)
            return cached
        return self._header_dict(own, extra)

    def _header_dict(self, own: bool, extra: Mapping[str, str] | None) -> httpx.Headers:
        """The headers of a request: ``httpx.Headers``, whose repr masks the key, so that no
        frame holds it in plain sight (a traceback shown with its locals: Sentry, ``pytest -l``).
        """
        import httpx

        if extra:
            check_headers(extra)  # before the key is anywhere near
        # A connection pool the client made already carries BASE_HEADERS (httpx merges them into
        # every request for less than it costs to pass them each time); another one does not.
        headers = httpx.Headers(None if self._owns_http else BASE_HEADERS)
        if own:
            if self.__api_key is None:
                raise MissingAPIKeyError(
                    "no API key: pass Oxen(api_key=...) or set the OXEN_API_KEY environment variable"
                )
            headers["Authorization"] = "Bearer " + self.__api_key.reveal()
        if extra:
            headers.update(extra)
        return headers

    def same_origin(self, url: str | httpx.URL) -> bool:
        """Whether `url` is on the API's own origin (the only place the key is ever sent)."""
        import httpx

        other = httpx.URL(str(url))
        return (other.scheme, other.host, other.port) == (
            self.base_url.scheme,
            self.base_url.host,
            self.base_url.port,
        )

    def _timeout_for(self, path: str, given: Timeout | Omit) -> httpx.Timeout:
        if not isinstance(given, Omit):
            return as_timeout(given)
        if not isinstance(self.timeout, Omit):
            return as_timeout(self.timeout)
        return route_timeouts().get(path, default_timeout())

    def _log_request(self, request: httpx.Request, attempt: int) -> None:
        logger = _logger()
        if logger.isEnabledFor(_DEBUG):
            logger.debug(
                "request %s %s attempt=%d headers=%s",
                request.method,
                request.url,
                attempt + 1,
                redact_headers(request.headers),
            )

    def _log_response(self, response: httpx.Response, started: float) -> None:
        logger = _logger()
        if logger.isEnabledFor(_DEBUG):
            logger.debug(
                "response %s %s -> %d in %.0f ms",
                response.request.method,
                response.request.url,
                response.status_code,
                (time.monotonic() - started) * 1000,
            )

    def _next_delay(
        self,
        attempt: int,
        unsafe: bool,
        deadline: float | None,
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        exc: httpx.TransportError | None = None,
        retries: int | None = None,
    ) -> float | None:
        """Seconds to wait before retrying, or None to give up: after `retries` retries (None:
        the client's ``max_retries``), for an error that is not worth one, or past `deadline`."""
        if attempt >= (self.max_retries if retries is None else retries):
            return None
        if exc is not None and not retryable_exception(exc, unsafe):
            return None
        if status is not None and not retryable_status(status, unsafe):
            return None
        delay = retry_delay(attempt, headers)
        if deadline is not None and time.monotonic() + delay >= deadline:
            return None
        _logger().info(
            "retrying in %.2fs (attempt %d, %s)", delay, attempt + 2, status or type(exc).__name__
        )
        return delay

    def deadline_of(self, timeout: Timeout | Omit) -> float | None:
        """The deadline (a ``time.monotonic()`` instant) of a call given `timeout`, or the
        client's ``timeout`` when the call gives none; None: neither bounds the whole call."""
        if isinstance(timeout, Omit):
            timeout = self.timeout
            if isinstance(timeout, Omit):  # the common case, on every call's path
                return None
        return self._call_deadline(timeout, None)

    def _call_deadline(self, timeout: Timeout | Omit, deadline: float | None) -> float | None:
        """The deadline of a whole call: the one its timeout implies (when the caller gave one)
        or `deadline` (a ``time.monotonic()`` instant), whichever comes first; None: neither."""
        own = None
        if not isinstance(timeout, Omit) and timeout is not None:
            limit = overall_limit(as_timeout(timeout))
            own = None if limit is None else time.monotonic() + limit
        if deadline is None or own is None:
            return own if deadline is None else deadline
        return min(own, deadline)

    def _attempt_deadline(
        self, path: str, limit: httpx.Timeout, call_deadline: float | None, given: bool
    ) -> float | None:
        """The deadline of one attempt: the call's, or (no timeout given) the route's default."""
        if given:
            return call_deadline
        overall = overall_limit(limit)
        if overall is None:
            return call_deadline
        own = time.monotonic() + overall
        return own if call_deadline is None else min(own, call_deadline)

    def _prepare(
        self,
        method: str,
        path: str,
        timeout: Timeout | Omit,
        extra_headers: Mapping[str, str] | None,
        deadline: float | None,
    ) -> tuple[str | httpx.URL, Mapping[str, str], httpx.Timeout]:
        """URL, headers and phase limits (clipped to `deadline`) of one attempt."""
        url = self._url(path)
        headers = self._headers(url, extra_headers, own=True if path.startswith("/") else None)
        limit = self._timeout_for(path, timeout)
        if deadline is not None:
            limit = clip(limit, deadline - time.monotonic())
        return url, headers, limit

    def _build(
        self,
        http: httpx.Client | httpx.AsyncClient,
        method: str,
        path: str,
        json: Any,
        params: Mapping[str, Any] | None,
        timeout: Timeout | Omit,
        extra_headers: Mapping[str, str] | None,
        deadline: float | None,
        content: Callable[[], Any] | None = None,
    ) -> tuple[httpx.Request, httpx.Timeout]:
        """One attempt's request (URL, headers, query `params`, JSON body or the `content` it
        makes) and its phase limits (see :meth:`_prepare`); a body JSON cannot carry is a
        ValidationError naming each place."""
        url, headers, limit = self._prepare(method, path, timeout, extra_headers, deadline)
        if content is not None:
            request = http.build_request(
                method, url, content=content(), params=params, headers=headers, timeout=limit
            )
            return request, limit
        try:
            request = http.build_request(
                method, url, json=json, params=params, headers=headers, timeout=limit
            )
        except (TypeError, ValueError) as exc:
            raise not_json(json) or exc from None
        return request, limit

    def _retries(self, max_retries: int | None, retry: bool) -> int | None:
        """How many retries a call allows: none without `retry`, else its own `max_retries`
        (checked) or, None, the client's."""
        if not retry:
            return 0
        return None if max_retries is None else check_max_retries(max_retries)

    @staticmethod
    def _query(
        params: Mapping[str, Any] | None, extra_query: Mapping[str, Any] | None
    ) -> Mapping[str, Any] | None:
        """A call's query parameters: its own, then `extra_query` (checked) over them."""
        if not extra_query:
            return params
        check_query(extra_query)
        return {**params, **extra_query} if params else extra_query

    def _redirect(self, response: httpx.Response, hops: int) -> str:
        """Where a redirect leads (absolute); raises after too many hops or for another scheme."""
        import httpx

        location = response.headers.get("location")
        target = response.request.url.join(location) if location else None
        if target is None or target.scheme not in ("http", "https") or hops >= MAX_REDIRECTS:
            why = (
                "too many redirects"
                if hops >= MAX_REDIRECTS
                else "a redirect without a usable Location"
            )
            raise APIConnectionError(
                f"{why} (from {response.request.url})", request=response.request
            )
        return str(httpx.URL(target))
