"""Generations: queued jobs that move through their states as time passes, and the history.

A queued job spends a quarter of its latency ``queued``, then becomes ``processing``; its
parameters are validated at that moment (as the real API does, not at enqueue) and an invalid job
ends ``failed`` with an ``error_message`` naming the offending field(s). A valid job ends once its
whole latency has passed: ``succeeded`` with a ``result_url`` (if its media inputs can be read: a
``data:`` URI that does not decode, or a URL on this server that serves nothing, fails it), or
``failed`` with the message a test asked for (:meth:`JobStore.fail`). Rows persist after the end.
Every terminal job except a cancelled one is reported through `on_complete` (which the state turns
into a ``media_generation_completed`` event).

Nothing runs in the background: :meth:`JobStore.advance` applies every transition whose moment
has come (in order, dated when it was due), and whoever reads jobs or serves an event stream calls
it first. Moments are ``time.monotonic()`` values; rows show wall-clock times.
"""

from __future__ import annotations

import heapq
import itertools
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .catalog import Catalog
from .media import EXTENSION_FOR_MEDIA

ACTIVE = ("queued", "processing")
TERMINAL = ("succeeded", "failed", "cancelled")
STATUSES = ACTIVE + TERMINAL


@dataclass
class Job:
    """One generation (queued, or made by a blocking route when `source` is "sync")."""

    id: str
    owner: str
    model: str
    media_type: str
    params: dict[str, Any]
    base_url: str
    source: str = "queue"
    namespace: str | None = None
    status: str = "queued"
    result_url: str | None = None
    error_message: str | None = None
    enqueued_at: float = field(default_factory=time.time)
    started_at: float | None = None
    completed_at: float | None = None
    cost: float = 0.0
    begun: float = 0.0  # time.monotonic() at enqueue
    latency: float = 0.0
    forced_error: str | None = None  # the job ends failed with this message

    @classmethod
    def new(
        cls,
        owner: str,
        model: str,
        media_type: str,
        params: dict[str, Any],
        base_url: str,
        namespace: str | None,
    ) -> Job:
        """A job not yet queued or recorded, with a fresh id."""
        return cls(
            uuid.uuid4().hex, owner, model, media_type, params, base_url, namespace=namespace
        )

    @property
    def file_name(self) -> str:
        return f"{self.id}.{EXTENSION_FOR_MEDIA.get(self.media_type, 'bin')}"

    def wall(self, moment: float) -> float:
        """The wall-clock time of a monotonic `moment` of this job's life."""
        return self.enqueued_at + (moment - self.begun)

    def row(self) -> dict[str, Any]:
        """The queue row: every request parameter, then the bookkeeping fields (which win)."""
        out = dict(self.params)
        if self.namespace is not None:
            out["target_namespace"] = self.namespace
        out.update(
            generation_id=self.id,
            model_name=self.model,
            prompt=self.params.get("prompt"),
            media_type=self.media_type,
            status=self.status,
            result_url=self.result_url,
            error_message=self.error_message,
            namespace=self.namespace,
            enqueued_at=_unix(self.enqueued_at),
            started_at=_unix(self.started_at),
            completed_at=_unix(self.completed_at),
        )
        return out

    def history_row(self) -> dict[str, Any]:
        return {
            "generation_id": self.id,
            "model_name": self.model,
            "media_type": self.media_type,
            "status": self.status,
            "result_url": self.result_url,
            "error_message": self.error_message,
            "prompt": self.params.get("prompt"),
            "source": self.source,
            "cost": self.cost,
            "created_at": _unix(self.enqueued_at),
            "completed_at": _unix(self.completed_at),
        }


def _unix(t: float | None) -> int | None:
    return None if t is None else int(t)


class JobStore:
    """All generations of all users, in creation order, and the timeline of the queued ones."""

    def __init__(
        self,
        catalog: Catalog,
        on_complete: Callable[[Job], None],
        check_inputs: Callable[[str, dict[str, Any], str], str | None] | None = None,
    ) -> None:
        self.catalog = catalog
        self.on_complete = on_complete
        self.check_inputs = check_inputs
        self.jobs: dict[str, Job] = {}
        self.files: set[str] = set()
        self._timeline: list[tuple[float, int, str]] = []  # (moment, tie-break, job id)
        self._order = itertools.count()

    def enqueue(
        self, job: Job, *, latency: float, now: float, forced_error: str | None = None
    ) -> Job:
        """Queue `job` (a new one); it starts processing a quarter of `latency` after `now`."""
        job.begun, job.latency, job.forced_error = now, latency, forced_error
        job.cost = estimate_cost(self.catalog.get(job.model) or {}, job.params)
        self.jobs[job.id] = job
        self._schedule(now + latency * 0.25, job)
        return job

    def _schedule(self, moment: float, job: Job) -> None:
        heapq.heappush(self._timeline, (moment, next(self._order), job.id))

    def next_due(self) -> float | None:
        """The moment of the next transition, or None when no job is active."""
        return self._timeline[0][0] if self._timeline else None

    def advance(self, now: float) -> None:
        """Apply every transition due by `now`, in order."""
        while self._timeline and self._timeline[0][0] <= now:
            moment, _, job_id = heapq.heappop(self._timeline)
            job = self.jobs.get(job_id)
            if job is not None:
                self._step(job, moment)

    def _step(self, job: Job, moment: float) -> None:
        if job.status == "queued":
            job.status, job.started_at = "processing", job.wall(moment)
            problems = self.catalog.validate(job.model, job.params)
            if problems:
                error = f"Invalid parameters for {job.model}: " + "; ".join(problems)
                self._finish(job, "failed", moment, error)
                return
            missing = (
                self.check_inputs(job.model, job.params, job.base_url)
                if self.check_inputs
                else None
            )
            if missing:
                self._finish(job, "failed", moment, missing)
                return
            self._schedule(job.begun + job.latency, job)
        elif job.status == "processing":
            if job.forced_error is not None:
                self._finish(job, "failed", moment, job.forced_error)
                return
            self.files.add(job.file_name)
            job.result_url = f"{job.base_url}/files/{job.file_name}"
            self._finish(job, "succeeded", moment)

    def _finish(self, job: Job, status: str, moment: float, error: str | None = None) -> None:
        job.status, job.error_message, job.completed_at = status, error, job.wall(moment)
        if status != "cancelled":
            self.on_complete(job)

    def record_sync(self, job: Job) -> Job:
        """Record `job` (a new one) as a result made by a blocking route (already validated and
        waited for)."""
        now = time.time()
        job.source, job.status, job.started_at, job.completed_at = "sync", "succeeded", now, now
        job.cost = estimate_cost(self.catalog.get(job.model) or {}, job.params)
        job.result_url = f"{job.base_url}/files/{job.file_name}"
        self.files.add(job.file_name)
        self.jobs[job.id] = job
        return job

    def cancel(self, job: Job, moment: float) -> bool:
        """Cancel an active job (no event is emitted). False when it had already ended."""
        if job.status not in ACTIVE:
            return False
        self._finish(job, "cancelled", moment)
        return True

    def fail(self, job: Job, message: str) -> bool:
        """Make an active job end ``failed`` with `message` when it would have ended. False when
        it had already ended."""
        if job.status not in ACTIVE:
            return False
        job.forced_error = message
        return True

    def find(self, owner: str, job_id: str, *, source: str | None = "queue") -> Job | None:
        job = self.jobs.get(job_id)
        if job is None or job.owner != owner or (source is not None and job.source != source):
            return None
        return job

    def select(
        self,
        owner: str,
        *,
        statuses: Iterable[str],
        model: str | None = None,
        media_type: str | None = None,
        namespace: str | None = None,
    ) -> list[Job]:
        wanted = set(statuses)
        return [
            j
            for j in self.jobs.values()
            if j.owner == owner
            and j.source == "queue"
            and j.status in wanted
            and (model is None or j.model == model)
            and (media_type is None or j.media_type == media_type)
            and (namespace is None or j.namespace == namespace)
        ]

    def history(self, owner: str) -> list[Job]:
        """Every generation of `owner`, newest first."""
        return sorted(
            (j for j in self.jobs.values() if j.owner == owner), key=lambda j: -j.enqueued_at
        )

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for job in self.jobs.values():
            if job.source == "queue":
                out[job.status] += 1
        return out

    def clear(self) -> None:
        """Forget every job and file (no events are emitted)."""
        self._timeline.clear()
        self.jobs.clear()
        self.files.clear()


def estimate_cost(model: dict[str, Any], params: dict[str, Any]) -> float:
    """A plausible cost from the model's `pricing` (0.0 when there is none)."""
    pricing = model.get("pricing")
    if not isinstance(pricing, dict):
        return 0.0
    method = pricing.get("method")
    if method == "per_image":
        value = pricing.get("cost_per_image")
    elif method == "per_video_output_second":
        per_second = pricing.get("cost_per_second", pricing.get("cost_per_video_output_second"))
        match = re.match(r"\d+", str(params.get("duration", "5")))
        seconds = int(match.group()) if match else 5
        value = per_second * seconds if isinstance(per_second, (int, float)) else None
    else:
        value = None
    return float(value) if isinstance(value, (int, float)) else 0.0
