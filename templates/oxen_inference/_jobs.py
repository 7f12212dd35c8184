"""Handles on queued generations: what the blocking and the asyncio handle share.

A handle is just a generation id and its client: ``client.job(id)`` rebuilds one at any time,
so a job outlives the process that enqueued it (and a timed-out ``wait`` loses nothing).
Waiting goes through the client's shared event hub (see ``_events``), not one poll loop per job:
``wait()`` sends no request of its own. Transient trouble (429, 5xx, a dropped connection, a
failing event stream) only delays it; it raises for a failed or cancelled job, an id the server
does not know (404), a refused key (401/403), or its own deadline. The handles themselves are
``_async/jobs.py`` and its blocking twin.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ._checks import queue_path
from ._exceptions import GenerationFailedError, OxenError, WaitTimeoutError
from ._models import GenerationResult

if TYPE_CHECKING:
    from ._events import Token

__all__ = ["DEFAULT_WAIT", "START_WAIT", "JobBase", "checked", "deadline_in", "remaining"]

DEFAULT_WAIT = 1800.0
START_WAIT = 5.0  # how long wait() gives a fresh client's event stream to come up


def deadline_in(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


def remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def checked(row: GenerationResult, raise_on_failure: bool) -> GenerationResult:
    if raise_on_failure and row.status != "succeeded":
        raise GenerationFailedError(row)
    return row


class JobBase:
    """A generation id and what was last seen of it (the clients' handles add the I/O)."""

    def __init__(
        self,
        generation_id: str,
        *,
        epoch: Token | None = None,
        model_id: str | None = None,
        status: str | None = None,
    ) -> None:
        self.id = generation_id
        self.model_id = model_id
        self._epoch = epoch  # what the event hub was when the job was enqueued
        self._last: GenerationResult | None = None
        self._answered = status  # what the enqueue answered: made a row when first asked for

    @property
    def last(self) -> GenerationResult | None:
        """The latest state seen: the enqueue's answer, a ``status()`` row, or how ``wait()``
        ended (None for a handle rebuilt with ``client.job(id)`` that has not looked yet)."""
        if self._last is None and self._answered is not None:
            self._last = GenerationResult(
                generation_id=self.id, status=self._answered, model_name=self.model_id
            )
        return self._last

    @last.setter
    def last(self, row: GenerationResult | None) -> None:
        self._last = row

    @property
    def generation_id(self) -> str:
        return self.id

    @property
    def _path(self) -> str:
        return queue_path(self.id)

    def __repr__(self) -> str:
        status = self.last.status if self.last is not None else "unknown"
        return f"{type(self).__name__}(id={self.id!r}, model={self.model_id!r}, status={status!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JobBase) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def _seen(self, row: GenerationResult) -> GenerationResult:
        self.last = row
        return row

    def _cancelled(self) -> GenerationResult:
        row = GenerationResult(generation_id=self.id, status="cancelled", model_name=self.model_id)
        self.last = row
        return row

    def _timed_out(self, timeout: float | None) -> WaitTimeoutError:
        return WaitTimeoutError(self.id, timeout or 0.0, self.last.status if self.last else None)

    def _result_url(self, row: GenerationResult) -> str:
        if not row.result_url:
            raise OxenError(f"generation {self.id} has no result URL (status {row.status})")
        return row.result_url
