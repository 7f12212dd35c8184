"""Handles on queued generations: ``status()``, ``wait()``, ``cancel()``, ``download()``.

A handle is just a generation id and its client: ``client.job(id)`` rebuilds one at any time,
so a job outlives the process that enqueued it (and a timed-out ``wait`` loses nothing).
Waiting goes through the client's shared event hub (see ``_events``), not one poll loop per job.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ._exceptions import GenerationFailedError, OxenError, WaitTimeoutError
from ._models import Cancellation, Generation
from ._types import OMIT, Omit, Timeout

if TYPE_CHECKING:  # httpx is imported by the first request, not by making a handle
    import httpx

    from ._api import AsyncOxenBase, SyncOxenBase

__all__ = ["DEFAULT_WAIT", "AsyncJob", "Job", "Progress"]

DEFAULT_WAIT = 1800.0
Progress = Callable[[int, "int | None"], object]
"""``progress(bytes_written, total_bytes_or_None)``, called after every chunk."""


def _deadline(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def _target(path: str | os.PathLike[str], url: str) -> Path:
    """Where to save: `path`, or the URL's file name inside it when `path` is a directory or ends
    with a separator (``"out/"``: created if missing)."""
    target = Path(path)
    raw = os.fspath(path)
    if target.is_dir() or raw.endswith(("/", os.sep)):
        import httpx

        name = httpx.URL(url).path.rsplit("/", 1)[-1] or "result"
        target = target / name
    return target


def _total(response: httpx.Response) -> int | None:
    raw = response.headers.get("content-length")
    return int(raw) if raw and raw.isdigit() else None


def _checked(row: Generation, raise_on_failure: bool) -> Generation:
    if raise_on_failure and row.status != "succeeded":
        raise GenerationFailedError(row)
    return row


class _JobBase:
    def __init__(
        self, generation_id: str, *, epoch: int | None = None, model_id: str | None = None
    ) -> None:
        self.id = generation_id
        self.model_id = model_id
        self._epoch = epoch  # the event stream's epoch when the job was enqueued
        self.last: Generation | None = None  # the latest state seen

    @property
    def generation_id(self) -> str:
        return self.id

    def __repr__(self) -> str:
        status = self.last.status if self.last is not None else "unknown"
        return f"{type(self).__name__}(id={self.id!r}, model={self.model_id!r}, status={status!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _JobBase) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def _seen(self, row: Generation) -> Generation:
        self.last = row
        return row

    def _result_url(self, row: Generation) -> str:
        if not row.result_url:
            raise OxenError(f"generation {self.id} has no result URL (status {row.status})")
        return row.result_url


class Job(_JobBase):
    """A queued generation, for the blocking client. Rebuild one with ``client.job(id)``."""

    def __init__(
        self,
        client: SyncOxenBase,
        generation_id: str,
        *,
        epoch: int | None = None,
        model_id: str | None = None,
    ) -> None:
        super().__init__(generation_id, epoch=epoch, model_id=model_id)
        self._client = client

    def status(
        self, *, timeout: Timeout | Omit = OMIT, extra_headers: Mapping[str, str] | None = None
    ) -> Generation:
        """The job's current row (``GET /ai/queue/{id}``)."""
        row = Generation.model_validate(
            self._client.get_json(
                f"/ai/queue/{self.id}", timeout=timeout, extra_headers=extra_headers
            )
        )
        if row.done:
            self._client._hub.report(row)
        return self._seen(row)

    def wait(
        self, timeout: float | None = DEFAULT_WAIT, *, raise_on_failure: bool = True
    ) -> Generation:
        """Block until the job ends, at most `timeout` seconds of wall-clock time (None: no limit).

        Returns the final row. Raises GenerationFailedError if it failed or was cancelled (unless
        ``raise_on_failure=False``), WaitTimeoutError (with the id; the job goes on) on time-out.
        """
        if self.last is not None and self.last.done:
            return _checked(self.last, raise_on_failure)
        deadline = _deadline(timeout)
        hub = self._client._hub
        hub.start(timeout=min(5.0, timeout) if timeout is not None else 5.0)
        waiter = hub.register(self.id)
        try:
            if not hub.current(self._epoch) and not waiter.event.is_set():
                self.status(
                    timeout=30.0 if deadline is None else max(0.001, deadline - time.monotonic())
                )
            if not waiter.event.wait(_remaining(deadline)):
                raise WaitTimeoutError(
                    self.id, timeout or 0.0, self.last.status if self.last else None
                )
        finally:
            hub.unregister(self.id, waiter)
        if waiter.error is not None:
            raise waiter.error
        assert waiter.row is not None
        return _checked(self._seen(waiter.row), raise_on_failure)

    def cancel(
        self, *, timeout: Timeout | Omit = OMIT, extra_headers: Mapping[str, str] | None = None
    ) -> Cancellation:
        """Cancel the job while it is queued or processing (``DELETE /ai/queue/{id}``)."""
        response = self._client.request(
            "DELETE", f"/ai/queue/{self.id}", timeout=timeout, extra_headers=extra_headers
        )
        result = Cancellation.model_validate(response.json())
        row = Generation(generation_id=self.id, status="cancelled", model_name=self.model_id)
        self._client._hub.report(self._seen(row))
        return result

    def download(
        self,
        path: str | os.PathLike[str],
        *,
        progress: Progress | None = None,
        wait_timeout: float | None = DEFAULT_WAIT,
        timeout: Timeout | Omit = OMIT,
    ) -> Path:
        """Stream the result to `path`: a file, or a directory that keeps the URL's file name.

        A `path` ending in ``/`` is a directory (created if missing). Waits for the job first if
        needed. The file appears complete or not at all. The API key is sent only if the result
        lives on the API's own origin.
        """
        row = (
            self.last if self.last is not None and self.last.succeeded else self.wait(wait_timeout)
        )
        return self._client.download_url(
            self._result_url(row), path, progress=progress, timeout=timeout
        )


class AsyncJob(_JobBase):
    """A queued generation, for the asyncio client."""

    def __init__(
        self,
        client: AsyncOxenBase,
        generation_id: str,
        *,
        epoch: int | None = None,
        model_id: str | None = None,
    ) -> None:
        super().__init__(generation_id, epoch=epoch, model_id=model_id)
        self._client = client

    async def status(
        self, *, timeout: Timeout | Omit = OMIT, extra_headers: Mapping[str, str] | None = None
    ) -> Generation:
        """The job's current row (``GET /ai/queue/{id}``)."""
        row = Generation.model_validate(
            await self._client.get_json(
                f"/ai/queue/{self.id}", timeout=timeout, extra_headers=extra_headers
            )
        )
        if row.done:
            self._client._hub.report(row)
        return self._seen(row)

    async def wait(
        self, timeout: float | None = DEFAULT_WAIT, *, raise_on_failure: bool = True
    ) -> Generation:
        """Wait until the job ends, at most `timeout` seconds of wall-clock time (None: no limit).

        Returns the final row. Raises GenerationFailedError if it failed or was cancelled (unless
        ``raise_on_failure=False``), WaitTimeoutError (with the id; the job goes on) on time-out.
        """
        import asyncio

        if self.last is not None and self.last.done:
            return _checked(self.last, raise_on_failure)
        deadline = _deadline(timeout)
        hub = self._client._hub
        await hub.start(timeout=min(5.0, timeout) if timeout is not None else 5.0)
        waiter = hub.register(self.id)
        try:
            if not hub.current(self._epoch) and not waiter.done():
                await self.status(
                    timeout=30.0 if deadline is None else max(0.001, deadline - time.monotonic())
                )
            try:
                row = await asyncio.wait_for(asyncio.shield(waiter), _remaining(deadline))
            except TimeoutError:
                raise WaitTimeoutError(
                    self.id, timeout or 0.0, self.last.status if self.last else None
                ) from None
        finally:
            hub.unregister(self.id, waiter)
        return _checked(self._seen(row), raise_on_failure)

    async def cancel(
        self, *, timeout: Timeout | Omit = OMIT, extra_headers: Mapping[str, str] | None = None
    ) -> Cancellation:
        """Cancel the job while it is queued or processing (``DELETE /ai/queue/{id}``)."""
        response = await self._client.request(
            "DELETE", f"/ai/queue/{self.id}", timeout=timeout, extra_headers=extra_headers
        )
        result = Cancellation.model_validate(response.json())
        row = Generation(generation_id=self.id, status="cancelled", model_name=self.model_id)
        self._client._hub.report(self._seen(row))
        return result

    async def download(
        self,
        path: str | os.PathLike[str],
        *,
        progress: Progress | None = None,
        wait_timeout: float | None = DEFAULT_WAIT,
        timeout: Timeout | Omit = OMIT,
    ) -> Path:
        """Stream the result to `path`: a file, or a directory that keeps the URL's file name.

        A `path` ending in ``/`` is a directory (created if missing). Waits for the job first if
        needed. The file appears complete or not at all. The API key is sent only if the result
        lives on the API's own origin.
        """
        row = (
            self.last
            if self.last is not None and self.last.succeeded
            else await self.wait(wait_timeout)
        )
        return await self._client.download_url(
            self._result_url(row), path, progress=progress, timeout=timeout
        )


class _Partial:
    """A temporary file beside `target`, moved into place only when complete."""

    def __init__(self, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        self.file = os.fdopen(fd, "wb")
        self.name = name
        self.target = target

    def commit(self) -> Path:
        self.file.close()
        os.replace(self.name, self.target)
        return self.target

    def abort(self) -> None:
        self.file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.name)


def download_sync(
    response: httpx.Response, url: str, path: str | os.PathLike[str], progress: Progress | None
) -> Path:
    partial = _Partial(_target(path, url))
    total, done = _total(response), 0
    try:
        for chunk in response.iter_bytes(65536):
            partial.file.write(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
        return partial.commit()
    except BaseException:
        partial.abort()
        raise
    finally:
        response.close()


async def download_async(
    response: httpx.Response, url: str, path: str | os.PathLike[str], progress: Progress | None
) -> Path:
    partial = _Partial(_target(path, url))
    total, done = _total(response), 0
    try:
        async for chunk in response.aiter_bytes(65536):
            partial.file.write(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
        return partial.commit()
    except BaseException:
        partial.abort()
        raise
    finally:
        await response.aclose()
