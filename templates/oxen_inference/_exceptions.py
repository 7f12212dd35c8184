"""Every error the client raises, under one root::

    OxenError
    ├── ValidationError            bad parameters, caught before any request (also a ValueError)
    ├── MissingAPIKeyError         no API key is configured (or it is empty)
    ├── InvalidAPIKeyError         the key cannot be sent: blank, a line break, control characters
    ├── UnknownModelError          no model with this id in the snapshot (also a LookupError)
    ├── NoRequestSchemaError       the model publishes no request schema (also a LookupError)
    ├── APIError                   something went wrong talking to the API
    │   ├── APIStatusError         the API answered 4xx/5xx (status, request id, server message, body)
    │   │   ├── BadRequestError            400
    │   │   ├── AuthenticationError        401
    │   │   ├── PermissionDeniedError      403
    │   │   ├── NotFoundError              404
    │   │   ├── UnprocessableEntityError   422
    │   │   ├── RateLimitError             429
    │   │   └── InternalServerError        5xx
    │   ├── APIStreamError         a stream that had started (2xx) reported an error or sent garbage
    │   ├── APIResponseValidationError  a 2xx answer that is not JSON or not the shape expected
    │   ├── ResponseTooLargeError  an answer (or a download) past its size cap; not read further
    │   └── APIConnectionError     no answer: connection refused, reset, TLS, ... (or a stream cut short)
    │       └── APITimeoutError    no answer in time
    ├── GenerationFailedError      a queued job ended failed (or cancelled); keeps its generation id
    ├── WaitTimeoutError           ``wait`` ran out of time; the job goes on and keeps its id
    ├── BatchInputError            a batch's inputs have problems (``.problems``); nothing was sent
    ├── BatchJournalError          a batch's output folder holds another run, or is in use
    └── ClientClosedError          the client was closed: pending waits end with it, later calls too

Both error envelopes of the API (``{"error": {"type", "title", "detail"}, ...}`` and
``{"error": {"message"}}`` / ``{"error": "text"}``) end up in :attr:`APIStatusError.message`.

No exception shows the API key. Requests keep their headers (whose repr masks credentials), and
``str``/``repr`` show only the method, URL, status and the server's own message, in which the
client's key and any ``Bearer`` credential are replaced by ``<redacted>`` (a server that echoes
the request back). Every exception pickles (across ``ProcessPoolExecutor``, ``multiprocessing``)
to the same type, message and attributes, without its ``request`` and ``response`` (None after
unpickling): a pickle never holds the key.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # httpx only in annotations: the first request imports it
    import httpx

    from ._models import GenerationResult

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APIStreamError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "GenerationFailedError",
    "InternalServerError",
    "InvalidAPIKeyError",
    "MissingAPIKeyError",
    "NotFoundError",
    "OxenError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseTooLargeError",
    "UnprocessableEntityError",
    "ValidationError",
    "WaitTimeoutError",
]

REQUEST_ID_HEADERS = (
    "x-request-id",
    "request-id",
    "x-oxen-request-id",
    "x-amzn-requestid",
    "cf-ray",
)


REDACTED = "<redacted>"
MAX_BODY_DEPTH = 64  # an error keeps a body nested at most this deep (a hostile one goes deeper)
TOO_DEEP = f"<a JSON body nested more than {MAX_BODY_DEPTH} levels deep: not kept>"
_UNPICKLED = ("request", "response")  # they hold the request's headers: the key


def _rebuild(cls: type[OxenError], args: tuple[Any, ...], state: dict[str, Any]) -> OxenError:
    """An exception back from its pickle, without calling its ``__init__``."""
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class OxenError(Exception):
    """The root of every exception this package raises."""

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as type, message and attributes; ``request``/``response`` are left out (they
        carry the key) and are None once unpickled. ``__init__`` is not called again, so every
        subclass pickles whatever its signature."""
        state = {k: (None if k in _UNPICKLED else v) for k, v in self.__dict__.items()}
        return _rebuild, (type(self), self.args, state)


class ValidationError(OxenError, ValueError):
    """Parameters the model does not accept; raised before anything is sent.

    `errors` holds ``(field, message)`` pairs, the field as its wire name (dotted into nested
    objects). The pydantic error, when there is one, is the ``__cause__``.
    """

    def __init__(self, model_id: str, errors: list[tuple[str, str]]) -> None:
        self.model_id = model_id
        self.errors = errors
        lines = "; ".join(f"{field}: {message}" if field else message for field, message in errors)
        what = f" for model {model_id!r}" if model_id else ""
        super().__init__(f"invalid parameters{what}: {lines}")


class MissingAPIKeyError(OxenError):
    """No API key: pass ``Oxen(api_key=...)`` or set ``OXEN_API_KEY``. Raised before sending
    (an explicitly empty key is refused when the client is made)."""


class InvalidAPIKeyError(OxenError, ValueError):
    """The API key cannot be sent in a header (blank, whitespace, a line break, control or
    non-ASCII characters); raised when the client is made. The message never contains the key."""


class APIError(OxenError):
    """A failed exchange with the API. `request` is the request that was sent (or tried).

    `message` comes from the server (or names what went wrong); the client's key and any
    ``Bearer`` credential in it are replaced by ``<redacted>``."""

    def __init__(self, message: str, request: httpx.Request | None) -> None:
        message = scrub(message, request)
        super().__init__(message)
        self.message = message
        self.request = request


class APIStatusError(APIError):
    """The API answered with an error status.

    `status_code`, `response`, `body` (parsed JSON or text), `message` (the server's own words),
    `type` (envelope A's error type, e.g. ``"invalid_params"``) and `request_id` (from the first
    response header that carries one).
    """

    def __init__(
        self, message: str, *, response: httpx.Response, body: object, type: str | None = None
    ) -> None:
        super().__init__(message, response.request)
        self.response = response
        self.status_code = response.status_code
        self.body: object = scrub(body, response.request)
        self.type = type
        self.request_id = request_id_of(response.headers)

    def __str__(self) -> str:
        rid = f" (request id {self.request_id})" if self.request_id else ""
        return f"{self.status_code}: {self.message}{rid}"


class BadRequestError(APIStatusError):
    """400: the request was malformed or a parameter was refused."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing or not accepted."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not do this."""


class NotFoundError(APIStatusError):
    """404: no such model, generation or route."""


class UnprocessableEntityError(APIStatusError):
    """422: the request was understood but refused."""


class RateLimitError(APIStatusError):
    """429: too many requests (retried automatically, honouring ``Retry-After``)."""


class InternalServerError(APIStatusError):
    """5xx: the server failed."""


class APIStreamError(APIError):
    """A streamed answer (HTTP 2xx, already under way) reported an error or sent something unreadable.

    `message` (the server's own words when it sent an error envelope), `type`, `body` (the event's
    data, parsed when it is JSON), `response` and `request_id`. Streams are never retried.
    """

    def __init__(
        self, message: str, *, response: httpx.Response, body: object, type: str | None = None
    ) -> None:
        super().__init__(message, response.request)
        self.response = response
        self.body: object = scrub(body, response.request)
        self.type = type
        self.request_id = request_id_of(response.headers)


class APIResponseValidationError(APIError):
    """The API said yes (2xx) with an answer this client cannot read: not JSON, or not the shape
    it expects (a proxy's page, or an API newer than this client: upgrading may help).

    `response`, `status_code`, `body` (the parsed JSON, or the start of the text) and
    `request_id`. The request itself went through: for an enqueue, the jobs may exist (see
    ``client.queue.list()``).
    """

    def __init__(self, message: str, *, response: httpx.Response, body: object) -> None:
        super().__init__(message, response.request)
        self.response = response
        self.status_code = response.status_code
        self.body: object = scrub(body, response.request)
        self.request_id = request_id_of(response.headers)


class APIConnectionError(APIError):
    """No answer from the API (connection refused, reset, DNS, TLS, ...)."""

    def __init__(
        self, message: str = "connection error", *, request: httpx.Request | None = None
    ) -> None:
        super().__init__(message, request)


class APITimeoutError(APIConnectionError):
    """The API did not answer in time."""

    def __init__(
        self, message: str = "request timed out", *, request: httpx.Request | None = None
    ) -> None:
        super().__init__(message, request=request)


class GenerationFailedError(OxenError):
    """A queued generation ended ``failed`` (or ``cancelled``).

    `generation_id`, `status`, the server's `error_message`, and the final `generation` row.
    """

    def __init__(self, generation: GenerationResult) -> None:
        self.generation = generation
        self.generation_id = generation.generation_id
        self.status = generation.status
        self.error_message = generation.error_message
        said = generation.error_message
        if generation.status == "cancelled":
            what = "was cancelled" + (f": {said}" if said and said != "cancelled" else "")
        elif generation.status == "failed":
            what = f"failed: {said}" if said else "failed (the server gave no reason)"
        else:
            what = f"ended {generation.status}" + (f": {said}" if said else "")
        super().__init__(f"generation {generation.generation_id} {what}")


class WaitTimeoutError(OxenError, TimeoutError):
    """``wait`` gave up before the job ended. The job runs on: `generation_id` gets it back
    (``client.job(id)``); `last_status` is the last status seen."""

    def __init__(self, generation_id: str, timeout: float, last_status: str | None) -> None:
        self.generation_id = generation_id
        self.timeout = timeout
        self.last_status = last_status
        super().__init__(
            f"generation {generation_id} not finished after {timeout:g}s (last status: {last_status or 'unknown'}); "
            f"it keeps running: client.job({generation_id!r}).wait() picks it up again"
        )


class ResponseTooLargeError(APIError):
    """An answer larger than the client reads: a 2xx body past ``max_response_bytes``, a
    download past its ``max_bytes``. Nothing more was read; the connection was closed.

    `limit` (bytes), `status_code`, `response` and `request_id`. For an enqueue the request went
    through: the jobs may exist (see ``client.queue.list()``).
    """

    def __init__(self, message: str, *, response: httpx.Response, limit: int) -> None:
        super().__init__(message, response.request)
        self.response: httpx.Response = response
        self.status_code: int = response.status_code
        self.limit: int = limit
        self.request_id: str | None = request_id_of(response.headers)


class ClientClosedError(OxenError, RuntimeError):
    """The client was closed (``close()``, ``aclose()``, the end of its ``with`` block): a wait
    that was pending then ends with it, and so does every call made afterwards."""


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


@cache
def _bearer() -> re.Pattern[str]:
    return re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9\-._~+/]+=*")


def _secrets(request: httpx.Request | None) -> list[str]:
    """The credentials `request` carried (its ``Authorization`` tokens), to scrub from answers."""
    if request is None:
        return []
    found = []
    for name in ("authorization", "proxy-authorization"):
        value = request.headers.get(name)
        if value:
            token = value.split(None, 1)[-1].strip()
            found += [token, value] if len(token) >= 8 else [value]
    return found


def scrub(value: Any, request: httpx.Request | None) -> Any:
    """`value` (a string, or JSON: dicts, lists, strings) with the credentials that `request`
    carried, and any ``Bearer <token>``, replaced by ``<redacted>``: what a server that echoes
    the request back would otherwise put in an error message. A copy, made without recursion;
    JSON nested deeper than ``MAX_BODY_DEPTH`` is not kept (``TOO_DEEP`` instead), so that the
    error still pickles and prints."""
    secrets = _secrets(request)
    top = [value]
    todo: list[tuple[Any, Any, int]] = [(top, 0, 0)]
    while todo:
        holder, at, depth = todo.pop()
        item = holder[at]
        if isinstance(item, str):
            holder[at] = _scrub_text(item, secrets)
        elif isinstance(item, (dict, list)) and depth >= MAX_BODY_DEPTH:
            return TOO_DEEP
        elif isinstance(item, dict):
            holder[at] = fields = {_scrub_text(str(k), secrets): v for k, v in item.items()}
            todo += [(fields, k, depth + 1) for k in fields]
        elif isinstance(item, list):
            holder[at] = items = list(item)
            todo += [(items, i, depth + 1) for i in range(len(items))]
    return top[0]


def _scrub_text(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    if "bearer" in text.lower():
        text = _bearer().sub(lambda m: m.group(1) + REDACTED, text)
    return text


def request_id_of(headers: httpx.Headers) -> str | None:
    for name in REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return str(value)
    return None


def parse_error_body(body: object) -> tuple[str | None, str | None]:
    """(message, type) out of either envelope; (None, None) when the body is neither."""
    if not isinstance(body, dict):
        return None, None
    error: Any = body.get("error")
    if isinstance(error, str):
        return error, None
    if isinstance(error, dict):
        kind = error["type"] if isinstance(error.get("type"), str) else None
        detail, title, message = error.get("detail"), error.get("title"), error.get("message")
        parts = [p for p in (title, detail) if isinstance(p, str) and p]
        if isinstance(message, str) and message:
            return message, kind
        if parts:
            return ": ".join(parts), kind
        return kind, kind
    for key in ("detail", "message", "status_message"):
        value = body.get(key)
        if isinstance(value, str):
            return value, None
    return None, None


def error_body(response: httpx.Response) -> tuple[object, str | None, str | None]:
    """An answer's body (its JSON, else its text; it must have been read) and what it says:
    ``(body, message, error type)`` (see :func:`parse_error_body`)."""
    body: object
    try:
        body = response.json()
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        body = response.text
    message, kind = parse_error_body(body)
    return body, message, kind


def status_error(response: httpx.Response, cut: int | None = None) -> APIStatusError:
    """The exception for an error response (its body must have been read; `cut`: only its first
    `cut` bytes were, the rest was larger than the client reads)."""
    body, message, kind = error_body(response)
    if message is None:
        text = body if isinstance(body, str) else ""
        message = text.strip()[:500] or response.reason_phrase or f"HTTP {response.status_code}"
    if cut is not None:
        message += f" (an answer of more than {cut:,} bytes: the rest was not read)"
    cls = _STATUS_CLASSES.get(response.status_code)
    if cls is None:
        cls = InternalServerError if response.status_code >= 500 else APIStatusError
    return cls(message, response=response, body=body, type=kind)
