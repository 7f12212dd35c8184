"""What both clients share: configuration, headers, timeouts, retries, logging and the request loop.

Retries: connection errors, 408, 429 and 5xx are retried with exponential backoff and jitter,
waiting what ``Retry-After`` (or ``retry-after-ms``) asks when the server says. Requests that would
bill twice if replayed (an enqueue, a blocking generation: ``unsafe=True``) are retried only when
the server surely did not process them: the connection could not be made, 429, or 503.

Deadlines: a ``timeout`` given to a call is a wall-clock bound on the whole call (waiting for a
free slot, connecting, sending, the response's headers and body, and every retry); the call raises
``APITimeoutError`` once it is spent, however slowly the server trickles bytes. Without one, each
attempt is bounded by its route's default (``DEFAULT_READ_TIMEOUT``, ``ROUTE_READ_TIMEOUTS``)
from the moment it is sent. The async client enforces this with ``asyncio.timeout``; the blocking
client with a network backend whose every socket read and write is clipped to the deadline of the
call running on that thread (for an ``http_client`` of your own, only each phase is clipped).

Concurrency: at most ``max_concurrency`` requests of a client are in flight at once (default
``DEFAULT_MAX_CONCURRENCY``, just under the connection pool's size); the others wait their turn in
order. However many jobs a program starts at once, the pool only ever sees a short queue: its
bookkeeping costs grow with waiting requests times connections, and this keeps both small.
"""

from __future__ import annotations

import contextlib
import email.utils
import math
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    InvalidAPIKeyError,
    MissingAPIKeyError,
    ValidationError,
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
# Requests in flight per client; the pool has a few more connections, for streams (the event
# stream, downloads and chat streams hold theirs while the body is read).
DEFAULT_MAX_CONCURRENCY = 32
STREAM_HEADROOM = 16
# Idle connections are given up before the 5 s after which common servers (uvicorn, nginx's
# default is longer) close them, so a request is not sent on a connection being closed.
KEEPALIVE_EXPIRY = 4.0
MAX_REDIRECTS = 10

_DEBUG = 10  # logging.DEBUG


@cache
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


def connection_error(
    exc: httpx.TransportError, request: httpx.Request, attempts: int = 1
) -> APIConnectionError:
    """The error for a request that got no answer: it names the host and port tried and how
    many attempts were made (`attempts`: the first try and its retries)."""
    import httpx

    url = request.url
    host = f"[{url.host}]" if ":" in url.host else url.host
    where = f"{host}:{url.port or (443 if url.scheme == 'https' else 80)}"
    tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            f"request to {where} timed out ({tries}): {type(exc).__name__}", request=request
        )
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, httpx.ConnectError):
        return APIConnectionError(f"cannot connect to {where} ({tries}): {detail}", request=request)
    return APIConnectionError(f"connection error with {where} ({tries}): {detail}", request=request)


def check_url(url: str, what: str, *, base: bool = True) -> str:
    """`url` when it is an http(s) URL with a host (for a base URL: no query or fragment either,
    since paths are appended to it); ValidationError otherwise, before any request is retried in
    vain. Plain string work: neither httpx nor urllib is imported to make a client."""
    scheme, sep, rest = url.partition("://")
    authority = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rpartition("@")[2]
    if authority.startswith("["):  # an IPv6 address
        host, _, port = authority[1:].partition("]")
        port = port.removeprefix(":")
    else:
        host, _, port = authority.partition(":")
    if any(ord(c) <= 32 or ord(c) == 127 for c in url):
        problem = "holds whitespace or control characters"
    elif not sep or scheme.lower() not in ("http", "https"):
        problem = "needs http:// or https://"
    elif not host:
        problem = "has no host"
    elif port and not (port.isascii() and port.isdigit() and int(port) <= 65535):
        problem = f"has a port that is no port number ({port!r})"
    elif base and ("?" in rest or "#" in rest):
        problem = "cannot have a query or a fragment (paths are appended to it)"
    else:
        return url
    raise ValidationError("", [(what, f"{url!r:.100} {problem}")])


def check_timeout(value: object) -> None:
    """ValidationError unless `value` is a timeout: seconds > 0, None (no limit), an
    ``httpx.Timeout`` or OMIT. Checked without importing httpx (clients check theirs when made)."""
    if value is None or isinstance(value, Omit) or type(value).__module__.startswith("httpx"):
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise ValidationError(
            "",
            [
                (
                    "timeout",
                    f"seconds > 0, None (no limit) or an httpx.Timeout; got {value!r:.50}",
                )
            ],
        )


def _as_timeout(value: Timeout) -> httpx.Timeout:
    import httpx

    if isinstance(value, httpx.Timeout):
        return value
    check_timeout(value)
    return httpx.Timeout(value)


_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _check_headers(extra: Mapping[str, str]) -> None:
    """ValidationError for headers that HTTP cannot carry (names are tokens; values are printable
    ASCII, no line break: a CR LF would inject a header)."""
    problems = []
    for name, value in extra.items():
        if not isinstance(name, str) or not name or not set(name) <= _TOKEN:
            problems.append(("extra_headers", f"{name!r:.50} is not a header name"))
        elif not isinstance(value, str) or not all(" " <= c <= "~" or c == "\t" for c in value):
            problems.append(
                (
                    f"extra_headers.{name}",
                    f"a header value is printable ASCII without line breaks; got {value!r:.50}",
                )
            )
    if problems:
        raise ValidationError("", problems)


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


_T = TypeVar("_T")


def segment(value: object, what: str) -> str:
    """`value` as one URL path segment: percent-encoded, so that an id holding "/", "?", "#" or
    "%" can never point the request (and the key) at another path. ValidationError for what is
    no id at all ("", ".", "..", not a string)."""
    if not isinstance(value, str) or value in ("", ".", ".."):
        raise ValidationError("", [(what, f"not a usable {what}: {value!r}")])
    from urllib.parse import quote

    return quote(value, safe="")


def queue_path(generation_id: object) -> str:
    """``/ai/queue/<id>``, the id one path segment (see :func:`segment`)."""
    return "/ai/queue/" + segment(generation_id, "generation_id")


def _not_json_at(value: Any, path: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    where = ".".join(path)
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            yield where, f"{value!r} cannot be sent: JSON has no NaN or infinity"
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                yield where, f"the key {key!r} cannot be sent: JSON keys are strings"
            yield from _not_json_at(item, (*path, str(key)))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _not_json_at(item, (*path, str(i)))
    else:
        yield where, f"{type(value).__name__} values cannot be sent as JSON"


def not_json(body: Any) -> ValidationError | None:
    """The error for a body that JSON cannot carry (NaN, an object, a bytes value...) naming
    each place, or None when JSON can carry it. Only asked once encoding has failed."""
    problems = list(_not_json_at(body, ()))
    if not problems:
        return None
    model_id = body.get("model") if isinstance(body, dict) else None
    return ValidationError(model_id if isinstance(model_id, str) else "", problems)


def read_json(response: httpx.Response, hint: str = "") -> Any:
    """The JSON of a 2xx answer (read); APIResponseValidationError when it is not JSON, its
    message ending with `hint`."""
    try:
        return response.json()
    except ValueError:  # JSONDecodeError, UnicodeDecodeError
        kind = response.headers.get("content-type", "no content type")
        raise APIResponseValidationError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code} with a body that is not JSON ({kind}): "
            f"{response.text!r:.200}{hint}",
            response=response,
            body=response.text[:1000],
        ) from None


def answer(response: httpx.Response, parse: Callable[[Any], _T]) -> _T:
    """`parse` (a model's ``model_validate``) applied to a 2xx answer's JSON; an answer that it
    refuses raises APIResponseValidationError naming the first problem."""
    payload = read_json(response)
    try:
        return parse(payload)
    except ValueError as exc:  # pydantic's ValidationError is one
        raise unexpected_answer(response, payload, exc) from exc


def unexpected_answer(
    response: httpx.Response, payload: Any, why: BaseException | str
) -> APIResponseValidationError:
    """The error for a 2xx answer whose JSON is not what the client expects."""
    errors = getattr(why, "errors", None)
    if callable(errors):  # a pydantic ValidationError: its first problem, located
        first = errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        why = f"{where}: {first['msg']}" if where else str(first["msg"])
    return APIResponseValidationError(
        f"unexpected answer to {response.request.method} {response.request.url.path} "
        f"({response.status_code}): {why}; the answer: {payload!r:.200}",
        response=response,
        body=payload,
    )


class APIKey:
    """The API key, kept out of sight: its ``repr``/``str`` are masked, so ``vars(client)``, a
    debugger or an error tracker never shows it. ``reveal()`` gives the key itself."""

    __slots__ = ("_value", "headers")

    def __init__(self, value: str) -> None:
        self._value = value
        self.headers: httpx.Headers | None = None  # the API's own headers, made once

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "APIKey(<redacted>)"

    __str__ = __repr__

    def __reduce__(self) -> Any:  # never pickled with the key inside
        raise TypeError("an API key cannot be pickled")


def check_api_key(raw: str, source: str) -> str:
    """The key to send, or InvalidAPIKeyError/MissingAPIKeyError (whose text never holds the key).

    One trailing line break (a key read from a file) is dropped. Anything else that cannot go into
    an HTTP header as a bearer token is refused: whitespace around or inside it, control characters
    (a CR LF followed by more text would inject a header), non-ASCII characters.
    """
    if not isinstance(raw, str):
        raise InvalidAPIKeyError(f"the API key ({source}) must be a str, not {type(raw).__name__}")
    key = raw[:-2] if raw.endswith("\r\n") else raw[:-1] if raw.endswith("\n") else raw
    if key == "":
        raise MissingAPIKeyError(
            f"the API key ({source}) is empty: pass Oxen(api_key=...) or set OXEN_API_KEY"
        )
    if not key.strip():
        raise InvalidAPIKeyError(f"the API key ({source}) is blank (only whitespace)")
    for i, ch in enumerate(key):
        if not "!" <= ch <= "~":
            what = (
                "a line break"
                if ch in "\r\n"
                else "whitespace"
                if ch.isspace()
                else "a control character"
                if ord(ch) < 32 or ord(ch) == 127
                else "a non-ASCII character"
            )
            raise InvalidAPIKeyError(
                f"the API key ({source}) holds {what} at position {i} of {len(key)}; an HTTP "
                "header cannot carry it (check how the key was read or pasted)"
            )
    return key


class _Deadline(threading.local):
    """The wall-clock deadline (``time.monotonic()``) of the call running on this thread."""

    at: float | None = None


_DEADLINE = _Deadline()


@contextlib.contextmanager
def deadline_scope(at: float | None) -> Iterator[None]:
    """Clip every socket read/write of this thread's requests to `at` (blocking client)."""
    previous = _DEADLINE.at
    _DEADLINE.at = at
    try:
        yield
    finally:
        _DEADLINE.at = previous


def _sync_transport(limits: httpx.Limits) -> httpx.HTTPTransport:
    """httpx's transport, over a network backend that honours the thread's deadline."""
    import httpx

    from ._deadline import DeadlineBackend

    transport = httpx.HTTPTransport(limits=limits)
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is not None:  # httpcore's layout; otherwise only each phase is clipped
        pool._network_backend = DeadlineBackend(backend, _DEADLINE)  # type: ignore[union-attr]
    return transport


def overall_limit(timeout: httpx.Timeout) -> float | None:
    """The wall-clock bound that an ``httpx.Timeout`` implies: its largest phase limit."""
    values = [v for v in (timeout.connect, timeout.read, timeout.write, timeout.pool) if v]
    return max(values) if values else None


BASE_HEADERS: Mapping[str, str] = {"Accept": "application/json", "User-Agent": USER_AGENT}
"""Sent with every request, to any origin (the key is not: see ``BaseClient._headers``)."""


QUEUED_SLOTS = 4096  # up to this limit, _Slots; past it, threading.Semaphore (no token per slot)
_MAKING = threading.Lock()  # held while a client makes its limiter


class _Slots:
    """At most `limit` blocking requests in flight: a counting semaphore over a C-level queue of
    tokens (``threading.Semaphore`` is written in Python, and every request pays for it twice).
    One token per slot, so only for limits up to ``QUEUED_SLOTS``."""

    __slots__ = ("_empty", "_tokens")

    def __init__(self, limit: int) -> None:
        import queue

        self._empty = queue.Empty
        self._tokens: queue.SimpleQueue[None] = queue.SimpleQueue()
        for _ in range(limit):
            self._tokens.put(None)

    def acquire(self, timeout: float | None = None) -> bool:
        """Take a slot, waiting at most `timeout` seconds (None: as long as it takes)."""
        try:
            self._tokens.get(timeout=timeout)
        except self._empty:
            return False
        return True

    def release(self) -> None:
        self._tokens.put(None)


class BaseClient:
    """Configuration and the pure parts of sending a request (no I/O)."""

    _owns_http = False  # whether the connection pool is the client's own (made with BASE_HEADERS)

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | httpx.URL | None,
        timeout: Timeout | Omit,
        max_retries: int,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
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
        self.max_retries = max_retries
        if (
            isinstance(max_concurrency, bool)
            or not isinstance(max_concurrency, int)
            or max_concurrency < 1
        ):
            raise ValueError(f"max_concurrency must be an int >= 1, got {max_concurrency!r}")
        self.max_concurrency = max_concurrency

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
        key = self.__api_key
        if own and not extra and key is not None:
            cached = key.headers
            if cached is None:  # made once: httpx copies Headers objects without re-encoding them
                import httpx

                cached = key.headers = httpx.Headers(self._header_dict(True, None))
            return cached
        return self._header_dict(own, extra)

    def _header_dict(self, own: bool, extra: Mapping[str, str] | None) -> dict[str, str]:
        # A connection pool the client made already carries BASE_HEADERS (httpx merges them into
        # every request for less than it costs to pass them each time); another one does not.
        headers = {} if self._owns_http else dict(BASE_HEADERS)
        if own:
            if self.__api_key is None:
                raise MissingAPIKeyError(
                    "no API key: pass Oxen(api_key=...) or set the OXEN_API_KEY environment variable"
                )
            headers["Authorization"] = f"Bearer {self.__api_key.reveal()}"
        if extra:
            _check_headers(extra)
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

    def _call_deadline(self, timeout: Timeout | Omit) -> float | None:
        """The deadline of a whole call when the caller gave a timeout (None otherwise)."""
        if isinstance(timeout, Omit):
            return None
        limit = overall_limit(_as_timeout(timeout)) if timeout is not None else None
        return None if limit is None else time.monotonic() + limit

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
            limit = _clip(limit, deadline - time.monotonic())
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
    ) -> tuple[httpx.Request, httpx.Timeout]:
        """One attempt's request (URL, headers, JSON body) and its phase limits (see
        :meth:`_prepare`); a body JSON cannot carry is a ValidationError naming each place."""
        url, headers, limit = self._prepare(method, path, timeout, extra_headers, deadline)
        try:
            request = http.build_request(
                method, url, json=json, params=params, headers=headers, timeout=limit
            )
        except (TypeError, ValueError) as exc:
            raise not_json(json) or exc from None
        return request, limit

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


class SyncAPIClient(BaseClient):
    """The blocking request loop, over an ``httpx.Client``."""

    def __init__(self, *, http_client: httpx.Client | None, **config: Any) -> None:
        super().__init__(**config)
        self._owns_http = http_client is None
        self.__http = http_client

    def _limiter(self) -> _Slots | threading.Semaphore:
        """The concurrency limit, made by the first request (``queue`` is imported then), once
        even when threads race to it."""
        slots = self.__dict__.get("_limit")
        if slots is None:
            with _MAKING:
                slots = self.__dict__.get("_limit")
                if slots is None:
                    slots = self.__dict__["_limit"] = (
                        _Slots(self.max_concurrency)
                        if self.max_concurrency <= QUEUED_SLOTS
                        else threading.Semaphore(self.max_concurrency)
                    )
        return slots

    @property
    def _http(self) -> httpx.Client:
        """The connection pool, made on first use (so creating a client costs nothing)."""
        if self.__http is None:
            import httpx

            size = self.max_concurrency + STREAM_HEADROOM
            self.__http = httpx.Client(
                headers=BASE_HEADERS,
                timeout=_default_timeout(),
                transport=_sync_transport(
                    httpx.Limits(
                        max_connections=size,
                        max_keepalive_connections=size,
                        keepalive_expiry=KEEPALIVE_EXPIRY,
                    )
                ),
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

        call_deadline = self._call_deadline(timeout)
        if deadline is not None:
            call_deadline = deadline if call_deadline is None else min(deadline, call_deadline)
        given = not isinstance(timeout, Omit)
        slots = self._limiter()
        attempt = hops = 0
        while True:
            request, limit = self._build(
                self._http, method, path, json, params, timeout, extra_headers, call_deadline
            )
            self._log_request(request, attempt)
            if limited and not slots.acquire(
                timeout=None
                if call_deadline is None
                else max(0.0, call_deadline - time.monotonic())
            ):
                raise APITimeoutError("request timed out waiting for a free slot", request=request)
            started = time.monotonic()
            at = self._attempt_deadline(path, limit, call_deadline, given)
            previous, _DEADLINE.at = _DEADLINE.at, at  # deadline_scope, inlined: every call pays it
            try:
                response = self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                delay = self._next_delay(attempt, unsafe, call_deadline, exc=exc) if retry else None
                if delay is None:
                    raise connection_error(exc, request, attempt + 1) from exc
            else:
                self._log_response(response, started)
                if response.is_success:
                    return response
                if follow_redirects and response.is_redirect:
                    path = self._redirect(response, hops)
                    hops += 1
                    response.close()
                    continue
                delay = (
                    self._next_delay(
                        attempt,
                        unsafe,
                        call_deadline,
                        status=response.status_code,
                        headers=response.headers,
                    )
                    if retry
                    else None
                )
                try:
                    response.read()
                except httpx.TransportError as exc:
                    raise connection_error(exc, request, attempt + 1) from exc
                finally:
                    response.close()
                if delay is None:
                    raise status_error(response)
            finally:
                _DEADLINE.at = previous
                if limited:
                    slots.release()
            time.sleep(delay)
            attempt += 1

    def get_json(self, path: str, **kwargs: Any) -> Any:
        return read_json(self.request("GET", path, **kwargs))

    def get_parsed(self, path: str, parse: Callable[[Any], _T], **kwargs: Any) -> _T:
        """``GET path`` and `parse` its answer (see :func:`answer`)."""
        return answer(self.request("GET", path, **kwargs), parse)

    def close(self) -> None:
        """Close the connections (only those of an ``httpx.Client`` the client made itself)."""
        if self._owns_http and self.__http is not None:
            self.__http.close()


class _AsyncSlots:
    """At most `limit` requests in flight, the rest waiting in order (one semaphore per loop)."""

    __slots__ = ("_limit", "_loop", "_semaphore")

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._loop: Any = None
        self._semaphore: Any = None

    def get(self) -> Any:
        asyncio = _asyncio()
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._semaphore = loop, asyncio.Semaphore(self._limit)
        return self._semaphore


class _Unlimited:
    """A stand-in for the semaphore when a request skips the limit."""

    async def acquire(self) -> bool:
        return True

    def release(self) -> None:
        pass


class AsyncAPIClient(BaseClient):
    """The asyncio request loop, over an ``httpx.AsyncClient``."""

    def __init__(self, *, http_client: httpx.AsyncClient | None, **config: Any) -> None:
        super().__init__(**config)
        self._owns_http = http_client is None
        self.__http = http_client
        self._slots = _AsyncSlots(self.max_concurrency)

    @property
    def _http(self) -> httpx.AsyncClient:
        """The connection pool, made on first use (so creating a client costs nothing)."""
        if self.__http is None:
            import httpx

            size = self.max_concurrency + STREAM_HEADROOM
            self.__http = httpx.AsyncClient(
                headers=BASE_HEADERS,
                timeout=_default_timeout(),
                limits=httpx.Limits(
                    max_connections=size,
                    max_keepalive_connections=size,
                    keepalive_expiry=KEEPALIVE_EXPIRY,
                ),
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

        asyncio = _asyncio()
        call_deadline = self._call_deadline(timeout)
        if deadline is not None:
            call_deadline = deadline if call_deadline is None else min(deadline, call_deadline)
        given = not isinstance(timeout, Omit)
        slots = self._slots.get() if limited else _Unlimited()
        attempt = hops = 0
        while True:
            request, limit = self._build(
                self._http, method, path, json, params, timeout, extra_headers, call_deadline
            )
            self._log_request(request, attempt)
            response: httpx.Response | None = None
            try:
                if call_deadline is None:
                    await slots.acquire()
                else:
                    async with asyncio.timeout(call_deadline - time.monotonic()):
                        await slots.acquire()
            except TimeoutError:
                raise APITimeoutError(
                    "request timed out waiting for a free slot", request=request
                ) from None
            try:
                started = time.monotonic()
                at = self._attempt_deadline(path, limit, call_deadline, given)
                try:
                    if at is None:
                        response = await self._http.send(request, stream=stream)
                    else:
                        async with asyncio.timeout(at - time.monotonic()):
                            response = await self._http.send(request, stream=stream)
                except TimeoutError:
                    raise APITimeoutError("request timed out (deadline)", request=request) from None
                except httpx.TransportError as exc:
                    delay = (
                        self._next_delay(attempt, unsafe, call_deadline, exc=exc) if retry else None
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
                    delay = (
                        self._next_delay(
                            attempt,
                            unsafe,
                            call_deadline,
                            status=response.status_code,
                            headers=response.headers,
                        )
                        if retry
                        else None
                    )
                    try:
                        if at is None:
                            await response.aread()
                        else:
                            async with asyncio.timeout(at - time.monotonic()):
                                await response.aread()
                    except TimeoutError:
                        raise APITimeoutError(
                            "request timed out (deadline)", request=request
                        ) from None
                    except httpx.TransportError as exc:
                        raise connection_error(exc, request, attempt + 1) from exc
                    finally:
                        await response.aclose()
                    if delay is None:
                        raise status_error(response)
            finally:
                slots.release()
            await asyncio.sleep(delay)
            attempt += 1

    async def get_json(self, path: str, **kwargs: Any) -> Any:
        return read_json(await self.request("GET", path, **kwargs))

    async def get_parsed(self, path: str, parse: Callable[[Any], _T], **kwargs: Any) -> _T:
        """``GET path`` and `parse` its answer (see :func:`answer`)."""
        return answer(await self.request("GET", path, **kwargs), parse)

    async def close(self) -> None:
        """Close the connections (only those of an ``httpx.AsyncClient`` the client made itself)."""
        if self._owns_http and self.__http is not None:
            await self.__http.aclose()
