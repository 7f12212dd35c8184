"""Seeded fault injection: which requests fail (429 or 503), which event streams drop, which stall.

Independent generators derive from the seed, one for requests, one for stream drops and one for
stream stalls, so the fault pattern of a sequence of requests does not depend on how many streams
were opened meanwhile, and turning stalls on does not change which streams drop. With the same
seed, the same sequence of requests meets the same faults.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .config import MockConfig


@dataclass(frozen=True)
class Fault:
    """A fault to answer instead of processing the request."""

    status: int  # 429 or 503
    retry_after: int | None  # seconds, for 429


class FaultInjector:
    """Draws faults from seeded generators; reseed with :meth:`reset`."""

    def __init__(self, config: MockConfig) -> None:
        self.config = config
        self.reset()

    def reset(self) -> None:
        seed = self.config.seed
        base = seed if seed is not None else random.SystemRandom().randrange(2**63)
        self._requests = random.Random(f"requests:{base}")
        self._streams = random.Random(f"streams:{base}")
        self._stalls = random.Random(f"stalls:{base}")

    def request_fault(self) -> Fault | None:
        """Whether the next request should fail, and how. Draws even when the rate is 0 or 1."""
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
