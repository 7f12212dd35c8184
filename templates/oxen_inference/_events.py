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

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from json import JSONDecodeError, loads
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx

from ._base_client import backoff_delay, queue_path, retry_delay
from ._exceptions import APIStatusError, NotFoundError, OxenError
from ._models import Generation, GenerationResult
from ._types import TERMINAL_STATUSES, normalise_event

if TYPE_CHECKING:
    from ._base_client import AsyncAPIClient, SyncAPIClient

__all__ = ["AsyncEventHub", "EventHub", "SSEDecoder"]

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

W = TypeVar("W")


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


def _rows(payload: Any) -> list[dict[str, Any]]:
    rows = payload.get("generations") if isinstance(payload, dict) else None
    return [
        r for r in rows or [] if isinstance(r, dict) and isinstance(r.get("generation_id"), str)
    ]


def _retry_after(exc: BaseException, attempt: int) -> float:
    headers = exc.response.headers if isinstance(exc, APIStatusError) else None
    return retry_delay(attempt, headers)


def _fatal(exc: BaseException) -> bool:
    """Errors that end every wait: the key is refused."""
    return isinstance(exc, APIStatusError) and exc.status_code in (401, 403)


class _Hub(Generic[W]):
    """The bookkeeping both hubs share: waiters by id, recent results, epochs, reconcile state."""

    def __init__(self) -> None:
        self.waiters: dict[str, list[W]] = {}
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
        self.idle_timeout = IDLE_TIMEOUT
        self.pending = False  # a reconcile has been asked for
        self.last_reconcile = 0.0

    def stream_timeout(self) -> httpx.Timeout:
        """The stream's timeouts: reading waits at most `idle_timeout` for the next byte."""
        return httpx.Timeout(self.idle_timeout, connect=10.0)

    def failed(self, exc: BaseException, failures: int, was_up: bool) -> int:
        """The failure count after the stream ended with `exc` (backoff restarts after a stream that was up)."""
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

    def _deliver(
        self, waiter: W, row: GenerationResult | None, error: BaseException | None
    ) -> None:
        raise NotImplementedError

    def resolve(self, row: GenerationResult) -> None:
        """A generation ended: wake its waiters (or keep the result for one who comes later)."""
        if row.status not in TERMINAL_STATUSES:
            return
        waiters = self.waiters.pop(row.generation_id, None)
        if not waiters:
            self._remember(row)
            return
        for waiter in waiters:
            self._deliver(waiter, row, None)

    def fail(self, generation_id: str, error: BaseException) -> None:
        for waiter in self.waiters.pop(generation_id, []):
            self._deliver(waiter, None, error)

    def fail_all(self, error: BaseException) -> None:
        waiters, self.waiters = self.waiters, {}
        for group in waiters.values():
            for waiter in group:
                self._deliver(waiter, None, error)

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


class _SyncWaiter:
    __slots__ = ("error", "event", "notify", "row")

    def __init__(self, notify: Callable[[], object] | None = None) -> None:
        self.event = threading.Event()
        self.row: GenerationResult | None = None
        self.error: BaseException | None = None
        self.notify = notify  # called once the outcome is set (as_completed's queue)


class EventHub(_Hub[_SyncWaiter]):
    """The blocking client's hub: a daemon thread reads the stream, another reconciles."""

    def __init__(
        self, client: SyncAPIClient, *, use_events: bool = True, idle_timeout: float = IDLE_TIMEOUT
    ) -> None:
        super().__init__()
        self._client = client
        self.use_events = use_events
        self.idle_timeout = idle_timeout
        self._lock = threading.RLock()
        self._up = threading.Condition(self._lock)
        self._wake = threading.Event()
        self._ask = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._reconciler: threading.Thread | None = None
        self._response: httpx.Response | None = None
        # The process in which both threads run and the first attempt is over (start()'s fast
        # path); None until then, and again when a thread ends or the hub closes. A forked child
        # has another pid, so it starts its own threads.
        self._ready_in: int | None = None
        self._running: set[threading.Thread] = set()  # threads inside _serve

    def _deliver(
        self, waiter: _SyncWaiter, row: GenerationResult | None, error: BaseException | None
    ) -> None:
        waiter.row, waiter.error = row, error
        waiter.event.set()
        if waiter.notify is not None:
            waiter.notify()

    def start(self, timeout: float = CONNECT_WAIT) -> Token | None:
        """Open the stream if needed; wait (only for its first attempt) until it is up.

        Returns the token a job enqueued now must keep, or None if the stream is not up.
        """
        if self._ready_in == os.getpid():  # every submit passes here: no lock, no thread checks
            return self.token()  # two reads, unlocked: a torn pair only makes the job reconcile
        with self._lock:
            if self.closed:
                return None
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._serve, args=(self._run,), name="oxen-events", daemon=True
                )
                self._thread.start()
            if self._reconciler is None or not self._reconciler.is_alive():
                self._reconciler = threading.Thread(
                    target=self._serve,
                    args=(self._reconcile_loop,),
                    name="oxen-reconcile",
                    daemon=True,
                )
                self._reconciler.start()
            if not (self.connected or self.polling or self.attempted):
                self._up.wait_for(
                    lambda: self.connected or self.polling or self.closed or self.attempted,
                    timeout,
                )
            if (
                (self.connected or self.polling or self.attempted)
                and not self.closed
                and self._thread in self._running
                and self._reconciler in self._running
            ):
                self._ready_in = os.getpid()  # until a thread ends, the hub closes or we fork
            return self.token()

    def _serve(self, loop: Callable[[], None]) -> None:
        """A thread's body: `loop`, between marks that start()'s fast path goes by (both under
        the lock, so a thread that has ended can never be taken for a running one)."""
        me = threading.current_thread()
        with self._lock:
            self._running.add(me)
        try:
            loop()
        finally:
            with self._lock:
                self._running.discard(me)
                self._ready_in = None

    def register(
        self,
        generation_id: str,
        token: Token | None,
        notify: Callable[[], object] | None = None,
    ) -> _SyncWaiter:
        """A waiter for `generation_id`; asks for a reconcile if its event may have been missed.
        `notify` is called (on the hub's thread, or this one) once the outcome is known."""
        waiter = _SyncWaiter(notify)
        with self._lock:
            row = self.recent.pop(generation_id, None)
            if row is not None:
                self._deliver(waiter, row, None)
                return waiter
            self.waiters.setdefault(generation_id, []).append(waiter)
            if not self.current(token):
                self.request_reconcile()
        return waiter

    def unregister(self, generation_id: str, waiter: _SyncWaiter) -> None:
        with self._lock:
            group = self.waiters.get(generation_id, [])
            if waiter in group:
                group.remove(waiter)
            if not group:
                self.waiters.pop(generation_id, None)

    def report(self, row: GenerationResult) -> None:
        """A status learned elsewhere (a ``status()`` call, a cancel) resolves waiters too."""
        with self._lock:
            self.resolve(row)

    def request_reconcile(self) -> None:
        with self._lock:
            self.pending = True
            self._ask.notify_all()

    def close(self) -> None:
        with self._lock:
            self.closed = True
            self._ready_in = None
            self._up.notify_all()
            self._ask.notify_all()
            response = self._response
        self._wake.set()
        if response is not None:
            with contextlib.suppress(Exception):  # the reader thread may be closing it too
                response.close()

    def _mark_attempted(self) -> None:
        with self._lock:
            self.attempted = True
            self._up.notify_all()

    def _run(self) -> None:
        if not self.use_events:
            with self._lock:
                self.polling = True
                self._up.notify_all()
            self._poll()
            return
        failures = 0
        while not self.closed:
            epoch = self.epoch
            try:
                self._stream()
                failures = 0
            except OxenError as exc:
                if isinstance(exc, APIStatusError) and exc.status_code in UNAVAILABLE:
                    logger.info("no event stream (%s): polling instead", exc.status_code)
                    with self._lock:
                        self.polling = True
                        self._up.notify_all()
                    self._poll()
                    return
                failures = self.failed(exc, failures, self.epoch != epoch)
            except (httpx.HTTPError, OSError, RuntimeError) as exc:
                failures = self.failed(exc, failures, self.epoch != epoch)
            with self._lock:
                self.connected = False
            self._mark_attempted()
            if self.closed:
                return
            if self.waiters and failures >= 2:
                self.request_reconcile()  # the stream keeps failing: poll meanwhile
            self._wake.wait(backoff_delay(failures, initial=0.2, maximum=10.0))
            self._wake.clear()

    def _stream(self) -> None:
        response = self._client.request(
            "GET",
            "/events",
            stream=True,
            retry=False,
            limited=False,
            timeout=self.stream_timeout(),
            extra_headers={"Accept": "text/event-stream", "Cache-Control": "no-cache"},
        )
        try:
            if "text/event-stream" not in response.headers.get("content-type", ""):
                raise NotFoundError(
                    "the events route did not answer with an event stream",
                    response=response,
                    body=None,
                )
            with self._lock:
                self._response = response
                self.epoch += 1
                self.connected = True
                self.attempted = True
                self._up.notify_all()
                if self.waiters:  # results may have been missed while the stream was down
                    self.request_reconcile()
            decoder = SSEDecoder()
            last = time.monotonic()
            for line in response.iter_lines():
                with self._lock:
                    self.handle_line(decoder, line)
                if self.closed:
                    return
                if self.waiters and time.monotonic() - last > RECONCILE_EVERY:
                    self.request_reconcile()
                    last = time.monotonic()
        finally:
            with self._lock:
                self._response = None
            response.close()

    def _poll(self) -> None:
        interval = POLL_START
        while not self.closed:
            if self.waiters:
                self.request_reconcile()
                interval = min(POLL_MAX, interval * 1.5)
            else:
                interval = POLL_START
            self._wake.wait(interval)
            self._wake.clear()

    def _reconcile_loop(self) -> None:
        attempt = 0
        while True:
            with self._lock:
                self._ask.wait_for(lambda: self.closed or (self.pending and bool(self.waiters)))
                if self.closed:
                    return
            gap = self.due()
            if gap > 0:
                time.sleep(gap)
            with self._lock:
                self.pending = False
                self.last_reconcile = time.monotonic()
            try:
                self.reconcile()
                attempt = 0
            except Exception as exc:  # a garbled answer too: try again later, never die
                logger.info("reconcile failed: %s", exc)
                if _fatal(exc):
                    with self._lock:
                        self.fail_all(exc)
                    continue
                delay = _retry_after(exc, attempt)
                attempt += 1
                with self._lock:
                    self.pending = True
                    self._ask.wait_for(lambda: self.closed, delay)

    def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        self.requests += 1
        return self._client.get_json(path, params=params)

    def reconcile(self) -> None:
        """Bring every waiter up to date with a few list requests."""
        with self._lock:
            if not self.waiters:
                return
            self.reconciles += 1
        active = _rows(self._get("/ai/queue"))
        with self._lock:
            missing = self.plan_missing(active)
        if len(missing) > PER_ID_LIMIT:
            for status in TERMINAL_STATUSES:
                rows = _rows(self._get("/ai/queue", {"status": status}))
                with self._lock:
                    missing &= self.plan_missing(rows)
        unknown = sorted(missing)
        for gid in unknown[:PER_ID_LIMIT]:
            try:
                row = Generation.model_validate(self._get(queue_path(gid)))
            except NotFoundError as exc:
                with self._lock:
                    self.fail(gid, exc)
                continue
            with self._lock:
                self.resolve(row)
        if len(unknown) > PER_ID_LIMIT:
            self.request_reconcile()


class AsyncEventHub(_Hub["asyncio.Future[GenerationResult]"]):
    """The asyncio client's hub: a task reads the stream, another reconciles; waiters are futures."""

    def __init__(
        self, client: AsyncAPIClient, *, use_events: bool = True, idle_timeout: float = IDLE_TIMEOUT
    ) -> None:
        super().__init__()
        self._client = client
        self.use_events = use_events
        self.idle_timeout = idle_timeout
        self._task: asyncio.Task[None] | None = None
        self._reconciler: asyncio.Task[None] | None = None
        self._up: asyncio.Event | None = None
        self._wake: asyncio.Event | None = None
        self._ask: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _deliver(
        self,
        waiter: asyncio.Future[GenerationResult],
        row: GenerationResult | None,
        error: BaseException | None,
    ) -> None:
        if waiter.done():
            return
        if error is not None:
            waiter.set_exception(error)
        elif row is not None:
            waiter.set_result(row)

    async def start(self, timeout: float = CONNECT_WAIT) -> Token | None:
        """Open the stream if needed; wait (only for its first attempt) until it is up."""
        if self.closed:
            return None
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._task is None or self._task.done():
            if self._loop is not loop:
                self.connected, self.polling, self.attempted = False, False, False
                self._up, self._wake, self._ask = asyncio.Event(), asyncio.Event(), asyncio.Event()
            self._loop = loop
            self._task = loop.create_task(self._run(), name="oxen-events")
        reconciler = self._reconciler
        if reconciler is None or reconciler.done() or reconciler.get_loop() is not loop:
            self._reconciler = loop.create_task(self._reconcile_loop(), name="oxen-reconcile")
        up = self._up
        assert up is not None
        if not (self.connected or self.polling or self.attempted):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(up.wait(), timeout)
        return self.token()

    def register(self, generation_id: str, token: Token | None) -> asyncio.Future[GenerationResult]:
        """A waiter for `generation_id`; asks for a reconcile if its event may have been missed."""
        waiter: asyncio.Future[GenerationResult] = asyncio.get_running_loop().create_future()
        row = self.recent.pop(generation_id, None)
        if row is not None:
            waiter.set_result(row)
            return waiter
        self.waiters.setdefault(generation_id, []).append(waiter)
        if not self.current(token):
            self.request_reconcile()
        return waiter

    def unregister(self, generation_id: str, waiter: asyncio.Future[GenerationResult]) -> None:
        group = self.waiters.get(generation_id, [])
        if waiter in group:
            group.remove(waiter)
        if not group:
            self.waiters.pop(generation_id, None)

    def report(self, row: GenerationResult) -> None:
        self.resolve(row)

    def request_reconcile(self) -> None:
        self.pending = True
        if self._ask is not None:
            self._ask.set()

    async def close(self) -> None:
        self.closed = True
        for task in (self._task, self._reconciler):
            if (
                task is not None
                and not task.done()
                and task.get_loop() is asyncio.get_running_loop()
            ):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    def _set_up(self) -> None:
        if self._up is not None:
            self._up.set()

    async def _sleep(self, seconds: float) -> None:
        wake = self._wake
        assert wake is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), seconds)
        wake.clear()

    async def _run(self) -> None:
        if not self.use_events:
            self.polling = True
            self._set_up()
            await self._poll()
            return
        failures = 0
        while not self.closed:
            epoch = self.epoch
            try:
                await self._stream()
                failures = 0
            except OxenError as exc:
                if isinstance(exc, APIStatusError) and exc.status_code in UNAVAILABLE:
                    logger.info("no event stream (%s): polling instead", exc.status_code)
                    self.polling = True
                    self._set_up()
                    await self._poll()
                    return
                failures = self.failed(exc, failures, self.epoch != epoch)
            except (httpx.HTTPError, OSError, RuntimeError) as exc:
                failures = self.failed(exc, failures, self.epoch != epoch)
            self.connected = False
            self.attempted = True
            self._set_up()  # wakes submits waiting for the first attempt
            if self._up is not None:
                self._up.clear()
            if self.waiters and failures >= 2:
                self.request_reconcile()  # the stream keeps failing: poll meanwhile
            await self._sleep(backoff_delay(failures, initial=0.2, maximum=10.0))

    async def _stream(self) -> None:
        response = await self._client.request(
            "GET",
            "/events",
            stream=True,
            retry=False,
            limited=False,
            timeout=self.stream_timeout(),
            extra_headers={"Accept": "text/event-stream", "Cache-Control": "no-cache"},
        )
        try:
            if "text/event-stream" not in response.headers.get("content-type", ""):
                raise NotFoundError(
                    "the events route did not answer with an event stream",
                    response=response,
                    body=None,
                )
            self.epoch += 1
            self.connected = True
            self.attempted = True
            self._set_up()
            if self.waiters:  # results may have been missed while the stream was down
                self.request_reconcile()
            decoder = SSEDecoder()
            last = time.monotonic()
            async for line in response.aiter_lines():
                self.handle_line(decoder, line)
                if self.waiters and time.monotonic() - last > RECONCILE_EVERY:
                    self.request_reconcile()
                    last = time.monotonic()
        finally:
            await response.aclose()

    async def _poll(self) -> None:
        interval = POLL_START
        while not self.closed:
            if self.waiters:
                self.request_reconcile()
                interval = min(POLL_MAX, interval * 1.5)
            else:
                interval = POLL_START
            await self._sleep(interval)

    async def _reconcile_loop(self) -> None:
        attempt = 0
        while not self.closed:
            ask = self._ask
            assert ask is not None
            if not (self.pending and self.waiters):
                ask.clear()
                await ask.wait()
                continue
            gap = self.due()
            if gap > 0:
                await asyncio.sleep(gap)
            self.pending = False
            self.last_reconcile = time.monotonic()
            try:
                await self.reconcile()
                attempt = 0
            except Exception as exc:  # a garbled answer too: try again later, never die
                logger.info("reconcile failed: %s", exc)
                if _fatal(exc):
                    self.fail_all(exc)
                    continue
                self.pending = True
                await asyncio.sleep(_retry_after(exc, attempt))
                attempt += 1

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        self.requests += 1
        return await self._client.get_json(path, params=params)

    async def reconcile(self) -> None:
        """Bring every waiter up to date with a few list requests."""
        if not self.waiters:
            return
        self.reconciles += 1
        missing = self.plan_missing(_rows(await self._get("/ai/queue")))
        if len(missing) > PER_ID_LIMIT:
            for status in TERMINAL_STATUSES:
                missing &= self.plan_missing(
                    _rows(await self._get("/ai/queue", {"status": status}))
                )
        unknown = sorted(missing)
        for gid in unknown[:PER_ID_LIMIT]:
            try:
                row = Generation.model_validate(await self._get(queue_path(gid)))
            except NotFoundError as exc:
                self.fail(gid, exc)
                continue
            self.resolve(row)
        if len(unknown) > PER_ID_LIMIT:
            self.request_reconcile()
