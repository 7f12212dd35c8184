"""The ``/events`` stream: a per-user broker of Server-Sent Events, with keep-alives and drops.

No replay and no event ids: an event reaches only the streams open when it is published. Each
stream has its own queue, so one slow reader never holds up the others. A stream ends when the
client goes away, when the server shuts down, or when it is dropped on purpose (fault injection,
``drop_all``). A *stalled* stream (``stall_rate`` or ``stall_all``) stays open but sends nothing
at all, neither events nor keep-alives, like a connection that died without a FIN behind a proxy:
clients must notice the silence.

The broker does no waiting of its own: whoever serves a stream calls ``State.step`` and waits (in
its own world: a thread, an event loop) for what it returns, or until the subscriber's ``wake``
is called. Every method runs under the state's lock.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from typing import Any

EVENT_COMPLETED = "media_generation_completed"
KEEPALIVE = ": keep-alive\n\n"


def format_event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _nothing() -> None:
    return None


class Subscriber:
    """One open stream: texts ready to send, and the moments it drops or stalls (monotonic).

    `wake` is set by whoever serves the stream: it is called whenever there is something new to
    look at (an event, the end), from the thread that caused it.
    """

    def __init__(
        self, owner: str, now: float, drop_at: float | None, stall_at: float | None
    ) -> None:
        self.owner = owner
        self.items: deque[str] = deque()
        self.drop_at = drop_at
        self.stall_at = stall_at
        self.last_sent = now
        self.closed = False
        self.stalled = False
        self.wake: Callable[[], None] = _nothing

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.wake()

    def push(self, text: str) -> None:
        self.items.append(text)
        self.wake()


class EventBroker:
    """Streams by owner, and their counters."""

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
        self, owner: str, now: float, drop_after: float | None, stall_after: float | None = None
    ) -> Subscriber:
        sub = Subscriber(
            owner,
            now,
            None if drop_after is None else now + drop_after,
            None if stall_after is None else now + stall_after,
        )
        self._subscribers.setdefault(owner, set()).add(sub)
        self.opened += 1
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        sub.drop_at = sub.stall_at = None
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
            sub.push(text)
        self.sent += len(subs)
        return len(subs)

    def due(self, sub: Subscriber, now: float) -> None:
        """Drop or stall `sub` if its moment has come."""
        if sub.drop_at is not None and now >= sub.drop_at:
            sub.drop_at = None
            self.drop(sub)
        if sub.stall_at is not None and now >= sub.stall_at:
            sub.stall_at = None
            self.stall(sub)

    def wake(self, owner: str) -> None:
        """Wake every stream of `owner` (a job of theirs was scheduled: their waits change)."""
        for sub in self._subscribers.get(owner, ()):
            sub.wake()

    def drop(self, sub: Subscriber) -> None:
        if not sub.closed:
            self.dropped += 1
            sub.close()

    def stall(self, sub: Subscriber) -> None:
        """Make `sub` go silent: it stays open, but nothing more is sent on it (events are lost)."""
        if not sub.closed and not sub.stalled:
            self.stalled += 1
            sub.stalled = True
            sub.items.clear()
            sub.wake()

    def _open(self, owner: str | None) -> list[Subscriber]:
        return [
            s
            for o, ss in self._subscribers.items()
            if owner is None or o == owner
            for s in ss
            if not s.closed
        ]

    def stall_all(self, owner: str | None = None) -> int:
        """Stall every open, not yet stalled stream (of `owner` only, if given); returns how many."""
        subs = [s for s in self._open(owner) if not s.stalled]
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

    def reset_counters(self) -> None:
        self.opened = self.open_count
        self.dropped = self.stalled = self.sent = 0
