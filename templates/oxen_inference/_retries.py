"""When a failed request is tried again, and how long the client waits first.

Connection errors, 408, 409, 429 and 5xx are retried with exponential backoff and jitter, waiting
what ``Retry-After`` (or ``retry-after-ms``) asks when the server says. Requests that would bill
twice if replayed (an enqueue, a blocking generation: ``unsafe``) are retried only when the server
surely did not process them: the connection could not be made, 429, or 503.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "backoff_delay",
    "parse_retry_after",
    "retry_delay",
    "retryable_exception",
    "retryable_status",
]

DEFAULT_MAX_RETRIES = 3
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 60.0
SAFE_RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
UNSAFE_RETRY_STATUSES = frozenset({429, 503})


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
