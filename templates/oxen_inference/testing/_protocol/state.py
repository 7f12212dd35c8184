"""Everything a fake Oxen remembers, in one object: the catalog, jobs, event streams, repositories,
faults, failure rules and counters, behind one lock.

Any thread may call its methods (the lock makes each one atomic). Time moves jobs on: every method
that reads or changes jobs first applies the transitions due by now (:meth:`State.advance`).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from .catalog import Catalog
from .config import MockConfig
from .events import EVENT_COMPLETED, KEEPALIVE, EventBroker, Subscriber
from .faults import FaultInjector, Forced
from .jobs import Job, JobStore
from .repos import RepoStore

StreamStep = tuple[list[str], bool, float | None]
"""What to send on a stream now, whether it has ended, and how long to wait before the next step
(None: until woken)."""

Rule = tuple[Callable[[dict[str, Any]], bool], str]
"""A failure rule: (predicate on a generation's request body, error message)."""


class State:
    """The protocol's state. `clock` gives ``time.monotonic()``-like moments."""

    def __init__(
        self,
        catalog: Catalog,
        config: MockConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.config = config if config is not None else MockConfig()
        self._initial_config = self.config.copy()
        self.catalog = catalog
        self.faults = FaultInjector(self.config)
        self.events = EventBroker()
        self.repos = RepoStore()
        self.jobs = JobStore(self.catalog, self._completed, self.check_inputs)
        self.rules: list[Rule] = []
        self.requests: Counter[str] = Counter()
        self.fault_counts: Counter[str] = Counter()
        self.jobs_created = 0
        self.sync_generations = 0

    # -- time ------------------------------------------------------------------------------

    def advance(self, now: float | None = None) -> None:
        """Apply every job transition due by `now` (default: the clock)."""
        with self.lock:
            self.jobs.advance(self.clock() if now is None else now)

    def step(self, sub: Subscriber) -> StreamStep:
        """One step of serving `sub`: the texts to send now (events, or a keep-alive after
        `keepalive` seconds without one), whether the stream has ended, and how long to wait."""
        with self.lock:
            now = self.clock()
            self.jobs.advance(now)
            self.events.due(sub, now)
            texts = list(sub.items)
            sub.items.clear()
            if sub.closed:
                return texts, True, 0.0
            if sub.stalled:
                return [], False, None
            keepalive = self.config.keepalive
            if texts:
                sub.last_sent = now
            elif now - sub.last_sent >= keepalive:
                texts, sub.last_sent = [KEEPALIVE], now
            moments = [sub.last_sent + keepalive, self.jobs.next_due(), sub.drop_at, sub.stall_at]
            wait = min(m for m in moments if m is not None) - now
            return texts, False, max(wait, 0.0)

    # -- streams ---------------------------------------------------------------------------

    def subscribe(self, owner: str) -> Subscriber:
        with self.lock:
            return self.events.subscribe(
                owner,
                self.clock(),
                self.faults.stream_drop_after(),
                self.faults.stream_stall_after(),
            )

    def unsubscribe(self, sub: Subscriber) -> None:
        with self.lock:
            self.events.unsubscribe(sub)

    def drop_streams(self, owner: str | None = None) -> int:
        """End every open event stream (of `owner` only, if given) now; returns how many."""
        with self.lock:
            return self.events.drop_all(owner)

    def stall_streams(self, owner: str | None = None) -> int:
        """Make every open event stream (of `owner` only, if given) go silent, left open: no
        events, no keep-alives. Returns how many were stalled."""
        with self.lock:
            return self.events.stall_all(owner)

    def _completed(self, job: Job) -> None:
        data: dict[str, Any]
        if job.status == "succeeded":
            data = {
                "generation_id": job.id,
                "status": "succeeded",
                "media_type": job.media_type,
                "model": job.model,
                "url": job.result_url,
            }
        else:
            data = {
                "generation_id": job.id,
                "status": "failed",
                "media_type": job.media_type,
                "error": job.error_message,
            }
        self.events.publish(job.owner, EVENT_COMPLETED, data)

    # -- generations -----------------------------------------------------------------------

    def check_inputs(self, model_id: str, params: dict[str, Any], base_url: str) -> str | None:
        """Why a generation of `model_id` with `params` cannot read its inputs (None when it
        can): media inputs must be http(s) URLs or data URIs, data URIs must decode, and URLs on
        this server must serve a file (see ``RepoStore.check_inputs``)."""
        media = self.catalog.media_strings(model_id, params)
        return self.repos.check_inputs(params, base_url, self.jobs.files, media)

    def failure_for(self, body: dict[str, Any]) -> str | None:
        """The message of the first failure rule whose predicate holds for `body`, if any."""
        for predicate, message in self.rules:
            if predicate(body):
                return message
        return None

    def fail_job(self, job_id: str, message: str) -> None:
        """Make the active job `job_id` end ``failed`` with `message` (ValueError if it is
        unknown or has already ended)."""
        with self.lock:
            self.jobs.advance(self.clock())
            job = self.jobs.jobs.get(job_id)
            if job is None or job.source != "queue":
                raise ValueError(f"no queued generation {job_id!r}")
            if not self.jobs.fail(job, message):
                raise ValueError(f"generation {job_id} has already ended ({job.status})")

    def fail_jobs(self, predicate: Callable[[dict[str, Any]], bool], message: str) -> None:
        """Generations requested from now on whose body satisfies `predicate` end ``failed`` with
        `message` (a blocking route answers 400 with it)."""
        with self.lock:
            self.rules.append((predicate, message))

    def fail_requests(self, fault: Forced) -> None:
        with self.lock:
            self.faults.force(fault)

    # -- settings and counters -------------------------------------------------------------

    def configure(self, changes: dict[str, Any]) -> None:
        """Change settings atomically (ValueError on a bad name or value; nothing changes then)."""
        with self.lock:
            self.config.update(changes)
            if "seed" in changes:
                self.faults.reset()

    def stats(self) -> dict[str, Any]:
        """The counters (``GET /_mock/stats`` on a server)."""
        with self.lock:
            self.jobs.advance(self.clock())
            return {
                "requests": dict(sorted(self.requests.items())),
                "requests_total": sum(self.requests.values()),
                "faults": dict(sorted(self.fault_counts.items())),
                "jobs_created": self.jobs_created,
                "jobs": self.jobs.counts(),
                "sync_generations": self.sync_generations,
                "streams": {
                    "open": self.events.open_count,
                    "opened": self.events.opened,
                    "dropped": self.events.dropped,
                    "stalled": self.events.stalled,
                },
                "events_sent": self.events.sent,
                "repos": self.repos.stats(),
                "config": self.config.as_dict(),
            }

    def reset(self) -> None:
        """Forget jobs, files, counters, failure rules and forced faults, restore the start-up
        settings and reseed the faults. Open event streams stay open (their counters restart)."""
        with self.lock:
            self.jobs.clear()
            self.repos.clear()
            self.rules.clear()
            self.requests.clear()
            self.fault_counts.clear()
            self.jobs_created = 0
            self.sync_generations = 0
            self.events.reset_counters()
            self.config.update(self._initial_config.as_dict())
            self.faults.forced.clear()
            self.faults.reset()

    def close(self) -> None:
        """End every stream and forget every job and file (a server shutting down)."""
        with self.lock:
            self.events.close_all()
            self.jobs.clear()
            self.repos.close()
