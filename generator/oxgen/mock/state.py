"""Everything the mock server remembers, in one object shared by the routes (``app.state.mock``)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .. import snapshot as snap
from .catalog import Catalog
from .config import MockConfig
from .events import EVENT_COMPLETED, EventBroker
from .faults import FaultInjector
from .jobs import Job, JobStore
from .repos import RepoStore


class MockState:
    """The catalog, jobs, event streams, fault generator and counters of one server.

    Mutate it only from the server's event loop (route handlers do); reading counters from another
    thread is fine.
    """

    def __init__(self, snapshot: snap.Snapshot, config: MockConfig | None = None) -> None:
        self.config = config if config is not None else MockConfig()
        self._initial_config = self.config.copy()
        self.catalog = Catalog.from_snapshot(snapshot)
        self.faults = FaultInjector(self.config)
        self.events = EventBroker()
        self.repos = RepoStore()
        self.jobs = JobStore(self.catalog, self._completed, self.check_inputs)
        self.requests: Counter[str] = Counter()
        self.fault_counts: Counter[str] = Counter()
        self.jobs_created = 0
        self.sync_generations = 0

    @classmethod
    def load(cls, src: str, config: MockConfig | None = None) -> MockState:
        """State over a snapshot folder or catalog file (raises SnapshotError)."""
        return cls(snap.load(src), config)

    def check_inputs(self, params: dict[str, Any], base_url: str) -> str | None:
        """Why a generation with `params` cannot read its inputs (None when it can): data URIs
        must decode, and URLs on this server must serve a file (see ``RepoStore.check_inputs``)."""
        return self.repos.check_inputs(params, base_url, self.jobs.files)

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

    def stats(self) -> dict[str, Any]:
        """The counters behind ``GET /_mock/stats``."""
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
        """Forget jobs, files and counters, restore the start-up settings and reseed the faults.

        Open event streams stay open (their counters restart from zero).
        """
        self.jobs.clear()
        self.repos.clear()
        self.requests.clear()
        self.fault_counts.clear()
        self.jobs_created = 0
        self.sync_generations = 0
        self.events.opened = self.events.open_count
        self.events.dropped = 0
        self.events.stalled = 0
        self.events.sent = 0
        self.config.update(self._initial_config.as_dict())
        self.faults.reset()
