"""A queued generation's handle: ``status()``, ``wait()``, ``cancel()``, ``download()`` (see
``_jobs`` for what waiting means and raises)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._answers import answer
from .._jobs import DEFAULT_WAIT, START_WAIT, JobBase, checked, deadline_in, remaining
from .._limits import DOWNLOAD_IDLE_TIMEOUT
from .._models import Cancellation, Generation, GenerationResult
from .._types import OMIT, Omit, Progress, Timeout

if TYPE_CHECKING:
    from .._events import Token
    from .api import AsyncOxenBase

__all__ = ["AsyncJob"]


class AsyncJob(JobBase):
    """A queued generation. Rebuild one with ``client.job(id)``."""

    def __init__(
        self,
        client: AsyncOxenBase,
        generation_id: str,
        *,
        epoch: Token | None = None,
        model_id: str | None = None,
        status: str | None = None,
    ) -> None:
        super().__init__(generation_id, epoch=epoch, model_id=model_id, status=status)
        self._client = client

    async def status(
        self,
        *,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        max_retries: int | None = None,
    ) -> Generation:
        """The job's current row (``GET /ai/queue/{id}``)."""
        row = await self._client.get_parsed(
            self._path,
            Generation.model_validate,
            timeout=timeout,
            extra_headers=extra_headers,
            extra_query=extra_query,
            max_retries=max_retries,
        )
        if row.done:
            self._client._hub.report(row)
        self.last = row
        return row

    async def wait(
        self, timeout: float | None = DEFAULT_WAIT, *, raise_on_failure: bool = True
    ) -> GenerationResult:
        """Wait until the job ends, at most `timeout` seconds of wall-clock time (None: no limit).

        Returns how it ended: a :class:`GenerationResult` (id, status, result URL or error
        message, model, media type; ``await job.status()`` has the full row). Transient errors
        (429, 5xx, connection trouble) only delay it. Raises GenerationFailedError if the job
        failed or was cancelled (unless ``raise_on_failure=False``), NotFoundError for an unknown
        id, AuthenticationError/PermissionDeniedError for a refused key, WaitTimeoutError (with
        the id; the job goes on) on time-out, ClientClosedError when the client is closed
        meanwhile.
        """
        self._client._check_open()
        last = self.last
        if last is not None and last.done:  # the id's one outcome, as the hub has it
            return checked(self._seen(self._client._hub.known(self.id) or last), raise_on_failure)
        deadline = deadline_in(timeout)
        hub = self._client._hub
        await hub.start(timeout=min(START_WAIT, timeout) if timeout is not None else START_WAIT)
        waiter = hub.register(self.id, self._epoch)
        try:
            ended = await waiter.wait(remaining(deadline))
        finally:
            hub.unregister(self.id, waiter)
        if ended is None:
            raise self._timed_out(timeout)
        return checked(self._seen(ended), raise_on_failure)

    async def cancel(
        self,
        *,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        max_retries: int | None = None,
    ) -> Cancellation:
        """Cancel the job while it is queued or processing (``DELETE /ai/queue/{id}``)."""
        response = await self._client.request(
            "DELETE",
            self._path,
            timeout=timeout,
            extra_headers=extra_headers,
            extra_query=extra_query,
            max_retries=max_retries,
        )
        result = answer(response, Cancellation.model_validate)
        self._client._hub.report(self._cancelled())
        return result

    async def download(
        self,
        path: str | os.PathLike[str],
        *,
        progress: Progress | None = None,
        wait_timeout: float | None = DEFAULT_WAIT,
        timeout: Timeout | Omit = OMIT,
        idle_timeout: float = DOWNLOAD_IDLE_TIMEOUT,
        max_bytes: int | None = None,
    ) -> Path:
        """Stream the result to `path`: a file, or a directory that keeps the URL's file name.

        A `path` ending in ``/`` is a directory (created if missing); the name taken from the URL
        is made safe (never ``..``, never outside the directory). Waits for the job first if
        needed. The file appears complete or not at all. Redirects are followed; the API key is
        sent only to the API's own origin. `timeout` bounds the whole download (default: none);
        `idle_timeout` bounds the wait for each chunk; `max_bytes` its size (default: none; past
        it, ResponseTooLargeError and no file).
        """
        row = (
            self.last
            if self.last is not None and self.last.succeeded
            else await self.wait(wait_timeout)
        )
        return await self._client.download_url(
            self._result_url(row),
            path,
            progress=progress,
            timeout=timeout,
            idle_timeout=idle_timeout,
            max_bytes=max_bytes,
        )
