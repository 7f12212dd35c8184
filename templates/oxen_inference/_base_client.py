"""What both clients share: configuration, headers, timeouts, retries, logging and the request loop.

Retries: connection errors, 408, 429 and 5xx are retried with exponential backoff and jitter,
waiting what ``Retry-After`` (or ``retry-after-ms``) asks when the server says. Requests that would
bill twice if replayed (an enqueue, a blocking generation: ``unsafe=True``) are retried only when
the server surely did not process them: the connection could not be made, 429, or 503.
"""

from __future__ import annotations

import email.utils
import os
import random
import time
from collections.abc import Mapping
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

from ._exceptions import (
    APIConnectionError,
    APITimeoutError,
    MissingAPIKeyError,
    status_error,
)
from ._types import OMIT, Omit, Timeout
from ._version import USER_AGENT

# Imported by the first request (or the first use of an httpx object), so that importing the
# package and creating a client stay cheap.
if TYPE_CHECKING:
    import logging

    import httpx

__all__ = ["AsyncAPIClient", "BaseClient", "SyncAPIClient"]

DEFAULT_BASE_URL = "https://hub.oxen.ai/api"
DEFAULT_MAX_RETRIES = 3
CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 60.0
# Blocking generations hold the connection until the result exists: videos take up to 15 minutes.
ROUTE_READ_TIMEOUTS: dict[str, float] = {
    "/ai/videos/generate": 1200.0,
    "/ai/images/generate": 300.0,
    "/ai/images/edit": 300.0,
    "/ai/audio/speech": 300.0,
    "/ai/audio/transcriptions": 300.0,
    "/ai/chat/completions": 300.0,
}
if TYPE_CHECKING:  # httpx objects, made on first access by __getattr__
    DEFAULT_TIMEOUT: httpx.Timeout
    ROUTE_TIMEOUTS: dict[str, httpx.Timeout]
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 60.0
SAFE_RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
UNSAFE_RETRY_STATUSES = frozenset({429, 503})
REDACTED = "<redacted>"

_DEBUG = 10  # logging.DEBUG


def _logger() -> logging.Logger:
    """This package's logger (``logging`` too is imported on first use)."""
    import logging

    return logging.getLogger(__package__)


@cache
def _default_timeout() -> httpx.Timeout:
    import httpx

    return httpx.Timeout(DEFAULT_READ_TIMEOUT, connect=CONNECT_TIMEOUT)


@cache
def _route_timeouts() -> dict[str, httpx.Timeout]:
    import httpx

    return {
        path: httpx.Timeout(read, connect=CONNECT_TIMEOUT)
        for path, read in ROUTE_READ_TIMEOUTS.items()
    }


def __getattr__(name: str) -> Any:
    """``DEFAULT_TIMEOUT`` and ``ROUTE_TIMEOUTS``, made (and httpx imported) on first access."""
    if name == "DEFAULT_TIMEOUT":
        return _default_timeout()
    if name == "ROUTE_TIMEOUTS":
        return _route_timeouts()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _asyncio() -> Any:
    import asyncio  # only the async client needs it; keeps `Oxen()` light

    return asyncio


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


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the server asks to wait (``retry-after-ms``, ``Retry-After`` seconds or HTTP date)."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000.0)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(raw)
    if parsed is None:
        return None
    return max(0.0, email.utils.mktime_tz(parsed) - (time.time() if now is None else now))


def backoff_delay(
    attempt: int, *, initial: float = INITIAL_RETRY_DELAY, maximum: float = MAX_RETRY_DELAY
) -> float:
    """Exponential backoff with jitter: ``initial * 2**attempt`` capped at `maximum`, minus up to 25%."""
    return min(maximum, initial * (2.0**attempt)) * (1.0 - 0.25 * random.random())


def retry_delay(attempt: int, headers: Mapping[str, str] | None) -> float:
    """How long to wait before retry number ``attempt + 1``: ``Retry-After`` wins when sane."""
    if headers is not None:
        asked = parse_retry_after(headers)
        if asked is not None and asked <= MAX_RETRY_AFTER:
            return asked + random.random() * 0.05
    return backoff_delay(attempt)


def retryable_status(status: int, unsafe: bool) -> bool:
    return status in (UNSAFE_RETRY_STATUSES if unsafe else SAFE_RETRY_STATUSES) or (
        not unsafe and status >= 500
    )


def retryable_exception(exc: httpx.TransportError, unsafe: bool) -> bool:
    """Unsafe requests only when nothing reached the server (no connection was made)."""
    import httpx

    if unsafe:
        return isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
    return True


def connection_error(exc: httpx.TransportError, request: httpx.Request) -> APIConnectionError:
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"request timed out ({type(exc).__name__})", request=request)
    return APIConnectionError(f"connection error: {type(exc).__name__}: {exc}", request=request)


def _as_timeout(value: Timeout) -> httpx.Timeout:
    import httpx

    return value if isinstance(value, httpx.Timeout) else httpx.Timeout(value)


def _clip(timeout: httpx.Timeout, remaining: float) -> httpx.Timeout:
    import httpx

    remaining = max(0.001, remaining)

    def clip(v: float | None) -> float:
        return remaining if v is None else min(v, remaining)

    return httpx.Timeout(
        connect=clip(timeout.connect),
        read=clip(timeout.read),
        write=clip(timeout.write),
        pool=clip(timeout.pool),
    )


class BaseClient:
    """Configuration and the pure parts of sending a request (no I/O)."""

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | httpx.URL | None,
        timeout: Timeout | Omit,
        max_retries: int,
    ) -> None:
        setup_logging()
        self.__api_key = api_key if api_key is not None else os.environ.get("OXEN_API_KEY") or None
        self._base_url = str(
            base_url or os.environ.get("OXEN_BASE_URL") or DEFAULT_BASE_URL
        ).rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries

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
        if own and not extra:
            cached: httpx.Headers | None = self.__dict__.get("_own_headers")
            if cached is None:  # made once: httpx copies Headers objects without re-encoding them
                import httpx

                cached = self.__dict__["_own_headers"] = httpx.Headers(
                    self._header_dict(True, None)
                )
            return cached
        return self._header_dict(own, extra)

    def _header_dict(self, own: bool, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if own:
            if self.__api_key is None:
                raise MissingAPIKeyError(
                    "no API key: pass Oxen(api_key=...) or set the OXEN_API_KEY environment variable"
                )
            headers["Authorization"] = f"Bearer {self.__api_key}"
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
            return _as_timeout(given)
        if not isinstance(self.timeout, Omit):
            return _as_timeout(self.timeout)
        return _route_timeouts().get(path, _default_timeout())

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
    ) -> float | None:
        """Seconds to wait before retrying, or None to give up."""
        if attempt >= self.max_retries:
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

    def _prepare(
        self,
        method: str,
        path: str,
        timeout: Timeout | Omit,
        extra_headers: Mapping[str, str] | None,
        deadline: float | None,
    ) -> tuple[str | httpx.URL, Mapping[str, str], httpx.Timeout]:
        url = self._url(path)
        headers = self._headers(url, extra_headers, own=True if path.startswith("/") else None)
        limit = self._timeout_for(path, timeout)
        if deadline is not None:
            limit = _clip(limit, deadline - time.monotonic())
        return url, headers, limit


class SyncAPIClient(BaseClient):
    """The blocking request loop, over an ``httpx.Client``."""

    def __init__(self, *, http_client: httpx.Client | None, **config: Any) -> None:
        super().__init__(**config)
        self._owns_http = http_client is None
        self.__http = http_client

    @property
    def _http(self) -> httpx.Client:
        """The connection pool, made on first use (so creating a client costs nothing)."""
        if self.__http is None:
            import httpx

            self.__http = httpx.Client(
                timeout=_default_timeout(),
                limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
            )
        return self.__http

    def request(
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
    ) -> httpx.Response:
        """Send with retries; returns a 2xx response (unread when `stream`), raises otherwise."""
        import httpx  # the first request pays for importing httpx

        attempt = 0
        while True:
            url, headers, limit = self._prepare(method, path, timeout, extra_headers, deadline)
            request = self._http.build_request(
                method, url, json=json, params=params, headers=headers, timeout=limit
            )
            self._log_request(request, attempt)
            started = time.monotonic()
            try:
                response = self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                delay = self._next_delay(attempt, unsafe, deadline, exc=exc)
                if delay is None:
                    raise connection_error(exc, request) from exc
            else:
                self._log_response(response, started)
                if response.is_success:
                    return response
                delay = self._next_delay(
                    attempt, unsafe, deadline, status=response.status_code, headers=response.headers
                )
                response.read()
                response.close()
                if delay is None:
                    raise status_error(response)
            time.sleep(delay)
            attempt += 1

    def get_json(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs).json()

    def close(self) -> None:
        """Close the connections (only those of an ``httpx.Client`` the client made itself)."""
        if self._owns_http and self.__http is not None:
            self.__http.close()


class AsyncAPIClient(BaseClient):
    """The asyncio request loop, over an ``httpx.AsyncClient``."""

    def __init__(self, *, http_client: httpx.AsyncClient | None, **config: Any) -> None:
        super().__init__(**config)
        self._owns_http = http_client is None
        self.__http = http_client

    @property
    def _http(self) -> httpx.AsyncClient:
        """The connection pool, made on first use (so creating a client costs nothing)."""
        if self.__http is None:
            import httpx

            self.__http = httpx.AsyncClient(
                timeout=_default_timeout(),
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
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
    ) -> httpx.Response:
        """Send with retries; returns a 2xx response (unread when `stream`), raises otherwise."""
        import httpx  # the first request pays for importing httpx

        attempt = 0
        while True:
            url, headers, limit = self._prepare(method, path, timeout, extra_headers, deadline)
            request = self._http.build_request(
                method, url, json=json, params=params, headers=headers, timeout=limit
            )
            self._log_request(request, attempt)
            started = time.monotonic()
            try:
                response = await self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                delay = self._next_delay(attempt, unsafe, deadline, exc=exc)
                if delay is None:
                    raise connection_error(exc, request) from exc
            else:
                self._log_response(response, started)
                if response.is_success:
                    return response
                delay = self._next_delay(
                    attempt, unsafe, deadline, status=response.status_code, headers=response.headers
                )
                await response.aread()
                await response.aclose()
                if delay is None:
                    raise status_error(response)
            await _asyncio().sleep(delay)
            attempt += 1

    async def get_json(self, path: str, **kwargs: Any) -> Any:
        return (await self.request("GET", path, **kwargs)).json()

    async def close(self) -> None:
        """Close the connections (only those of an ``httpx.AsyncClient`` the client made itself)."""
        if self._owns_http and self.__http is not None:
            await self.__http.aclose()
