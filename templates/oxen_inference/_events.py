"""One shared ``/events`` stream per client, serving every waiting job.

The stream is opened before the first enqueue (events are not replayed, so a job's completion must
find the stream already open). Completion events resolve the waiters of their generation id; an
event that arrives before anyone waits (a fast job) is kept in a small recent-results cache.
When the stream drops, the hub reconnects with backoff and then reconciles the jobs still waiting
with a few list requests (``GET /ai/queue`` for the active ones, then one request per terminal
status, or per id when only a few are missing), never one request per job. If the server has no
event stream, the hub polls the same way, with growing intervals. Cancelled jobs emit no event:
a periodic reconcile (every ``RECONCILE_EVERY`` seconds) catches those too.

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
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Iterator
from json import JSONDecodeError, loads
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx

from ._base_client import backoff_delay
from ._exceptions import APIStatusError, NotFoundError, OxenError
from ._models import Generation
from ._types import TERMINAL_STATUSES, normalise_event

if TYPE_CHECKING:
    from ._base_client import AsyncAPIClient, SyncAPIClient

__all__ = ["AsyncEventHub", "EventHub", "SSEDecoder"]

logger = logging.getLogger(__package__)

COMPLETED = "media_generation_completed"
CONNECT_WAIT = 10.0  # how long a submit waits for the stream to open before going on without it
IDLE_TIMEOUT = 45.0  # keep-alives come every 15 s; silence for this long means a dead stream
RECONCILE_EVERY = 60.0
POLL_START, POLL_MAX = 1.0, 15.0
PER_ID_LIMIT = 5
RECENT_SIZE = 4096
UNAVAILABLE = frozenset({404, 405, 406, 501})

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


def completion(event: str, data: str) -> Generation | None:
    """The finished generation an event reports, or None for any other event."""
    if event != COMPLETED:
        return None
    try:
        payload = loads(data)
    except JSONDecodeError:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("generation_id"), str):
        return None
    return Generation.model_validate(normalise_event(payload))


class _Hub(Generic[W]):
    """The bookkeeping both hubs share: waiters by id, recent results, connection epochs."""

    def __init__(self) -> None:
        self.waiters: dict[str, list[W]] = {}
        self.recent: OrderedDict[str, Generation] = OrderedDict()
        self.epoch = 0  # increments on each successful (re)connect
        self.connected = False
        self.polling = False  # the server has no event stream
        self.closed = False
        self.requests = 0  # reconcile/poll requests made (for diagnostics)
        self.idle_drops = 0  # streams given up because nothing arrived for `idle_timeout` seconds
        self.idle_timeout = IDLE_TIMEOUT

    def stream_timeout(self) -> httpx.Timeout:
        """The stream's timeouts: reading waits at most `idle_timeout` for the next byte."""
        return httpx.Timeout(self.idle_timeout, connect=10.0)

    def failed(self, exc: BaseException, failures: int, was_up: bool) -> int:
        """The failure count after the stream ended with `exc` (backoff restarts after a stream that was up)."""
        if isinstance(exc, httpx.ReadTimeout):
            self.idle_drops += 1
            logger.info("event stream silent for %.3gs: reconnecting", self.idle_timeout)
        return 1 if was_up else failures + 1

    def current(self, epoch: int | None) -> bool:
        """Whether the stream has been up, without a gap, since `epoch` was taken."""
        return epoch is not None and self.connected and epoch == self.epoch

    def _remember(self, row: Generation) -> None:
        self.recent[row.generation_id] = row
        self.recent.move_to_end(row.generation_id)
        while len(self.recent) > RECENT_SIZE:
            self.recent.popitem(last=False)

    def _deliver(self, waiter: W, row: Generation | None, error: BaseException | None) -> None:
        raise NotImplementedError

    def resolve(self, row: Generation) -> None:
        """A generation ended: wake its waiters (or keep the result for one who comes later)."""
        if row.status not in TERMINAL_STATUSES:
            return
        self._remember(row)
        for waiter in self.waiters.pop(row.generation_id, []):
            self._deliver(waiter, row, None)

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
        """Resolve what `rows` report; the waiting ids the rows did not mention."""
        seen = set()
        for raw in rows:
            row = Generation.model_validate(raw)
            seen.add(row.generation_id)
            self.resolve(row)
        return {gid for gid in self.waiters if gid not in seen}


def _rows(payload: Any) -> list[dict[str, Any]]:
    rows = payload.get("generations") if isinstance(payload, dict) else None
    return [
        r for r in rows or [] if isinstance(r, dict) and isinstance(r.get("generation_id"), str)
    ]


class _SyncWaiter:
    __slots__ = ("error", "event", "row")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.row: Generation | None = None
        self.error: BaseException | None = None


class EventHub(_Hub[_SyncWaiter]):
    """The blocking client's hub: one daemon thread reads the stream and reconciles."""

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
        self._thread: threading.Thread | None = None
        self._response: httpx.Response | None = None

    def _deliver(
        self, waiter: _SyncWaiter, row: Generation | None, error: BaseException | None
    ) -> None:
        waiter.row, waiter.error = row, error
        waiter.event.set()

    def start(self, timeout: float = CONNECT_WAIT) -> int | None:
        """Open the stream if needed and wait until it is up; its epoch, or None if it is not."""
        with self._lock:
            if self.closed:
                return None
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="oxen-events", daemon=True)
                self._thread.start()
            self._up.wait_for(lambda: self.connected or self.polling or self.closed, timeout)
            return self.epoch if self.connected else None

    def register(self, generation_id: str) -> _SyncWaiter:
        waiter = _SyncWaiter()
        with self._lock:
            row = self.recent.get(generation_id)
            if row is not None:
                self._deliver(waiter, row, None)
            else:
                self.waiters.setdefault(generation_id, []).append(waiter)
        return waiter

    def unregister(self, generation_id: str, waiter: _SyncWaiter) -> None:
        with self._lock:
            group = self.waiters.get(generation_id, [])
            if waiter in group:
                group.remove(waiter)
            if not group:
                self.waiters.pop(generation_id, None)

    def report(self, row: Generation) -> None:
        """A status learned elsewhere (a ``status()`` call, a cancel) resolves waiters too."""
        with self._lock:
            self.resolve(row)

    def close(self) -> None:
        with self._lock:
            self.closed = True
            self._up.notify_all()
            response = self._response
        self._wake.set()
        if response is not None:
            with contextlib.suppress(Exception):  # the reader thread may be closing it too
                response.close()

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
            if self.closed:
                return
            if self.waiters and failures >= 2:
                self._safe_reconcile()
            self._wake.wait(backoff_delay(failures, initial=0.2, maximum=10.0))
            self._wake.clear()

    def _stream(self) -> None:
        response = self._client.request(
            "GET",
            "/events",
            stream=True,
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
                first = self.epoch == 1
                self._up.notify_all()
            if not first and self.waiters:
                self._safe_reconcile()
            decoder = SSEDecoder()
            last = time.monotonic()
            for line in response.iter_lines():
                with self._lock:
                    self.handle_line(decoder, line)
                if self.closed:
                    return
                if self.waiters and time.monotonic() - last > RECONCILE_EVERY:
                    self._safe_reconcile()
                    last = time.monotonic()
        finally:
            with self._lock:
                self._response = None
            response.close()

    def _poll(self) -> None:
        interval = POLL_START
        while not self.closed:
            if self.waiters:
                self._safe_reconcile()
                interval = min(POLL_MAX, interval * 1.5)
            else:
                interval = POLL_START
            self._wake.wait(interval)
            self._wake.clear()

    def _safe_reconcile(self) -> None:
        try:
            self.reconcile()
        except APIStatusError as exc:
            if exc.status_code in (401, 403):
                with self._lock:
                    self.fail_all(exc)
            logger.info("reconcile failed: %s", exc)
        except OxenError as exc:
            logger.info("reconcile failed: %s", exc)

    def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        self.requests += 1
        return self._client.get_json(path, params=params)

    def reconcile(self) -> None:
        """Bring every waiter up to date with a few list requests."""
        with self._lock:
            if not self.waiters:
                return
        active = _rows(self._get("/ai/queue"))
        with self._lock:
            missing = self.plan_missing(active)
        if len(missing) > PER_ID_LIMIT:
            for status in TERMINAL_STATUSES:
                rows = _rows(self._get("/ai/queue", {"status": status}))
                with self._lock:
                    missing &= self.plan_missing(rows)
        for gid in sorted(missing)[: PER_ID_LIMIT * 4]:
            try:
                row = Generation.model_validate(self._get(f"/ai/queue/{gid}"))
            except NotFoundError as exc:
                with self._lock:
                    for waiter in self.waiters.pop(gid, []):
                        self._deliver(waiter, None, exc)
                continue
            with self._lock:
                self.resolve(row)

    def __iter__(self) -> Iterator[str]:  # pragma: no cover - debugging aid
        return iter(list(self.waiters))


class AsyncEventHub(_Hub["asyncio.Future[Generation]"]):
    """The asyncio client's hub: one task reads the stream; thousands of waiters are futures."""

    def __init__(
        self, client: AsyncAPIClient, *, use_events: bool = True, idle_timeout: float = IDLE_TIMEOUT
    ) -> None:
        super().__init__()
        self._client = client
        self.use_events = use_events
        self.idle_timeout = idle_timeout
        self._task: asyncio.Task[None] | None = None
        self._up: asyncio.Event | None = None
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _deliver(
        self,
        waiter: asyncio.Future[Generation],
        row: Generation | None,
        error: BaseException | None,
    ) -> None:
        if waiter.done():
            return
        if error is not None:
            waiter.set_exception(error)
        elif row is not None:
            waiter.set_result(row)

    async def start(self, timeout: float = CONNECT_WAIT) -> int | None:
        if self.closed:
            return None
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._task is None or self._task.done():
            if self._loop is not loop:
                self.connected, self.polling = False, False
            self._loop = loop
            self._up, self._wake = asyncio.Event(), asyncio.Event()
            self._task = loop.create_task(self._run(), name="oxen-events")
        up = self._up
        assert up is not None
        if not (self.connected or self.polling):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(up.wait(), timeout)
        return self.epoch if self.connected else None

    def register(self, generation_id: str) -> asyncio.Future[Generation]:
        waiter: asyncio.Future[Generation] = asyncio.get_running_loop().create_future()
        row = self.recent.get(generation_id)
        if row is not None:
            waiter.set_result(row)
        else:
            self.waiters.setdefault(generation_id, []).append(waiter)
        return waiter

    def unregister(self, generation_id: str, waiter: asyncio.Future[Generation]) -> None:
        group = self.waiters.get(generation_id, [])
        if waiter in group:
            group.remove(waiter)
        if not group:
            self.waiters.pop(generation_id, None)

    def report(self, row: Generation) -> None:
        self.resolve(row)

    async def close(self) -> None:
        self.closed = True
        task = self._task
        if task is not None and not task.done() and task.get_loop() is asyncio.get_running_loop():
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
            if self._up is not None:
                self._up.clear()
            if self.waiters and failures >= 2:
                await self._safe_reconcile()
            await self._sleep(backoff_delay(failures, initial=0.2, maximum=10.0))

    async def _stream(self) -> None:
        response = await self._client.request(
            "GET",
            "/events",
            stream=True,
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
            self._set_up()
            if self.epoch > 1 and self.waiters:
                await self._safe_reconcile()
            decoder = SSEDecoder()
            last = time.monotonic()
            async for line in response.aiter_lines():
                self.handle_line(decoder, line)
                if self.waiters and time.monotonic() - last > RECONCILE_EVERY:
                    await self._safe_reconcile()
                    last = time.monotonic()
        finally:
            await response.aclose()

    async def _poll(self) -> None:
        interval = POLL_START
        while not self.closed:
            if self.waiters:
                await self._safe_reconcile()
                interval = min(POLL_MAX, interval * 1.5)
            else:
                interval = POLL_START
            await self._sleep(interval)

    async def _safe_reconcile(self) -> None:
        try:
            await self.reconcile()
        except APIStatusError as exc:
            if exc.status_code in (401, 403):
                self.fail_all(exc)
            logger.info("reconcile failed: %s", exc)
        except OxenError as exc:
            logger.info("reconcile failed: %s", exc)

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        self.requests += 1
        return await self._client.get_json(path, params=params)

    async def reconcile(self) -> None:
        if not self.waiters:
            return
        missing = self.plan_missing(_rows(await self._get("/ai/queue")))
        if len(missing) > PER_ID_LIMIT:
            for status in TERMINAL_STATUSES:
                missing &= self.plan_missing(
                    _rows(await self._get("/ai/queue", {"status": status}))
                )
        fetch: Callable[[str], Awaitable[Any]] = self._get
        for gid in sorted(missing)[: PER_ID_LIMIT * 4]:
            try:
                row = Generation.model_validate(await fetch(f"/ai/queue/{gid}"))
            except NotFoundError as exc:
                for waiter in self.waiters.pop(gid, []):
                    self._deliver(waiter, None, exc)
                continue
            self.resolve(row)
