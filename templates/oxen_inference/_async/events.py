"""One shared ``/events`` stream per client, serving every waiting job (see ``_events`` for what
the hub promises; its bookkeeping is ``_events.HubState``).

Two background loops: the reader holds the stream open (reconnecting with backoff, or polling
when the server has no stream) and resolves waiters from completion events; the reconciler brings
waiters up to date with list requests when their event may have been missed. They run as tasks
of the event loop, or as daemon threads in the blocking twin, under ``_synchronization.Workers``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx  # this module is loaded by the first submit or wait: httpx is in use by then

from .._bodies import MAX_LINE_BYTES, LineTooLong
from .._checks import queue_path
from .._events import (
    CONNECT_WAIT,
    IDLE_TIMEOUT,
    PER_ID_LIMIT,
    POLL_MAX,
    POLL_START,
    RECONCILE_EVERY,
    UNAVAILABLE,
    UNREADABLE,
    HubState,
    SSEDecoder,
    Token,
    closed_error,
    fatal,
    logger,
    retry_after,
    rows,
)
from .._exceptions import APIStatusError, NotFoundError, OxenError
from .._models import Generation, GenerationResult
from .._retries import backoff_delay
from .._synchronization import AsyncThreadLock, AsyncWaiter, AsyncWorkers, async_sleep
from .._types import TERMINAL_STATUSES
from .bodies import lines

if TYPE_CHECKING:
    from .api_client import AsyncAPIClient

__all__ = ["AsyncEventHub"]


class AsyncEventHub(HubState):
    """A client's hub: every job's ``wait()`` registers here instead of polling."""

    def __init__(
        self,
        client: AsyncAPIClient,
        *,
        use_events: bool = True,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        super().__init__(idle_timeout)
        self._client = client
        self.use_events = use_events
        self._lock = AsyncThreadLock()
        self._workers = AsyncWorkers(self._lock)
        self._response: httpx.Response | None = None

    async def start(self, timeout: float = CONNECT_WAIT) -> Token | None:
        """Open the stream if needed; wait (only for its first attempt) until it is up.

        Returns the token a job enqueued now must keep, or None if the stream is not up.
        """
        if self._workers.ready():  # every submit passes here: no lock, nothing started
            return self.token()  # two reads, unlocked: a torn pair only makes the job reconcile
        with self._lock:
            if self.closed:
                return None
            loops = {"oxen-events": self._reader, "oxen-reconcile": self._reconciler}
            if self._workers.start(loops):  # a new event loop: the stream starts over
                self.connected = self.polling = self.attempted = False
        if not (self.connected or self.polling or self.attempted):
            await self._workers.up.wait(timeout)
        with self._lock:
            if (self.connected or self.polling or self.attempted) and not self.closed:
                self._workers.settled()
            return self.token()

    def register(
        self,
        generation_id: str,
        token: Token | None,
        notify: Callable[[], object] | None = None,
    ) -> AsyncWaiter[GenerationResult]:
        """A waiter for `generation_id`; asks for a reconcile if its event may have been missed.
        `notify` is called (on the hub's loop or thread, or this one) once the outcome is known."""
        waiter: AsyncWaiter[GenerationResult] = AsyncWaiter(notify)
        with self._lock:
            if self.closed:
                waiter.deliver(None, closed_error(generation_id))
                return waiter
            row = self.outcome(generation_id)
            if row is not None:
                waiter.deliver(row, None)
                return waiter
            self.waiters.setdefault(generation_id, []).append(waiter)
            if not self.current(token):
                self.request_reconcile()
        return waiter

    def known(self, generation_id: str) -> GenerationResult | None:
        """The outcome the hub holds for `generation_id` (the first seen), if any."""
        with self._lock:
            return self.outcome(generation_id)

    def unregister(self, generation_id: str, waiter: AsyncWaiter[GenerationResult]) -> None:
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
            self._workers.ask.set()

    async def close(self) -> None:
        """Stop the loops and close the stream; every pending wait ends with ClientClosedError."""
        with self._lock:
            self.close_all()
            response = self._response
        await self._workers.stop(response)

    # -- supervision ---------------------------------------------------------------------------

    async def _reader(self) -> None:
        await self._supervised("event reader", self._run)

    async def _reconciler(self) -> None:
        await self._supervised("reconciler", self._reconcile_loop)

    async def _supervised(self, name: str, loop: Callable[[], Any]) -> None:
        """Run `loop` until the hub closes. Should it stop on an error nobody foresaw (a bug), the
        error is logged and the loop started again after a pause; meanwhile every waiting job is
        served by reconciliation (the stream counts as down)."""
        crashes = 0
        while not self.closed:
            try:
                await loop()
                return
            except Exception as exc:  # the hub must not die: anything at all is survived
                crashes += 1
                logger.warning(
                    "the event hub's %s stopped on %s: %s; restarting it (waiting jobs are "
                    "reconciled meanwhile)",
                    name,
                    type(exc).__name__,
                    exc,
                    exc_info=exc,
                )
                with self._lock:
                    self.crashes += 1
                    self.connected = False
                    self.evictions += 1  # jobs enqueued until now may have lost their event
                self.request_reconcile()
                await self._workers.stopping.wait(backoff_delay(crashes, initial=0.2, maximum=10.0))

    # -- the reader ----------------------------------------------------------------------------

    async def _run(self) -> None:
        if not self.use_events:
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
                    await self._poll()
                    return
                failures = self.failed(exc, failures, self.epoch != epoch)
            except (httpx.HTTPError, OSError, RuntimeError) as exc:
                failures = self.failed(exc, failures, self.epoch != epoch)
            except LineTooLong as exc:
                logger.warning("the event stream sent %s: reconnecting", exc)
                failures = self.failed(exc, failures, self.epoch != epoch)
            with self._lock:
                self.connected = False
                self.attempted = True
            self._workers.up.set()  # wakes submits waiting for the first attempt
            if self.closed:
                return
            if self.waiters and failures >= 2:
                self.request_reconcile()  # the stream keeps failing: poll meanwhile
            await self._pause(backoff_delay(failures, initial=0.2, maximum=10.0))

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
            with self._lock:
                self._response = response
                self.epoch += 1
                self.connected = True
                self.attempted = True
                if self.waiters:  # results may have been missed while the stream was down
                    self.request_reconcile()
            self._workers.up.set()
            decoder = SSEDecoder()
            last = time.monotonic()
            async for line in lines(response, MAX_LINE_BYTES):
                with self._lock:
                    lost = self.handle_line(decoder, line)
                if lost:
                    self.request_reconcile()
                if self.closed:
                    return
                if self.waiters and time.monotonic() - last > RECONCILE_EVERY:
                    self.request_reconcile()
                    last = time.monotonic()
        finally:
            with self._lock:
                self._response = None
            await response.aclose()

    async def _poll(self) -> None:
        """No event stream: reconcile at growing intervals while jobs wait."""
        with self._lock:
            self.polling = True
        self._workers.up.set()
        interval = POLL_START
        while not self.closed:
            if self.waiters:
                self.request_reconcile()
                interval = min(POLL_MAX, interval * 1.5)
            else:
                interval = POLL_START
            await self._pause(interval)

    async def _pause(self, seconds: float) -> None:
        """Sleep `seconds`, cut short by a close."""
        wake = self._workers.wake
        await wake.wait(seconds)
        wake.clear()

    # -- the reconciler ------------------------------------------------------------------------

    async def _reconcile_loop(self) -> None:
        attempt = 0
        while not self.closed:
            ask = self._workers.ask
            ask.clear()  # before looking: an ask that comes after this is not lost
            if not (self.pending and self.waiters):
                await ask.wait()
                continue
            gap = self.due()
            if gap > 0:
                await async_sleep(gap)
            with self._lock:
                self.pending = False
                self.last_reconcile = time.monotonic()
            try:
                await self.reconcile()
                attempt = 0
            except Exception as exc:  # a garbled answer too: try again later, never die
                logger.info("reconcile failed: %s", exc)
                if fatal(exc):
                    with self._lock:
                        self.fail_all(exc)
                    continue
                delay = retry_after(exc, attempt)
                attempt += 1
                with self._lock:
                    self.pending = True
                await self._workers.stopping.wait(delay)

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        self.requests += 1
        return await self._client.get_json(path, params=params)

    async def reconcile(self) -> None:
        """Bring every waiter up to date with a few list requests."""
        with self._lock:
            if not self.waiters:
                return
            self.reconciles += 1
        active = rows(await self._get("/ai/queue"))
        with self._lock:
            missing = self.plan_missing(active)
        if len(missing) > PER_ID_LIMIT:
            for status in TERMINAL_STATUSES:
                found = rows(await self._get("/ai/queue", {"status": status}))
                with self._lock:
                    missing &= self.plan_missing(found)
        unknown = sorted(missing)
        for gid in unknown[:PER_ID_LIMIT]:
            try:
                row = Generation.model_validate(await self._get(queue_path(gid)))
            except NotFoundError as exc:
                with self._lock:
                    self.fail(gid, exc)
                continue
            except UNREADABLE as exc:  # a row that cannot be read: asked again next time
                logger.info("unreadable row for generation %s: %.200s", gid, exc)
                continue
            with self._lock:
                self.resolve(row)
        if len(unknown) > PER_ID_LIMIT:
            self.request_reconcile()
