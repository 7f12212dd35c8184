"""Time and concurrency limits: per-phase timeouts, the deadline of a call and of an attempt, and
the size of the connection pool.

A ``timeout`` given to a call is a wall-clock bound on the whole call (waiting for a free slot,
connecting, sending, the response's headers and body, and every retry); without one, each attempt
is bounded by its route's default (``DEFAULT_READ_TIMEOUT``, ``ROUTE_READ_TIMEOUTS``) from the
moment it is sent. At most ``max_concurrency`` requests of a client are in flight at once (default
``DEFAULT_MAX_CONCURRENCY``, just under the connection pool's size); the others wait their turn in
order (``_synchronization``). However many jobs a program starts at once, the pool only ever sees a
short queue: its bookkeeping costs grow with waiting requests times connections, and this keeps
both small. httpx objects are made on first use, so that creating a client stays cheap.
"""

from __future__ import annotations

import time
from functools import cache
from typing import TYPE_CHECKING, Any

from ._checks import check_timeout
from ._types import Omit, Timeout

if TYPE_CHECKING:
    import httpx

__all__ = [
    "CONNECT_TIMEOUT",
    "DEFAULT_MAX_CONCURRENCY",
    "DOWNLOAD_IDLE_TIMEOUT",
    "as_timeout",
    "clip",
    "default_timeout",
    "download_limits",
    "overall_limit",
    "pool_limits",
    "positive",
    "route_timeouts",
]

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
# Requests in flight per client; the pool has a few more connections, for streams (the event
# stream, downloads and chat streams hold theirs while the body is read).
DEFAULT_MAX_CONCURRENCY = 32
STREAM_HEADROOM = 16
# Idle connections are given up before the 5 s after which common servers (uvicorn, nginx's
# default is longer) close them, so a request is not sent on a connection being closed.
KEEPALIVE_EXPIRY = 4.0
DOWNLOAD_IDLE_TIMEOUT = 60.0  # the longest wait for the next chunk of a download


@cache
def default_timeout() -> httpx.Timeout:
    import httpx

    return httpx.Timeout(DEFAULT_READ_TIMEOUT, connect=CONNECT_TIMEOUT)


@cache
def route_timeouts() -> dict[str, httpx.Timeout]:
    import httpx

    return {
        path: httpx.Timeout(read, connect=CONNECT_TIMEOUT)
        for path, read in ROUTE_READ_TIMEOUTS.items()
    }


def __getattr__(name: str) -> Any:
    """``DEFAULT_TIMEOUT`` and ``ROUTE_TIMEOUTS``, made (and httpx imported) on first access."""
    if name == "DEFAULT_TIMEOUT":
        return default_timeout()
    if name == "ROUTE_TIMEOUTS":
        return route_timeouts()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def as_timeout(value: Timeout) -> httpx.Timeout:
    import httpx

    if isinstance(value, httpx.Timeout):
        return value
    check_timeout(value)
    return httpx.Timeout(value)


def clip(timeout: httpx.Timeout, remaining: float) -> httpx.Timeout:
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


def overall_limit(timeout: httpx.Timeout) -> float | None:
    """The wall-clock bound that an ``httpx.Timeout`` implies: its largest phase limit."""
    values = [v for v in (timeout.connect, timeout.read, timeout.write, timeout.pool) if v]
    return max(values) if values else None


def positive(name: str, value: float) -> float:
    """`value` as seconds > 0; ValueError otherwise (a client or call setting)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{name} must be a number of seconds > 0, got {value!r}")
    return float(value)


def pool_limits(max_concurrency: int) -> httpx.Limits:
    """The connection pool of a client: `max_concurrency` requests plus room for streams."""
    import httpx

    size = max_concurrency + STREAM_HEADROOM
    return httpx.Limits(
        max_connections=size, max_keepalive_connections=size, keepalive_expiry=KEEPALIVE_EXPIRY
    )


def download_limits(
    timeout: Timeout | Omit, idle_timeout: float
) -> tuple[httpx.Timeout, float | None]:
    """Per-phase limits of a download (each read waits at most `idle_timeout`) and its deadline."""
    import httpx

    idle = positive("idle_timeout", idle_timeout)
    overall = None
    if not isinstance(timeout, Omit) and timeout is not None:
        overall = overall_limit(as_timeout(timeout))
    deadline = None if overall is None else time.monotonic() + overall
    return httpx.Timeout(idle, connect=min(CONNECT_TIMEOUT, idle)), deadline
