"""How much the client reads: every body it takes from a server has a cap, enforced while the body
streams in, so that no server can make the client hold more than the cap in memory.

- ``MAX_LINE_BYTES`` (8 MiB): one line of an event stream, the ``/events`` stream that serves
  ``wait()`` as a chat stream. Past it the event hub drops the connection and reconnects (and
  reconciles its waiting jobs, as after any drop); a chat stream raises ``APIStreamError``.
- ``MAX_ERROR_BODY_BYTES`` (1 MiB): an error answer (4xx, 5xx) is read up to this; the error
  raised says the rest was not read.
- ``max_response_bytes`` (``Oxen(max_response_bytes=...)``, default ``DEFAULT_MAX_RESPONSE_BYTES``,
  64 MiB): a 2xx answer read whole (JSON). Past it: ``ResponseTooLargeError``.
- ``max_bytes`` (``job.download(..., max_bytes=...)``, ``client.download_url``; default: no cap):
  a download, written to disk as it arrives. Past it: ``ResponseTooLargeError``, and no file.

A body whose ``Content-Length`` already says it is too large is refused before any of it is read.
The reading loops themselves are in ``_async/bodies.py`` (and its blocking twin); this module is
the pure part: the caps, the line splitter, the errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._exceptions import APIStreamError, ResponseTooLargeError, ValidationError

if TYPE_CHECKING:
    import httpx

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "MAX_ERROR_BODY_BYTES",
    "MAX_LINE_BYTES",
    "LineTooLong",
    "Lines",
    "check_cap",
    "check_optional_cap",
    "declared_size",
    "keep",
    "line_error",
    "too_large",
]

MAX_LINE_BYTES = 8 * 1024 * 1024
MAX_ERROR_BODY_BYTES = 1024 * 1024
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024


class LineTooLong(Exception):
    """A stream's line passed its cap (internal: each reader turns it into its own outcome)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"a line longer than {limit:,} bytes")
        self.limit = limit


class Lines:
    """Bytes in, complete lines out, split as Server-Sent Events are (at CR LF, LF or CR) and
    decoded as UTF-8 (bad bytes replaced). A line longer than `limit` bytes raises LineTooLong
    as soon as the pending part of it passes the cap, so at most the cap plus one chunk is held.
    """

    __slots__ = ("_cr", "_limit", "_pending")

    def __init__(self, limit: int = MAX_LINE_BYTES) -> None:
        self._limit = limit
        self._pending = bytearray()
        self._cr = False  # the last chunk ended with CR: an LF that starts the next belongs to it

    def feed(self, chunk: bytes) -> list[str]:
        if not chunk:
            return []
        if self._cr:
            self._cr = False
            if chunk.startswith(b"\n"):
                chunk = chunk[1:]
        last = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
        if last < 0:
            self._pending += chunk
            if len(self._pending) > self._limit:
                raise LineTooLong(self._limit)
            return []
        self._cr = chunk[last] == 0x0D and last == len(chunk) - 1
        head, rest = chunk[: last + 1], chunk[last + 1 :]
        if self._pending:
            head = bytes(self._pending) + head
            self._pending.clear()
        self._pending += rest
        lines = head.splitlines()  # bytes split only at CR LF, LF and CR
        if len(self._pending) > self._limit or any(len(line) > self._limit for line in lines):
            raise LineTooLong(self._limit)
        return [line.decode("utf-8", "replace") for line in lines]

    def end(self) -> list[str]:
        """The last line, when the stream ended without a line break after it."""
        if not self._pending:
            return []
        line = self._pending.decode("utf-8", "replace")
        self._pending.clear()
        return [line]


def declared_size(response: httpx.Response) -> int | None:
    """The body's size by its ``Content-Length`` (None when absent or not a number)."""
    raw = response.headers.get("content-length")
    return int(raw) if raw and raw.isdigit() else None


def check_cap(name: str, value: object) -> int:
    """`value` as a byte cap: an int >= 1; ValidationError (a ValueError) otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError("", [(name, f"an int >= 1 (bytes); got {value!r:.50}")])
    return value


def check_optional_cap(name: str, value: object) -> int | None:
    """`value` as a byte cap or None (no cap); ValidationError otherwise."""
    return None if value is None else check_cap(name, value)


def keep(response: httpx.Response, body: bytes) -> None:
    """Give `response` the body the client read itself, so that ``.content``, ``.text`` and
    ``.json()`` work as after httpx's own ``read()`` (which keeps it in the same place)."""
    response._content = body


def too_large(response: httpx.Response, limit: int, what: str) -> ResponseTooLargeError:
    """The error for a body past its cap (`what` names the cap, e.g. ``max_response_bytes``)."""
    request = response.request
    size = declared_size(response)
    said = f" (it says {size:,} bytes)" if size is not None and size > limit else ""
    return ResponseTooLargeError(
        f"{request.method} {request.url.path} answered {response.status_code} with a body larger "
        f"than {what}={limit:,} bytes{said}; it was not read further",
        response=response,
        limit=limit,
    )


def line_error(response: httpx.Response, error: LineTooLong) -> APIStreamError:
    """The error for a chat stream whose line passed the cap."""
    return APIStreamError(
        f"the stream sent a line longer than {error.limit:,} bytes (the most the client reads "
        "as one line); it was closed",
        response=response,
        body=None,
    )
