"""One shared ``/events`` stream per client, serving every waiting job.

The stream is opened before the first enqueue (events are not replayed, so a job's completion must
find the stream already open). Completion events resolve the waiters of their generation id; an
event that arrives before anyone waits (a fast job) is kept in a recent-results cache.

Enqueueing never waits for the stream beyond its first attempt: if ``/events`` fails (an error
status, a refused connection), submits go ahead at once and their waiters are served by
reconciliation until the stream is back.

Reconciliation brings waiters up to date with list requests, never one request per job. It runs
when a waiter may have missed its event (the job was enqueued while the stream was down, the
stream dropped or went silent since, or unclaimed results were evicted from the cache), after each
reconnect, every ``RECONCILE_EVERY`` seconds while jobs wait (cancelled jobs emit no event), and,
while the stream is down or the server has none, at growing intervals (polling). Requests for
reconciliation coalesce: one reconcile serves every waiter registered before it started, and
reconciles are at least ``MIN_RECONCILE_GAP`` seconds apart. One reconcile makes at most
``2 + len(TERMINAL_STATUSES) + PER_ID_LIMIT`` requests, whatever the number of waiting jobs:
``GET /ai/queue`` (the active jobs); if more than ``PER_ID_LIMIT`` waiting jobs are not among them,
``GET /ai/queue?status=S`` for each terminal status; then ``GET /ai/queue/{id}`` for at most
``PER_ID_LIMIT`` jobs still unaccounted for (a 404 there ends that job's wait with NotFoundError).
A reconcile that fails (429, 5xx, no connection, after the client's own retries) is tried again
with backoff, honouring ``Retry-After``; only 401/403 end the waits.

The server sends a ``: keep-alive`` comment every 15 s. A stream on which nothing at all arrives
for ``idle_timeout`` seconds (``IDLE_TIMEOUT``, 45 s, ``Oxen(events_idle_timeout=...)``) is
treated as dead, as when a proxy or NAT forgets a connection without closing it: the hub closes
it, reconnects with backoff and reconciles, exactly as after a drop. The idle timeout is the read
timeout of the stream's connection, so every byte (event or comment) restarts it.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Iterable
from json import JSONDecodeError, loads
from typing import TYPE_CHECKING, Any, Protocol

from ._exceptions import APIStatusError
from ._models import Generation, GenerationResult
from ._retries import retry_delay
from ._types import TERMINAL_STATUSES, normalise_event

if TYPE_CHECKING:
    import httpx

__all__ = ["HubState", "SSEDecoder", "Token", "completion", "fatal", "retry_after", "rows"]

logger = logging.getLogger(__package__)

COMPLETED = "media_generation_completed"
CONNECT_WAIT = 10.0  # how long the first submit waits for the stream's first attempt
IDLE_TIMEOUT = 45.0  # keep-alives come every 15 s; silence for this long means a dead stream
RECONCILE_EVERY = 60.0
MIN_RECONCILE_GAP = 0.25
POLL_START, POLL_MAX = 1.0, 15.0
PER_ID_LIMIT = 5
RECENT_SIZE = 16384
UNAVAILABLE = frozenset({404, 405, 406, 501})

Token = tuple[int, int]
"""What a job remembers of the hub when it is enqueued: (stream epoch, evictions)."""


class Waiter(Protocol):
    """A wait for one generation's end (``_synchronization.Waiter`` or ``AsyncWaiter``)."""

    def deliver(self, result: GenerationResult | None, error: BaseException | None) -> None: ...


class SSEDecoder:
    """Server-Sent Events, line by line: yields ``(event, data)``; comments and ids are ignored."""

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []

    def feed(self, line: str) -> tuple[str, str] | None:
        line = line.rstrip("\r\n")
        if not line:
            if not self._data and not self._event:
                return None
            out = (self._event or "message", "\n".join(self._data))
            self._event, self._data = "", []
            return out
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        return None


def completion(event: str, data: str) -> GenerationResult | None:
    """The outcome an event reports, or None for any other event."""
    if event != COMPLETED:
        return None
    try:
        payload = loads(data)
    except JSONDecodeError:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("generation_id"), str):
        return None
    return GenerationResult.model_validate(normalise_event(payload))


def rows(payload: Any) -> list[dict[str, Any]]:
    rows = payload.get("generations") if isinstance(payload, dict) else None
    return [
        r for r in rows or [] if isinstance(r, dict) and isinstance(r.get("generation_id"), str)
    ]


def retry_after(exc: BaseException, attempt: int) -> float:
    headers = exc.response.headers if isinstance(exc, APIStatusError) else None
    return retry_delay(attempt, headers)


def fatal(exc: BaseException) -> bool:
    """Errors that end every wait: the key is refused."""
    return isinstance(exc, APIStatusError) and exc.status_code in (401, 403)


class HubState:
    """An event hub's bookkeeping, no I/O: waiters by id, recent results, epochs, reconcile state
    (the hub itself is ``_async/events.py`` and its blocking twin)."""

    def __init__(self, idle_timeout: float = IDLE_TIMEOUT) -> None:
        self.waiters: dict[str, list[Waiter]] = {}
        self.recent: OrderedDict[str, GenerationResult] = OrderedDict()
        self.epoch = 0  # increments on each successful (re)connect
        self.evictions = 0  # unclaimed results dropped from `recent`
        self.connected = False
        self.attempted = False  # the stream's first attempt has ended (up or failed)
        self.polling = False  # the server has no event stream
        self.closed = False
        self.requests = 0  # reconcile/poll requests made (for diagnostics)
        self.reconciles = 0
        self.idle_drops = 0  # streams given up because nothing arrived for `idle_timeout` seconds
        self.idle_timeout = idle_timeout
        self.pending = False  # a reconcile has been asked for
        self.last_reconcile = 0.0

    def stream_timeout(self) -> httpx.Timeout:
        """The stream's timeouts: reading waits at most `idle_timeout` for the next byte."""
        import httpx  # loaded by then: the hub serves a client that sends

        return httpx.Timeout(self.idle_timeout, connect=10.0)

    def failed(self, exc: BaseException, failures: int, was_up: bool) -> int:
        """The failure count after the stream ended with `exc` (backoff restarts after a stream that was up)."""
        import httpx

        if isinstance(exc, httpx.ReadTimeout):
            self.idle_drops += 1
            logger.info("event stream silent for %.3gs: reconnecting", self.idle_timeout)
        return 1 if was_up else failures + 1

    def token(self) -> Token | None:
        """What a job enqueued now must remember (None: the stream is not up)."""
        return (self.epoch, self.evictions) if self.connected else None

    def current(self, token: Token | None) -> bool:
        """Whether every event of a job enqueued at `token` has reached, or will reach, the hub."""
        return token is not None and self.connected and token == (self.epoch, self.evictions)

    def _remember(self, row: GenerationResult) -> None:
        self.recent[row.generation_id] = row
        self.recent.move_to_end(row.generation_id)
        while len(self.recent) > RECENT_SIZE:
            self.recent.popitem(last=False)
            self.evictions += 1

    def resolve(self, row: GenerationResult) -> None:
        """A generation ended: wake its waiters (or keep the result for one who comes later)."""
        if row.status not in TERMINAL_STATUSES:
            return
        waiters = self.waiters.pop(row.generation_id, None)
        if not waiters:
            self._remember(row)
            return
        for waiter in waiters:
            waiter.deliver(row, None)

    def fail(self, generation_id: str, error: BaseException) -> None:
        for waiter in self.waiters.pop(generation_id, []):
            waiter.deliver(None, error)

    def fail_all(self, error: BaseException) -> None:
        waiters, self.waiters = self.waiters, {}
        for group in waiters.values():
            for waiter in group:
                waiter.deliver(None, error)

    def handle_line(self, decoder: SSEDecoder, line: str) -> None:
        item = decoder.feed(line)
        if item is not None:
            row = completion(*item)
            if row is not None:
                self.resolve(row)

    def plan_missing(self, rows: Iterable[dict[str, Any]]) -> set[str]:
        """Resolve what `rows` report for waiting jobs; the waiting ids the rows did not mention."""
        seen = set()
        waiters = self.waiters
        for raw in rows:
            gid = raw["generation_id"]
            if gid in waiters:
                seen.add(gid)
                self.resolve(Generation.model_validate(raw))
        return {gid for gid in self.waiters if gid not in seen}

    def due(self) -> float:
        """Seconds until the next reconcile may start (0: now)."""
        return max(0.0, self.last_reconcile + MIN_RECONCILE_GAP - time.monotonic())
