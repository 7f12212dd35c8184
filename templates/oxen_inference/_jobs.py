"""Handles on queued generations: ``status()``, ``wait()``, ``cancel()``, ``download()``.

A handle is just a generation id and its client: ``client.job(id)`` rebuilds one at any time,
so a job outlives the process that enqueued it (and a timed-out ``wait`` loses nothing).
Waiting goes through the client's shared event hub (see ``_events``), not one poll loop per job:
``wait()`` sends no request of its own. Transient trouble (429, 5xx, a dropped connection, a
failing event stream) only delays it; it raises for a failed or cancelled job, an id the server
does not know (404), a refused key (401/403), or its own deadline.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ._base_client import answer, deadline_scope, queue_path
from ._exceptions import GenerationFailedError, OxenError, WaitTimeoutError
from ._models import Cancellation, Generation, GenerationResult
from ._types import OMIT, Omit, Timeout

if TYPE_CHECKING:  # httpx is imported by the first request, not by making a handle
    import httpx

    from ._api import AsyncOxenBase, SyncOxenBase
    from ._events import Token

__all__ = ["DEFAULT_WAIT", "AsyncJob", "Job", "Progress", "safe_file_name"]

DEFAULT_WAIT = 1800.0
DOWNLOAD_IDLE_TIMEOUT = 60.0  # the longest wait for the next chunk of a download
START_WAIT = 5.0  # how long wait() gives a fresh client's event stream to come up
MAX_NAME_BYTES = 200
FALLBACK_NAME = "result"
Progress = Callable[[int, "int | None"], object]
"""``progress(bytes_written, total_bytes_or_None)``, called after every chunk."""


def _deadline(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def safe_file_name(url: str) -> str:
    """A file name for `url`'s result that stays inside the target directory.

    The last path segment, percent-decoded; separators and control characters become ``_``;
    leading dots are dropped (so ``..``, ``%2e%2e`` and hidden names cannot be produced); a name
    longer than ``MAX_NAME_BYTES`` keeps its extension and loses the end of its stem; an empty
    result becomes ``result``.
    """
    import httpx

    name = httpx.URL(url).path.rsplit("/", 1)[-1]
    name = "".join("_" if ch in "\\/:" or ord(ch) < 32 or ord(ch) == 127 else ch for ch in name)
    name = name.strip().lstrip(".").strip()
    if not name:
        return FALLBACK_NAME
    if len(name.encode()) > MAX_NAME_BYTES:
        stem, dot, ext = name.rpartition(".")
        suffix = f".{ext}" if dot and stem and 0 < len(ext.encode()) <= 16 else ""
        room = MAX_NAME_BYTES - len(suffix.encode())
        stem = (stem if suffix else name).encode()[:room].decode(errors="ignore").rstrip()
        name = (stem or FALLBACK_NAME) + suffix
    return name


def _target(path: str | os.PathLike[str], url: str) -> Path:
    """Where to save: `path`, or the URL's file name inside it when `path` is a directory or ends
    with a separator (``"out/"``: created if missing). Never outside that directory."""
    target = Path(path)
    raw = os.fspath(path)
    if target.is_dir() or raw.endswith(("/", os.sep)):
        folder = target
        target = folder / safe_file_name(url)
        if target.resolve().parent != folder.resolve():
            raise OxenError(
                f"refusing to save {url!r}: its file name leads outside {os.fspath(folder)!r}"
            )
    return target


def _total(response: httpx.Response) -> int | None:
    raw = response.headers.get("content-length")
    return int(raw) if raw and raw.isdigit() else None


def _checked(row: GenerationResult, raise_on_failure: bool) -> GenerationResult:
    if raise_on_failure and row.status != "succeeded":
        raise GenerationFailedError(row)
    return row


class _JobBase:
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
        return isinstance(other, _JobBase) and other.id == self.id

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


class Job(_JobBase):
    """A queued generation, for the blocking client. Rebuild one with ``client.job(id)``."""

    def __init__(
        self,
        client: SyncOxenBase,
        generation_id: str,
        *,
        epoch: Token | None = None,
        model_id: str | None = None,
        status: str | None = None,
    ) -> None:
        super().__init__(generation_id, epoch=epoch, model_id=model_id, status=status)
        self._client = client

    def status(
        self, *, timeout: Timeout | Omit = OMIT, extra_headers: Mapping[str, str] | None = None
    ) -> Generation:
        """The job's current row (``GET /ai/queue/{id}``)."""
        row = self._client.get_parsed(
            self._path,
            Generation.model_validate,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        if row.done:
            self._client._hub.report(row)
        self.last = row
        return row

    def wait(
        self, timeout: float | None = DEFAULT_WAIT, *, raise_on_failure: bool = True
    ) -> GenerationResult:
        """Block until the job ends, at most `timeout` seconds of wall-clock time (None: no limit).

        Returns how it ended: a :class:`GenerationResult` (id, status, result URL or error
        message, model, media type; ``job.status()`` has the full row). Transient errors (429,
        5xx, connection trouble) only delay it. Raises GenerationFailedError if the job failed or
        was cancelled (unless ``raise_on_failure=False``), NotFoundError for an unknown id,
        AuthenticationError/PermissionDeniedError for a refused key, WaitTimeoutError (with the
        id; the job goes on) on time-out.
        """
        if self.last is not None and self.last.done:
            return _checked(self.last, raise_on_failure)
        deadline = _deadline(timeout)
        hub = self._client._hub
        hub.start(timeout=min(START_WAIT, timeout) if timeout is not None else START_WAIT)
        waiter = hub.register(self.id, self._epoch)
        try:
            if not waiter.event.wait(_remaining(deadline)):
                raise self._timed_out(timeout)
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
            "DELETE", self._path, timeout=timeout, extra_headers=extra_headers
        )
        result = answer(response, Cancellation.model_validate)
        self._client._hub.report(self._cancelled())
        return result

    def download(
        self,
        path: str | os.PathLike[str],
        *,
        progress: Progress | None = None,
        wait_timeout: float | None = DEFAULT_WAIT,
        timeout: Timeout | Omit = OMIT,
        idle_timeout: float = DOWNLOAD_IDLE_TIMEOUT,
    ) -> Path:
        """Stream the result to `path`: a file, or a directory that keeps the URL's file name.

        A `path` ending in ``/`` is a directory (created if missing); the name taken from the URL
        is made safe (never ``..``, never outside the directory). Waits for the job first if
        needed. The file appears complete or not at all. Redirects are followed; the API key is
        sent only to the API's own origin. `timeout` bounds the whole download (default: none);
        `idle_timeout` bounds the wait for each chunk.
        """
        row = (
            self.last if self.last is not None and self.last.succeeded else self.wait(wait_timeout)
        )
        return self._client.download_url(
            self._result_url(row),
            path,
            progress=progress,
            timeout=timeout,
            idle_timeout=idle_timeout,
        )


class AsyncJob(_JobBase):
    """A queued generation, for the asyncio client."""

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
        self, *, timeout: Timeout | Omit = OMIT, extra_headers: Mapping[str, str] | None = None
    ) -> Generation:
        """The job's current row (``GET /ai/queue/{id}``)."""
        row = await self._client.get_parsed(
            self._path,
            Generation.model_validate,
            timeout=timeout,
            extra_headers=extra_headers,
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
        the id; the job goes on) on time-out.
        """
        import asyncio

        if self.last is not None and self.last.done:
            return _checked(self.last, raise_on_failure)
        deadline = _deadline(timeout)
        hub = self._client._hub
        await hub.start(timeout=min(START_WAIT, timeout) if timeout is not None else START_WAIT)
        waiter = hub.register(self.id, self._epoch)
        try:
            try:
                row = await asyncio.wait_for(asyncio.shield(waiter), _remaining(deadline))
            except TimeoutError:
                raise self._timed_out(timeout) from None
        finally:
            hub.unregister(self.id, waiter)
        return _checked(self._seen(row), raise_on_failure)

    async def cancel(
        self, *, timeout: Timeout | Omit = OMIT, extra_headers: Mapping[str, str] | None = None
    ) -> Cancellation:
        """Cancel the job while it is queued or processing (``DELETE /ai/queue/{id}``)."""
        response = await self._client.request(
            "DELETE", self._path, timeout=timeout, extra_headers=extra_headers
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
    ) -> Path:
        """Stream the result to `path`: a file, or a directory that keeps the URL's file name.

        A `path` ending in ``/`` is a directory (created if missing); the name taken from the URL
        is made safe (never ``..``, never outside the directory). Waits for the job first if
        needed. The file appears complete or not at all. Redirects are followed; the API key is
        sent only to the API's own origin. `timeout` bounds the whole download (default: none);
        `idle_timeout` bounds the wait for each chunk.
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
        )


class _Partial:
    """A temporary file beside `target`, moved into place only when complete."""

    def __init__(self, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        # Made as open() makes a file (mode 0o666 less the umask), not 0o600 as mkstemp does:
        # the download is the user's file, for a web server or another user to read as usual.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        while True:
            name = str(target.parent / f".{target.name}.{os.urandom(6).hex()}.part")
            try:
                fd = os.open(name, flags, 0o666)
                break
            except FileExistsError:  # another download picked the same name: draw again
                continue
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


def _body_error(exc: Exception, response: httpx.Response) -> OxenError:
    import httpx

    from ._base_client import connection_error

    if isinstance(exc, TimeoutError):
        from ._exceptions import APITimeoutError

        return APITimeoutError("download timed out (deadline)", request=response.request)
    assert isinstance(exc, httpx.TransportError)
    return connection_error(exc, response.request)


def download_sync(
    response: httpx.Response,
    url: str,
    path: str | os.PathLike[str],
    progress: Progress | None,
    deadline: float | None = None,
) -> Path:
    """Write the body to `path` (atomically); each read waits at most the idle timeout, the whole
    download ends by `deadline`."""
    import httpx

    try:
        partial = _Partial(_target(path, url))
    except BaseException:
        response.close()
        raise
    total, done = _total(response), 0
    try:
        with deadline_scope(deadline):
            for chunk in response.iter_bytes(65536):
                partial.file.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
        return partial.commit()
    except httpx.TransportError as exc:
        partial.abort()
        raise _body_error(exc, response) from exc
    except BaseException:
        partial.abort()
        raise
    finally:
        response.close()


async def download_async(
    response: httpx.Response,
    url: str,
    path: str | os.PathLike[str],
    progress: Progress | None,
    deadline: float | None = None,
) -> Path:
    """Write the body to `path` (atomically); each read waits at most the idle timeout, the whole
    download ends by `deadline`."""
    import asyncio

    import httpx

    try:
        partial = _Partial(_target(path, url))
    except BaseException:
        await response.aclose()
        raise
    total, done = _total(response), 0
    try:
        async with asyncio.timeout(None if deadline is None else deadline - time.monotonic()):
            async for chunk in response.aiter_bytes(65536):
                partial.file.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
        return partial.commit()
    except (httpx.TransportError, TimeoutError) as exc:
        partial.abort()
        raise _body_error(exc, response) from exc
    except BaseException:
        partial.abort()
        raise
    finally:
        await response.aclose()
