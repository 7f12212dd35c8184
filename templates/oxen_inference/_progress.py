"""Progress: counts by state, elapsed time and an ETA, for callbacks and progress lines.

``on_progress(progress)`` is called with a :class:`ProgressReport` as a batch run goes (at most a
few times a second, and once more at the end). :func:`as_completed` and
:func:`as_completed_async` yield jobs in the order they end.
"""

from __future__ import annotations

import functools
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._async.jobs import AsyncJob
    from ._models import GenerationResult
    from ._sync.jobs import Job
    from ._synchronization import Waiter

__all__ = [
    "ProgressCallback",
    "ProgressReport",
    "Tracker",
    "as_completed",
    "as_completed_async",
    "format_duration",
    "progress_line",
]

STATES = ("pending", "sending", "waiting", "succeeded", "failed", "cancelled")
ENDED = ("succeeded", "failed", "cancelled")


@dataclass(frozen=True, slots=True)
class ProgressReport:
    """Where a batch (or one job) stands, for ``on_progress`` callbacks.

    `counts`: inputs by state: ``pending`` (not sent yet), ``sending`` (a request in flight, or
    an enqueue in doubt), ``waiting`` (queued or processing), ``succeeded``, ``failed``,
    ``cancelled``. `downloaded`: results saved so far. `elapsed`: seconds since this run (or
    wait) started. `eta`: seconds until every input has ended, from this run's pace (None until
    one has ended). For one job, `total` is 1, `generation_id` its id and `status` its state.
    """

    total: int
    counts: Mapping[str, int]
    downloaded: int
    elapsed: float
    eta: float | None
    generation_id: str | None = None

    @property
    def status(self) -> str:
        """The state most inputs are in (for one job: its state)."""
        return max(STATES, key=lambda s: self.counts.get(s, 0))

    @property
    def ended(self) -> int:
        return sum(self.counts.get(s, 0) for s in ENDED)

    @property
    def succeeded(self) -> int:
        return self.counts.get("succeeded", 0)

    @property
    def failed(self) -> int:
        return self.counts.get("failed", 0) + self.counts.get("cancelled", 0)


ProgressCallback = Callable[[ProgressReport], object]


class Tracker:
    """Counts inputs by state as a run moves them; makes :class:`ProgressReport` snapshots."""

    def __init__(self, counts: Mapping[str, int], downloaded: int = 0) -> None:
        self.counts = {s: int(counts.get(s, 0)) for s in STATES}
        self.total = sum(self.counts.values())
        self.downloaded = downloaded
        self.started = time.monotonic()
        self._ended_at_start = self._ended()
        self.version = 0  # bumped on every change

    def _ended(self) -> int:
        return sum(self.counts[s] for s in ENDED)

    def move(self, old: str, new: str, n: int = 1) -> None:
        if old == new or n <= 0:
            return
        self.counts[old] -= n
        self.counts[new] += n
        self.version += 1

    def saved(self) -> None:
        self.downloaded += 1
        self.version += 1

    def snapshot(self) -> ProgressReport:
        elapsed = time.monotonic() - self.started
        ended = self._ended()
        done_now = ended - self._ended_at_start
        eta = None
        if ended >= self.total:
            eta = 0.0
        elif done_now > 0 and elapsed > 0:
            eta = (self.total - ended) * elapsed / done_now
        return ProgressReport(self.total, dict(self.counts), self.downloaded, elapsed, eta)


def format_duration(seconds: float) -> str:
    """``45s``, ``3m05s``, ``2h07m``."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def progress_line(p: ProgressReport, *, download: bool) -> str:
    """One line: ``812/3000 ended · 800 ok · 12 failed · 2100 running · 88 to send · ...``."""
    c = p.counts
    parts = [f"{p.ended}/{p.total} ended", f"{p.succeeded} ok"]
    if p.failed:
        parts.append(f"{p.failed} failed")
    running = c.get("waiting", 0) + c.get("sending", 0)
    if running:
        parts.append(f"{running} running")
    if c.get("pending", 0):
        parts.append(f"{c['pending']} to send")
    if download:
        parts.append(f"{p.downloaded} saved")
    parts.append(format_duration(p.elapsed))
    if p.eta is not None and p.ended < p.total:
        parts.append(f"ETA {format_duration(p.eta)}")
    return " · ".join(parts)


def as_completed(jobs: Sequence[Job], timeout: float | None = None) -> Iterator[Job]:
    """Yield each of `jobs` as it ends (``job.last`` holds how); all wait on their client's one
    event stream. A failed or cancelled job is yielded like the others. Raises WaitTimeoutError
    when `timeout` seconds pass first, NotFoundError for an id the server does not know."""
    import queue

    from ._exceptions import WaitTimeoutError
    from ._jobs import START_WAIT

    deadline = None if timeout is None else time.monotonic() + timeout
    ended: queue.SimpleQueue[int] = queue.SimpleQueue()
    waiting: dict[int, Waiter[GenerationResult]] = {}
    for index, job in enumerate(jobs):
        if job.last is not None and job.last.done:
            yield job
            continue
        hub = job._client._hub
        hub.start(timeout=START_WAIT)
        waiting[index] = hub.register(
            job.id, job._epoch, notify=functools.partial(ended.put, index)
        )
    try:
        while waiting:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                index = ended.get(timeout=left)
            except queue.Empty:
                first = jobs[next(iter(waiting))]
                raise WaitTimeoutError(first.id, timeout or 0.0, None) from None
            job, waiter = jobs[index], waiting.pop(index)
            job._client._hub.unregister(job.id, waiter)
            row = waiter.wait(0)  # delivered: the outcome, or its error raised
            assert row is not None
            job.last = row
            yield job
    finally:
        for index, waiter in waiting.items():
            jobs[index]._client._hub.unregister(jobs[index].id, waiter)


async def as_completed_async(
    jobs: Sequence[AsyncJob], timeout: float | None = None
) -> AsyncIterator[AsyncJob]:
    """:func:`as_completed` for asyncio jobs: ``async for job in as_completed_async(jobs)``."""
    import asyncio

    from ._exceptions import WaitTimeoutError

    deadline = None if timeout is None else time.monotonic() + timeout

    async def one(job: AsyncJob) -> AsyncJob:
        await job.wait(None, raise_on_failure=False)
        return job

    tasks = {asyncio.ensure_future(one(job)): job for job in jobs}
    try:
        waiting = set(tasks)
        while waiting:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            done, waiting = await asyncio.wait(
                waiting, timeout=left, return_when=asyncio.FIRST_COMPLETED
            )
            if not done:
                job = tasks[next(iter(waiting))]
                raise WaitTimeoutError(job.id, timeout or 0.0, None)
            for task in done:
                yield task.result()
    finally:
        for task in tasks:
            task.cancel()
