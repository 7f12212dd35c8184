"""What the client checks before anything is sent: URLs, timeouts, headers, ids, the API key,
JSON bodies. Each problem is a ``ValidationError`` (or an API-key error) naming the place, raised
before any request is made or retried in vain. Plain Python: httpx is not needed to make a
client."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ._exceptions import InvalidAPIKeyError, MissingAPIKeyError, ValidationError
from ._types import Omit

if TYPE_CHECKING:
    import httpx

__all__ = [
    "APIKey",
    "check_api_key",
    "check_headers",
    "check_max_concurrency",
    "check_max_retries",
    "check_query",
    "check_timeout",
    "check_url",
    "not_json",
    "queue_path",
    "segment",
]


def check_url(url: str, what: str, *, base: bool = True) -> str:
    """`url` when it is an http(s) URL with a host (for a base URL: no query or fragment either,
    since paths are appended to it); ValidationError otherwise, before any request is retried in
    vain. Plain string work: making a client needs no URL parser (nor httpx)."""
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


_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def check_headers(extra: Mapping[str, str], what: str = "extra_headers") -> None:
    """ValidationError for headers that HTTP cannot carry (names are tokens; values are printable
    ASCII, no line break: a CR LF would inject a header)."""
    problems = []
    for name, value in extra.items():
        if not isinstance(name, str) or not name or not set(name) <= _TOKEN:
            problems.append((what, f"{name!r:.50} is not a header name"))
        elif not isinstance(value, str) or not all(" " <= c <= "~" or c == "\t" for c in value):
            problems.append(
                (
                    f"{what}.{name}",
                    f"a header value is printable ASCII without line breaks; got {value!r:.50}",
                )
            )
    if problems:
        raise ValidationError("", problems)


_QUERY_SCALARS = (str, int, float, bool, type(None))


def check_query(extra: Mapping[str, Any]) -> None:
    """ValidationError for query parameters a URL cannot carry: names are non-empty strings,
    values a string, number, bool or None, or a list/tuple of them (one ``name=value`` each)."""
    problems = []
    for name, value in extra.items():
        if not isinstance(name, str) or not name:
            problems.append(("extra_query", f"{name!r:.50} is not a query parameter name"))
            continue
        values = value if isinstance(value, (list, tuple)) else (value,)
        if not all(isinstance(v, _QUERY_SCALARS) for v in values):
            problems.append(
                (
                    f"extra_query.{name}",
                    "a query value is a str, int, float, bool or None (or a list of them); "
                    f"got {type(value).__name__}",
                )
            )
    if problems:
        raise ValidationError("", problems)


def check_max_retries(value: object, what: str = "max_retries") -> int:
    """`value` when it is an int >= 0 (how many times a failed attempt may be retried);
    ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} must be an int >= 0, got {value!r}")
    return value


def segment(value: object, what: str) -> str:
    """`value` as one URL path segment: percent-encoded, so that an id holding "/", "?", "#" or
    "%" can never point the request (and the key) at another path. ValidationError for what is
    no id at all ("", ".", "..", not a string)."""
    if not isinstance(value, str) or value in ("", ".", ".."):
        raise ValidationError("", [(what, f"not a usable {what}: {value!r}")])
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


def check_max_concurrency(value: object) -> int:
    """`value` when it is an int >= 1; ValueError otherwise (a client setting)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"max_concurrency must be an int >= 1, got {value!r}")
    return value
