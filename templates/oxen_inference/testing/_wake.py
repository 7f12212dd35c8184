"""The flag an event stream of the fake waits for: set by whichever thread publishes an event,
waited for by the stream's reader (a task of an event loop, or a thread). A pair the unasync
rules map onto each other (``AsyncWake`` -> ``Wake``)."""

from __future__ import annotations

import asyncio
import contextlib
import threading

from .._synchronization import AsyncEvent

__all__ = ["AsyncWake", "Wake"]


class AsyncWake:
    """A flag an event stream's task waits for, set by whichever thread publishes an event."""

    def __init__(self) -> None:
        self._event = AsyncEvent()
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()

    def set(self) -> None:
        if threading.get_ident() == self._thread:
            self._event.set()
        else:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting
                self._loop.call_soon_threadsafe(self._event.set)

    def clear(self) -> None:
        self._event.clear()

    async def wait(self, timeout: float | None) -> bool:
        return await self._event.wait(timeout)


Wake = threading.Event  # the blocking twin's flag: threads wait for it and set it
