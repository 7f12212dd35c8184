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

Whatever the stream sends, the hub goes on. A completion event it cannot read (not JSON, no
string id, a status that is no status, a field of the wrong type, a number too long to parse,
nesting too deep) is dropped with a warning, and every job that may have missed its event is
reconciled. A line (or an event) longer than ``MAX_LINE_BYTES`` drops the connection, which is
made again and reconciled as after any drop. Each id has one outcome, the first one seen (by
event, reconciliation or a ``status()`` call): a later, contradictory event changes nothing,
and every handle on the id gets that same outcome. Should one of the hub's loops stop on an
error nobody foresaw, it is logged and the loop restarted after a pause, the waits served by
reconciliation meanwhile. ``close()`` ends every pending wait with ``ClientClosedError``.

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
from json import loads
from typing import TYPE_CHECKING, Any, Protocol

from ._api import CONNECT_WAIT  # how long the first submit waits for the stream's first attempt
from ._bodies import MAX_LINE_BYTES, LineTooLong
from ._exceptions import APIStatusError, ClientClosedError
from ._models import Generation, GenerationResult
from ._retries import retry_delay
from ._types import TERMINAL_STATUSES, normalise_event

if TYPE_CHECKING:
    import httpx

__all__ = [
    "CONNECT_WAIT",
    "UNREADABLE",
    "HubState",
    "SSEDecoder",
    "Token",
    "closed_error",
    "completion",
    "fatal",
    "retry_after",
    "rows",
]

logger = logging.getLogger(__package__)

COMPLETED = "media_generation_completed"
IDLE_TIMEOUT = 45.0  # keep-alives come every 15 s; silence for this long means a dead stream
RECONCILE_EVERY = 60.0
MIN_RECONCILE_GAP = 0.25
POLL_START, POLL_MAX = 1.0, 15.0
PER_ID_LIMIT = 5
RECENT_SIZE = 16384
UNAVAILABLE = frozenset({404, 405, 406, 501})
STATUSES = frozenset({"queued", "processing", *TERMINAL_STATUSES})
UNREADABLE = (ValueError, TypeError, RecursionError)  # what reading a hostile event can raise

Token = tuple[int, int]
"""What a job remembers of the hub when it is enqueued: (stream epoch, evictions)."""


class Waiter(Protocol):
    """A wait for one generation's end (``_synchronization.Waiter`` or ``AsyncWaiter``)."""

    def deliver(self, result: GenerationResult | None, error: BaseException | None) -> None: ...


class SSEDecoder:
    """Server-Sent Events, line by line: yields ``(event, data)``; comments and ids are ignored.
    An event whose data passes `limit` characters raises LineTooLong (its lines are kept until
    the blank line that ends it, so the cap is on the whole event)."""

    def __init__(self, limit: int = MAX_LINE_BYTES) -> None:
        self._event = ""
        self._data: list[str] = []
        self._size = 0
        self._limit = limit

    def feed(self, line: str) -> tuple[str, str] | None:
        line = line.rstrip("\r\n")
        if not line:
            if not self._data and not self._event:
                return None
            out = (self._event or "message", "\n".join(self._data))
            self._event, self._data, self._size = "", [], 0
            return out
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._size += len(value) + 1
            if self._size > self._limit:
                self._data, self._size = [], 0
                raise LineTooLong(self._limit)
            self._data.append(value)
        return None


def completion(event: str, data: str) -> GenerationResult | None:
    """The outcome a completion event reports (None: another event, or a job that has not
    ended). Raises one of ``UNREADABLE`` for a completion event that cannot be read: not a JSON
    object, no string id, a status that is no status, a field of the wrong type (a number of
    100,000 digits and nesting too deep for Python's parser included)."""
    if event != COMPLETED:
        return None
    payload = loads(data)
    if not isinstance(payload, dict):
        raise ValueError(f"not a JSON object but {type(payload).__name__}")
    gid, status = payload.get("generation_id"), payload.get("status")
    if not isinstance(gid, str) or not gid:
        raise ValueError(f"generation_id is {gid!r:.50}, not an id")
    if status not in STATUSES:
        raise ValueError(f"status is {status!r:.50}, not a status")
    row = GenerationResult.model_validate(normalise_event(payload))
    return row if row.status in TERMINAL_STATUSES else None


def rows(payload: Any) -> list[dict[str, Any]]:
    rows = payload.get("generations") if isinstance(payload, dict) else None
    return [
        r for r in rows or [] if isinstance(r, dict) and isinstance(r.get("generation_id"), str)
    ]


def retry_after(exc: BaseException, attempt: int) -> float:
    headers = exc.response.headers if isinstance(exc, APIStatusError) else None
    return retry_delay(attempt, headers)


def closed_error(generation_id: str) -> ClientClosedError:
    return ClientClosedError(
        f"the client was closed while waiting for generation {generation_id}; it keeps "
        f"running: a new client's job({generation_id!r}).wait() picks it up again"
    )


def fatal(exc: BaseException) -> bool:
    """Errors that end every wait: the key is refused."""
    return isinstance(exc, APIStatusError) and exc.status_code in (401, 403)


class HubState:
    """An event hub's bookkeeping, no I/O: waiters by id, recent results, epochs, reconcile state
    (the hub itself is ``_async/events.py`` and its blocking twin)."""

    def __init__(self, idle_timeout: float = IDLE_TIMEOUT) -> None:
        self.waiters: dict[str, list[Waiter]] = {}
        # id -> (its outcome, the first one seen; whether a waiter has had it)
        self.recent: OrderedDict[str, tuple[GenerationResult, bool]] = OrderedDict()
        self.epoch = 0  # increments on each successful (re)connect
        self.evictions = 0  # unclaimed results dropped from `recent`, and events dropped
        self.dropped = 0  # completion events that could not be read
        self.crashes = 0  # loops of the hub restarted after an unforeseen error
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

    def outcome(self, generation_id: str) -> GenerationResult | None:
        """How `generation_id` ended, if the hub knows (a waiter is about to have it)."""
        entry = self.recent.get(generation_id)
        if entry is None:
            return None
        if not entry[1]:
            self.recent[generation_id] = (entry[0], True)
        return entry[0]

    def resolve(self, row: GenerationResult) -> None:
        """A generation ended: wake its waiters, and keep the outcome for handles that ask later.
        The first outcome seen for an id is its outcome: a later one changes nothing."""
        if row.status not in TERMINAL_STATUSES:
            return
        gid = row.generation_id
        waiters = self.waiters.pop(gid, None)
        entry = self.recent.get(gid)
        if entry is not None:
            row = entry[0]
            if waiters and not entry[1]:
                self.recent[gid] = (row, True)
        else:
            self.recent[gid] = (row, bool(waiters))
            while len(self.recent) > RECENT_SIZE:
                if not self.recent.popitem(last=False)[1][1]:
                    self.evictions += 1  # its job may wait later: reconcile then
        for waiter in waiters or ():
            waiter.deliver(row, None)

    def fail(self, generation_id: str, error: BaseException) -> None:
        for waiter in self.waiters.pop(generation_id, []):
            waiter.deliver(None, error)

    def fail_all(self, error: BaseException) -> None:
        waiters, self.waiters = self.waiters, {}
        for group in waiters.values():
            for waiter in group:
                waiter.deliver(None, error)

    def close_all(self) -> None:
        """The hub closes: every wait ends with its own ClientClosedError."""
        self.closed = True
        waiters, self.waiters = self.waiters, {}
        for gid, group in waiters.items():
            for waiter in group:
                waiter.deliver(None, closed_error(gid))

    def handle_line(self, decoder: SSEDecoder, line: str) -> bool:
        """Take one line of the stream; True when a reconcile is needed (an event was dropped)."""
        item = decoder.feed(line)
        if item is None or item[0] != COMPLETED:
            return False
        try:
            row = completion(*item)
        except UNREADABLE as exc:
            self.drop(exc)
            return True
        if row is not None:
            self.resolve(row)
        return False

    def drop(self, why: BaseException) -> None:
        """A completion event could not be read: any job enqueued until now may have lost its
        outcome with it, so each reconciles (now if it waits, else when it does)."""
        self.dropped += 1
        self.evictions += 1
        logger.warning(
            "dropped a completion event that cannot be read (%s: %.200s); waiting jobs are "
            "reconciled",
            type(why).__name__,
            why,
        )

    def plan_missing(self, rows: Iterable[dict[str, Any]]) -> set[str]:
        """Resolve what `rows` report for waiting jobs; the waiting ids the rows did not mention."""
        seen = set()
        waiters = self.waiters
        for raw in rows:
            gid = raw["generation_id"]
            if gid in waiters:
                try:
                    row = Generation.model_validate(raw)
                except UNREADABLE:
                    continue  # a row that cannot be read: the job is asked about by its id
                seen.add(gid)
                self.resolve(row)
        return {gid for gid in self.waiters if gid not in seen}

    def due(self) -> float:
        """Seconds until the next reconcile may start (0: now)."""
        return max(0.0, self.last_reconcile + MIN_RECONCILE_GAP - time.monotonic())
