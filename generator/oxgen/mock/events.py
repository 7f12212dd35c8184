"""The ``/events`` stream: a per-user broker of Server-Sent Events, with keep-alives and drops.

No replay and no event ids: an event reaches only the streams open when it is published. Each
stream gets its own unbounded queue, so one slow reader never holds up the others.
A stream ends when the client goes away, when the server shuts down, or when it is dropped on
purpose (fault injection or ``POST /_mock/events/drop``). A *stalled* stream (``stall_rate`` or
``POST /_mock/events/stall``) stays open but sends nothing at all, neither events nor keep-alives,
like a connection that died without a FIN behind a proxy: clients must notice the silence.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

EVENT_COMPLETED = "media_generation_completed"
KEEPALIVE = ": keep-alive\n\n"


def format_event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


class Subscriber:
    """One open stream: a queue of ready-to-send SSE texts; None ends the stream."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.drop_handle: asyncio.TimerHandle | None = None
        self.stall_handle: asyncio.TimerHandle | None = None
        self.closed = False
        self.stalled = False

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.queue.put_nowait(None)


class EventBroker:
    """Streams by owner. Call every method from the server's event loop."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[Subscriber]] = {}
        self.opened = 0
        self.dropped = 0
        self.stalled = 0
        self.sent = 0

    @property
    def open_count(self) -> int:
        return sum(len(s) for s in self._subscribers.values())

    def subscribe(
        self, owner: str, drop_after: float | None, stall_after: float | None = None
    ) -> Subscriber:
        sub = Subscriber(owner)
        self._subscribers.setdefault(owner, set()).add(sub)
        self.opened += 1
        loop = asyncio.get_running_loop()
        if drop_after is not None:
            sub.drop_handle = loop.call_later(drop_after, self.drop, sub)
        if stall_after is not None:
            sub.stall_handle = loop.call_later(stall_after, self.stall, sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        for handle in (sub.drop_handle, sub.stall_handle):
            if handle is not None:
                handle.cancel()
        subs = self._subscribers.get(sub.owner)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subscribers[sub.owner]

    def publish(self, owner: str, name: str, data: dict[str, Any]) -> int:
        """Send an event to every open stream of `owner`; returns how many got it."""
        text = format_event(name, data)
        subs = [s for s in self._subscribers.get(owner, ()) if not s.closed and not s.stalled]
        for sub in subs:
            sub.queue.put_nowait(text)
        self.sent += len(subs)
        return len(subs)

    def drop(self, sub: Subscriber) -> None:
        if not sub.closed:
            self.dropped += 1
            sub.close()

    def stall(self, sub: Subscriber) -> None:
        """Make `sub` go silent: it stays open, but nothing more is sent on it (events are lost)."""
        if not sub.closed and not sub.stalled:
            self.stalled += 1
            sub.stalled = True

    def stall_all(self, owner: str | None = None) -> int:
        """Stall every open, not yet stalled stream (of `owner` only, if given); returns how many."""
        subs = [
            s
            for o, ss in self._subscribers.items()
            if owner is None or o == owner
            for s in ss
            if not s.closed and not s.stalled
        ]
        for sub in subs:
            self.stall(sub)
        return len(subs)

    def drop_all(self, owner: str | None = None) -> int:
        """Drop every open stream (of `owner` only, if given); returns how many."""
        subs = [s for o, ss in self._subscribers.items() if owner is None or o == owner for s in ss]
        for sub in subs:
            self.drop(sub)
        return len(subs)

    def close_all(self) -> None:
        """End every stream (server shutdown); not counted as drops."""
        for subs in self._subscribers.values():
            for sub in subs:
                sub.close()


async def stream(
    broker: EventBroker, sub: Subscriber, keepalive: Callable[[], float]
) -> AsyncIterator[str]:
    """The body of one ``/events`` response: events as they come, a comment when idle; nothing at
    all once the stream is stalled (it then only waits to be closed)."""
    try:
        while True:
            if sub.stalled:
                if await sub.queue.get() is None:
                    return
                continue
            try:
                async with asyncio.timeout(keepalive()):
                    item = await sub.queue.get()
            except TimeoutError:
                if not sub.stalled:
                    yield KEEPALIVE
                continue
            if item is None:
                return
            if not sub.stalled:
                yield item
    finally:
        broker.unsubscribe(sub)
