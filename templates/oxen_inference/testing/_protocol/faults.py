"""Fault injection: which requests fail (429 or 503), which event streams drop, which stall.

Seeded faults: independent generators derive from the seed, one for requests, one for stream drops
and one for stream stalls, so the fault pattern of a sequence of requests does not depend on how
many streams were opened meanwhile, and turning stalls on does not change which streams drop.
With the same seed, the same sequence of requests meets the same faults.

Forced faults (:meth:`FaultInjector.force`): the next requests that match a method and path are
answered with a given status, before any seeded draw (and without one, so forcing faults does not
shift the seeded pattern).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .config import MockConfig


@dataclass(frozen=True)
class Fault:
    """A fault to answer instead of processing the request."""

    status: int  # 429 or 503 when drawn; any 4xx or 5xx when forced
    retry_after: int | None  # seconds, for 429


@dataclass
class Forced:
    """`count` more requests matching `method` and `path` (None: any) get `status`."""

    status: int
    count: int
    method: str | None = None
    path: str | None = None
    retry_after: int | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or self.path == path
        )


class FaultInjector:
    """Draws faults from seeded generators; reseed with :meth:`reset`."""

    def __init__(self, config: MockConfig) -> None:
        self.config = config
        self.forced: list[Forced] = []
        self.reset()

    def force(self, fault: Forced) -> None:
        """Answer the next `fault.count` matching requests with `fault.status`."""
        if not 400 <= fault.status <= 599:
            raise ValueError(f"a forced fault is a 4xx or 5xx status, got {fault.status!r}")
        if fault.count < 1:
            raise ValueError(f"count must be at least 1, got {fault.count!r}")
        self.forced.append(fault)

    def reset(self) -> None:
        seed = self.config.seed
        base = seed if seed is not None else random.SystemRandom().randrange(2**63)
        self._requests = random.Random(f"requests:{base}")
        self._streams = random.Random(f"streams:{base}")
        self._stalls = random.Random(f"stalls:{base}")

    def request_fault(self, method: str = "", path: str = "") -> Fault | None:
        """Whether the next request should fail, and how: a forced fault that matches it, else a
        seeded draw (made even when the rate is 0 or 1)."""
        for forced in self.forced:
            if forced.matches(method, path):
                forced.count -= 1
                if forced.count == 0:
                    self.forced.remove(forced)
                return Fault(forced.status, forced.retry_after)
        rate = self.config.fault_rate
        roll = self._requests.random()
        kind = self._requests.random()
        wait = self._requests.randint(0, self.config.retry_after_max)
        if rate <= 0.0 or roll >= rate:
            return None
        if kind < 0.5:
            return Fault(429, wait)
        return Fault(503, None)

    def stream_drop_after(self) -> float | None:
        """Seconds after which a newly opened event stream is dropped, or None to keep it."""
        rate = self.config.fault_rate
        roll = self._streams.random()
        horizon = max(self.config.latency * 2, 0.05)
        delay = self._streams.uniform(0.0, horizon)
        if rate <= 0.0 or roll >= rate:
            return None
        return delay

    def stream_stall_after(self) -> float | None:
        """Seconds after which a newly opened event stream goes silent (``stall_rate``), or None."""
        rate = self.config.stall_rate
        roll = self._stalls.random()
        horizon = max(self.config.latency * 2, 0.05)
        delay = self._stalls.uniform(0.0, horizon)
        if rate <= 0.0 or roll >= rate:
            return None
        return delay
