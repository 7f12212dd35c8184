"""What really differs between the blocking client and the asyncio one: each primitive twice.

The clients' I/O classes are written once, for asyncio (``_async/``); their blocking twins
(``_sync/``) are made from that source by renaming (``oxgen.unasync``): ``AsyncSlots`` becomes
``Slots``, ``async_sleep`` becomes ``sleep``, ``await x`` becomes ``x``. So every name here comes
in pairs with the same methods, the asynchronous one first:

- ``AsyncSlots`` / ``Slots``: at most ``max_concurrency`` requests of a client in flight, the
  others waiting their turn in order (an ``asyncio.Semaphore`` per event loop / a queue of tokens);
- ``AsyncDeadline`` / ``Deadline``: an attempt ends by its deadline (``asyncio.timeout`` / every
  socket read and write of the thread clipped to it by ``_deadline.DeadlineBackend``);
- ``async_sleep`` / ``sleep``, ``async_run_blocking`` / ``run_blocking`` (a worker thread / a plain
  call), ``async_call_store`` / ``call_store`` (a user's storage callable), ``async_iterate`` /
  ``iterate`` (a file read in a worker thread / as it is);
- the event hub's plumbing: ``AsyncThreadLock`` (none: one task runs at a time) / ``ThreadLock``,
  ``AsyncEvent`` / ``Event``, ``AsyncWaiter`` (a future) / ``Waiter``, and ``AsyncWorkers`` /
  ``Workers``: its background loops as tasks of the running event loop / as daemon threads.

asyncio is imported by the asynchronous primitives when they are first used, so that creating an
``AsyncOxen`` stays as cheap as creating an ``Oxen``.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from ._exceptions import APITimeoutError

if TYPE_CHECKING:
    import asyncio
    import queue

    import httpx

__all__ = [
    "DEADLINE",
    "NO_SLOT",
    "AsyncClosing",
    "AsyncDeadline",
    "AsyncEvent",
    "AsyncKeyedLocks",
    "AsyncSlots",
    "AsyncThreadLock",
    "AsyncWaiter",
    "AsyncWorkers",
    "Closing",
    "Deadline",
    "Event",
    "KeyedLocks",
    "Slots",
    "ThreadLock",
    "Waiter",
    "Workers",
]

_T = TypeVar("_T")
SLOT_TIMEOUT = "request timed out waiting for a free slot"


# -- closing -------------------------------------------------------------------------------------


class AsyncClosing:
    """``async with x:`` closes `x` (its ``close()``) when the block ends."""

    async def close(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class Closing:
    """``with x:`` closes `x` (its ``close()``) when the block ends."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# -- sleeping and blocking work ----------------------------------------------------------------


async def async_sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


def sleep(seconds: float) -> None:
    time.sleep(seconds)


async def async_run_blocking(function: Callable[..., _T], *args: Any) -> _T:
    """`function(*args)` in a worker thread, so that the event loop goes on meanwhile."""
    import asyncio

    return await asyncio.to_thread(function, *args)


def run_blocking(function: Callable[..., _T], *args: Any) -> _T:
    return function(*args)


async def async_call_store(store: Callable[[Any], Any], file: Any) -> object:
    """A user's storage callable: an async one awaited, a plain one run in a worker thread."""
    if inspect.iscoroutinefunction(store):
        result: object = await store(file)
        return result
    result = await async_run_blocking(store, file)
    return await result if inspect.isawaitable(result) else result


def call_store(store: Callable[[Any], Any], file: Any) -> object:
    """A user's storage callable, called."""
    result: object = store(file)
    return result


async def async_iterate(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """The pieces of a file, each read in a worker thread (disk reads never block the loop)."""
    done = object()
    while True:
        chunk = await async_run_blocking(next, chunks, done)
        if chunk is done:
            return
        assert isinstance(chunk, bytes)
        yield chunk


def iterate(chunks: Iterator[bytes]) -> Iterator[bytes]:
    return chunks


# -- the concurrency limit ---------------------------------------------------------------------

QUEUED_SLOTS = 4096  # up to this limit, _Tokens; past it, threading.Semaphore (no token per slot)


class _NoSlot:
    """What a request that skips the limit holds instead of a slot."""

    __slots__ = ()

    def release(self) -> None:
        pass


NO_SLOT = _NoSlot()


class AsyncSlots:
    """At most `limit` requests in flight, the rest waiting in order (one semaphore per loop)."""

    __slots__ = ("_limit", "_loop", "_semaphore")

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._loop: Any = None
        self._semaphore: Any = None

    def tokens(self) -> asyncio.Semaphore:
        """The semaphore of the running event loop (made by its first request)."""
        import asyncio

        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._semaphore = loop, asyncio.Semaphore(self._limit)
        semaphore: asyncio.Semaphore = self._semaphore
        return semaphore

    async def acquire(self, deadline: float | None, request: httpx.Request) -> asyncio.Semaphore:
        """Take a slot by `deadline` (a ``time.monotonic()`` instant; None: however long it
        takes); APITimeoutError if none came free by then. Returns what to release."""
        import asyncio

        semaphore = self.tokens()
        if deadline is None:
            await semaphore.acquire()
            return semaphore
        try:
            async with asyncio.timeout(deadline - time.monotonic()):
                await semaphore.acquire()
        except TimeoutError:
            raise APITimeoutError(SLOT_TIMEOUT, request=request) from None
        return semaphore


class _Tokens:
    """A counting semaphore over a C-level queue of tokens (``threading.Semaphore`` is written in
    Python, and every request pays for it twice). One token per slot, so only for limits up to
    ``QUEUED_SLOTS``."""

    __slots__ = ("_empty", "_tokens")

    def __init__(self, limit: int) -> None:
        import queue

        self._empty = queue.Empty
        self._tokens: queue.SimpleQueue[None] = queue.SimpleQueue()
        for _ in range(limit):
            self._tokens.put(None)

    def acquire(self, timeout: float | None = None) -> bool:
        """Take a slot, waiting at most `timeout` seconds (None: as long as it takes)."""
        try:
            self._tokens.get(timeout=timeout)
        except self._empty:
            return False
        return True

    def release(self) -> None:
        self._tokens.put(None)


class Slots:
    """At most `limit` blocking requests in flight, the rest waiting their turn. The tokens are
    made by the first request (``queue`` is imported then), once even when threads race to it."""

    __slots__ = ("_limit", "_making", "_tokens")

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._tokens: _Tokens | threading.Semaphore | None = None
        self._making = threading.Lock()  # held while the tokens are made

    def tokens(self) -> _Tokens | threading.Semaphore:
        tokens = self._tokens
        if tokens is None:
            with self._making:
                tokens = self._tokens
                if tokens is None:
                    limit = self._limit
                    tokens = self._tokens = (
                        _Tokens(limit) if limit <= QUEUED_SLOTS else threading.Semaphore(limit)
                    )
        return tokens

    def acquire(
        self, deadline: float | None, request: httpx.Request
    ) -> _Tokens | threading.Semaphore:
        tokens = self._tokens or self.tokens()
        wait = None if deadline is None else max(0.0, deadline - time.monotonic())
        if not tokens.acquire(timeout=wait):
            raise APITimeoutError(SLOT_TIMEOUT, request=request)
        return tokens


# -- deadlines ---------------------------------------------------------------------------------


class _Holder(threading.local):
    """The wall-clock deadline (``time.monotonic()``) of the call running on this thread."""

    at: float | None = None


DEADLINE = _Holder()
"""Read by the blocking client's network backend (``_deadline.DeadlineBackend``)."""


class AsyncDeadline:
    """``async with AsyncDeadline(at, request):`` cancels what it holds at `at` and raises
    APITimeoutError ("<what> timed out (deadline)"); `at` None: no deadline."""

    __slots__ = ("_at", "_request", "_scope", "_what")

    def __init__(self, at: float | None, request: httpx.Request, what: str = "request") -> None:
        self._at = at
        self._request = request
        self._what = what
        self._scope: Any = None

    async def __aenter__(self) -> None:
        if self._at is not None:
            import asyncio

            self._scope = asyncio.timeout(self._at - time.monotonic())
            await self._scope.__aenter__()

    async def __aexit__(self, *exc_info: Any) -> None:
        if self._scope is not None:
            try:
                await self._scope.__aexit__(*exc_info)
            except TimeoutError:
                raise APITimeoutError(
                    f"{self._what} timed out (deadline)", request=self._request
                ) from None


class Deadline:
    """``with Deadline(at, request):`` clips every socket read and write of this thread to `at`
    (the network backend raises a timeout once it has passed); `at` None: no deadline."""

    __slots__ = ("_at", "_previous")

    def __init__(self, at: float | None, request: object = None, what: str = "request") -> None:
        self._at = at

    def __enter__(self) -> None:
        self._previous = DEADLINE.at
        DEADLINE.at = self._at

    def __exit__(self, *exc_info: object) -> None:
        DEADLINE.at = self._previous


# -- locks ---------------------------------------------------------------------------------------


class AsyncKeyedLocks:
    """One lock per key: tasks doing the same thing (uploading the same content) wait for the
    first one."""

    __slots__ = ("_locks",)

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    def hold(self, key: str) -> asyncio.Lock:
        import asyncio

        return self._locks.setdefault(key, asyncio.Lock())


class KeyedLocks:
    """One lock per key: threads doing the same thing wait for the first one."""

    __slots__ = ("_guard", "_locks")

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def hold(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


# -- the event hub's plumbing ------------------------------------------------------------------


class AsyncThreadLock:
    """No lock at all: the event loop runs one task at a time, and the hub never awaits while
    holding its lock."""

    __slots__ = ()

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc_info: object) -> None:
        pass


def ThreadLock() -> threading.RLock:
    """The hub's lock: its threads, and every thread that waits, touch the same state."""
    return threading.RLock()


class AsyncEvent:
    """A flag tasks wait for (``asyncio.Event``), with a timeout."""

    __slots__ = ("_event",)

    def __init__(self) -> None:
        import asyncio

        self._event = asyncio.Event()

    def set(self) -> None:
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    async def wait(self, timeout: float | None = None) -> bool:
        """Whether the flag was set within `timeout` seconds (None: as long as it takes)."""
        import asyncio

        try:
            async with asyncio.timeout(timeout):
                await self._event.wait()
        except TimeoutError:
            return False
        return True


Event = threading.Event


class AsyncWaiter(Generic[_T]):
    """One wait for a result that another task delivers: a future of the running loop.
    `notify` is called once it is delivered (to wait on many through one queue)."""

    __slots__ = ("_future", "_notify")

    def __init__(self, notify: Callable[[], object] | None = None) -> None:
        import asyncio

        self._future: asyncio.Future[_T] = asyncio.get_running_loop().create_future()
        self._notify = notify

    def deliver(self, result: _T | None, error: BaseException | None) -> None:
        future = self._future
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        elif result is not None:
            future.set_result(result)
        if self._notify is not None:
            self._notify()

    async def wait(self, timeout: float | None) -> _T | None:
        """The result (or the error delivered, raised), or None after `timeout` seconds."""
        import asyncio

        try:
            return await asyncio.wait_for(asyncio.shield(self._future), timeout)
        except TimeoutError:
            return None


class Waiter(Generic[_T]):
    """One wait for a result that another thread delivers (`notify`: see AsyncWaiter)."""

    __slots__ = ("_error", "_event", "_notify", "_result")

    def __init__(self, notify: Callable[[], object] | None = None) -> None:
        self._event = threading.Event()
        self._result: _T | None = None
        self._error: BaseException | None = None
        self._notify = notify

    def deliver(self, result: _T | None, error: BaseException | None) -> None:
        self._result, self._error = result, error
        self._event.set()
        if self._notify is not None:
            self._notify()

    def wait(self, timeout: float | None) -> _T | None:
        if not self._event.wait(timeout):
            return None
        if self._error is not None:
            raise self._error
        return self._result


class AsyncWorkers:
    """A hub's background loops, as tasks of the running event loop, and the flags between them
    (``up``: the stream's first attempt is over; ``wake``: cut a backoff or poll short; ``ask``: a
    reconcile is wanted; ``stopping``: the hub is closing). A new event loop (another
    ``asyncio.run``) starts everything over, flags included."""

    def __init__(self, lock: AsyncThreadLock) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._settled = False
        self.up, self.wake, self.ask, self.stopping = self._flags()

    @staticmethod
    def _flags() -> tuple[AsyncEvent, AsyncEvent, AsyncEvent, AsyncEvent]:
        return AsyncEvent(), AsyncEvent(), AsyncEvent(), AsyncEvent()

    def ready(self) -> bool:
        """Whether every loop runs on the running event loop and the first attempt is over."""
        import asyncio

        return (
            self._settled
            and self._loop is asyncio.get_running_loop()
            and not any(task.done() for task in self._tasks.values())
        )

    def start(self, loops: dict[str, Callable[[], Coroutine[Any, Any, None]]]) -> bool:
        """Start each loop that does not run; True on a new event loop (the hub starts over)."""
        import asyncio

        loop = asyncio.get_running_loop()
        fresh = loop is not self._loop
        if fresh:
            self._loop, self._tasks, self._settled = loop, {}, False
            self.up, self.wake, self.ask, self.stopping = self._flags()
        for name, body in loops.items():
            task = self._tasks.get(name)
            if task is None or task.done():
                self._tasks[name] = loop.create_task(body(), name=name)
        return fresh

    def settled(self) -> None:
        """The first attempt is over: from now on ready() holds while the loops run."""
        self._settled = True

    async def stop(self, response: httpx.Response | None) -> None:
        """Cancel the loops (those of the running event loop) and wait for them to end."""
        import asyncio

        self._settled = False
        running = asyncio.get_running_loop()
        for task in self._tasks.values():
            if not task.done() and task.get_loop() is running:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task


class Workers:
    """A hub's background loops, as daemon threads, and the flags between them (see
    :class:`AsyncWorkers`). ``ready()`` takes no lock (every submit asks it): it holds in the
    process whose threads all run once the first attempt is over; a thread that ends, a close or
    a fork (another pid) takes it away, and the next ``start()`` looks again."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._threads: dict[str, threading.Thread] = {}
        self._running: set[threading.Thread] = set()  # threads inside _serve
        self._ready_in: int | None = None
        self.up, self.wake, self.ask, self.stopping = Event(), Event(), Event(), Event()

    def ready(self) -> bool:
        return self._ready_in == os.getpid()

    def start(self, loops: dict[str, Callable[[], None]]) -> bool:
        """Start each loop whose thread is not alive (under the hub's lock); never starts over."""
        for name, body in loops.items():
            thread = self._threads.get(name)
            if thread is None or not thread.is_alive():
                thread = threading.Thread(target=self._serve, args=(body,), name=name, daemon=True)
                self._threads[name] = thread
                thread.start()
        return False

    def settled(self) -> None:
        """The first attempt is over (under the hub's lock): ready() from now on, if every
        thread runs (one that has ended can never be taken for a running one)."""
        if all(thread in self._running for thread in self._threads.values()):
            self._ready_in = os.getpid()

    def _serve(self, body: Callable[[], None]) -> None:
        me = threading.current_thread()
        with self._lock:
            self._running.add(me)
        try:
            body()
        finally:
            with self._lock:
                self._running.discard(me)
                self._ready_in = None

    def stop(self, response: httpx.Response | None) -> None:
        """Wake every thread so it sees the hub closed; close the stream the reader blocks on."""
        self._ready_in = None
        for flag in (self.up, self.wake, self.ask, self.stopping):
            flag.set()
        if response is not None:
            with contextlib.suppress(Exception):  # the reader thread may be closing it too
                response.close()
