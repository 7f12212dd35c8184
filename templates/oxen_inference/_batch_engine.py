"""The batch engine: settle enqueues in doubt, send what surely was not, wait, download.

One asyncio engine serves both clients (``Oxen`` runs it on an event loop of its own). Every step
is recorded in the :class:`~._journal.Journal` as it happens, so the process may die at any
moment and a new run with the same folder carries on:

1. **settle**: enqueues in doubt (recorded, never answered) are looked for in the queue's rows,
   four list requests per model (active, succeeded, failed, cancelled), never one per input;
   rows matching their parameters are their jobs (see ``_batch_match``), the other inputs go
   back to pending. Only then is anything enqueued.
2. **send**: pending inputs, identical ones together (``num_generations`` up to 4), through as
   many workers as the client's ``max_concurrency``. Each enqueue is recorded before it leaves.
   A refusal that surely created nothing (429/503 after the client's retries, a connection
   never made) puts the inputs back, after a pause; another refusal (4xx) fails them; anything
   else (a lost answer, a 5xx, a time-out) leaves the enqueue in doubt, settled after the
   sending ends.
3. **wait** on the client's shared event stream (``job.wait``: no polling per job), and
4. **download** each result, streamed, to ``outputs/<input id>.<ext>``.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ._batch_inputs import canonical, media_fields, with_local_files
from ._batch_match import CONTROL_KEYS, Pool, digests, match
from ._batch_page import remove_stale_pages
from ._downloads import remove_partials
from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    NotFoundError,
    OxenError,
    PermissionDeniedError,
    ValidationError,
)
from ._journal import Journal, Row
from ._params import MAX_GENERATIONS, body_for
from ._progress import ProgressCallback, Tracker
from ._types import OMIT, TERMINAL_STATUSES

if TYPE_CHECKING:
    from ._async.api import AsyncOxenBase
    from ._async.jobs import AsyncJob

__all__ = ["OUTPUTS", "Engine"]

logger = logging.getLogger(__package__)

OUTPUTS = "outputs"  # the results' folder inside the output folder
PROGRESS_EVERY = 0.25  # seconds between progress callbacks (at most)
SETTLE_PAUSE = 1.0  # before settling enqueues that went into doubt during this run
MAX_PAUSE = 30.0
LIST_STATUSES = (None, *TERMINAL_STATUSES)  # None: the active rows
Verdict = Literal["fatal", "retry", "refused", "doubt"]


def verdict(exc: BaseException) -> Verdict:
    """What a failed enqueue means: ``fatal`` (the key is refused: stop), ``retry`` (surely
    nothing was created: send again later), ``refused`` (nothing was created: the inputs
    fail), ``doubt`` (jobs may exist: settle by listing)."""
    if isinstance(exc, (AuthenticationError, PermissionDeniedError)):
        return "fatal"
    if isinstance(exc, APIStatusError):
        if exc.status_code in (429, 503):
            return "retry"
        return "refused" if exc.status_code < 500 else "doubt"
    if isinstance(exc, APIConnectionError):
        import httpx

        never_sent = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
        return "retry" if isinstance(exc.__cause__, never_sent) else "doubt"
    if isinstance(exc, APIResponseValidationError):
        return "doubt"
    return "doubt"


def _suffix(url: str) -> str:
    from ._downloads import safe_file_name

    suffix = Path(safe_file_name(url)).suffix
    return suffix if 1 < len(suffix) <= 9 and suffix[1:].isalnum() else ".bin"


def tidy(folder: Path) -> None:
    """Remove what killed runs left half-written in `folder`: downloads (this run holds the
    folder: none is live) and old temporary pages."""
    remove_partials(folder / OUTPUTS)
    remove_stale_pages(folder)


class Engine:
    """One run over a journal. ``await Engine(...).run()``; `fatal` is set when it stopped
    because the API refused the key."""

    def __init__(
        self,
        client: AsyncOxenBase,
        journal: Journal,
        base: Path,
        *,
        download: bool,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.client = client
        self.journal = journal
        self.folder = journal.folder
        self.base = base
        self.download = download
        self.on_progress = on_progress
        self.rows = {row.seq: row for row in journal.rows()}
        downloaded = sum(1 for r in self.rows.values() if r.file)
        self.tracker = Tracker(journal.counts(), downloaded)
        self.fatal: BaseException | None = None
        self.crash: BaseException | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self.states: dict[int, str] = {}  # states changed by this run (rows hold the rest)
        self.doubted = False
        self.refusals = 0
        self.slots = asyncio.Semaphore(client.max_concurrency)

    # -- the run --------------------------------------------------------------------------

    async def run(self) -> None:
        await asyncio.to_thread(tidy, self.folder)
        ticker = asyncio.create_task(self._tick())
        try:
            await self._settle()
            self._resume()
            while self.fatal is None:
                await self._send_pending()
                if not self.doubted or self.fatal is not None:
                    break
                self.doubted = False
                await asyncio.sleep(SETTLE_PAUSE)
                await self._settle()
            while self.tasks and self.fatal is None and self.crash is None:
                await asyncio.wait(list(self.tasks), return_when=asyncio.FIRST_EXCEPTION)
        finally:
            ticker.cancel()
            for task in list(self.tasks):
                task.cancel()
            if self.tasks:
                await asyncio.gather(*self.tasks, return_exceptions=True)
            self._report()
        if self.crash is not None:
            raise self.crash

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None and self.crash is None:
            self.crash = task.exception()

    def _stop(self, exc: BaseException) -> None:
        if self.fatal is None:
            self.fatal = exc

    def _report(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.tracker.snapshot())

    async def _tick(self) -> None:
        seen = -1
        while True:
            if self.tracker.version != seen and self.on_progress is not None:
                seen = self.tracker.version
                self.on_progress(self.tracker.snapshot())
            await asyncio.sleep(PROGRESS_EVERY)

    def _resume(self) -> None:
        """Wait again for the jobs a previous run left running; fetch results not saved."""
        for row in self.rows.values():
            if row.state == "waiting" and row.generation_id:
                self._spawn(self._wait(row.seq, self.client.job(row.generation_id)))
            elif row.state == "succeeded" and self.download and not self._saved(row):
                self._spawn(self._download(row.seq, row.generation_id, row.result_url))

    def _saved(self, row: Row) -> bool:
        return bool(row.file) and (self.folder / str(row.file)).is_file()

    # -- sending --------------------------------------------------------------------------

    def _groups(self) -> collections.deque[list[int]]:
        """Pending inputs, identical ones together (at most MAX_GENERATIONS per enqueue)."""
        by_key: dict[str, list[int]] = {}
        for seq in sorted(s for s, r in self.rows.items() if self._state(s) == "pending"):
            by_key.setdefault(self.rows[seq].key, []).append(seq)
        groups = [
            seqs[i : i + MAX_GENERATIONS]
            for seqs in by_key.values()
            for i in range(0, len(seqs), MAX_GENERATIONS)
        ]
        return collections.deque(sorted(groups, key=lambda g: g[0]))

    def _state(self, seq: int) -> str:
        return self.states.get(seq, self.rows[seq].state)

    def _move(self, seqs: list[int], new: str) -> None:
        for seq in seqs:
            old = self._state(seq)
            self.states[seq] = new
            self.tracker.move(old, new)

    async def _send_pending(self) -> None:
        groups = self._groups()
        if not groups:
            return
        workers = min(self.client.max_concurrency, len(groups))
        await asyncio.gather(*(self._sender(groups) for _ in range(workers)))

    async def _sender(self, groups: collections.deque[list[int]]) -> None:
        while groups and self.fatal is None:
            seqs = groups.popleft()
            pause = await self._enqueue(seqs)
            if pause is not None:
                await asyncio.sleep(pause)
                groups.append(seqs)

    async def _body(self, row: Row) -> dict[str, Any]:
        params = with_local_files(row.model, row.params, self.base)
        namespace = row.namespace if row.namespace is not None else OMIT
        body = body_for(row.model, params, extra_body=None, target_namespace=namespace)
        return await self.client.files.resolve(body, row.model)

    async def _enqueue(self, seqs: list[int]) -> float | None:
        """Send one enqueue for `seqs`; the pause before trying again, or None."""
        row = self.rows[seqs[0]]
        try:
            body = await self._body(row)
        except ValidationError as exc:  # a local file changed or vanished since the check
            for seq in seqs:
                self.journal.ended(seq, "failed", None, f"not sent: {exc}")
            self._move(seqs, "failed")
            return None
        except (AuthenticationError, PermissionDeniedError) as exc:
            self._stop(exc)
            return None
        except OxenError as exc:  # an upload that failed: nothing was enqueued
            logger.info("batch: preparing %s failed: %s", row.id, exc)
            return self._pause(exc)
        attempt = self.journal.intend(row.model, digests(body), seqs)
        self._move(seqs, "sending")
        params = {k: v for k, v in body.items() if k not in CONTROL_KEYS}
        try:
            jobs = await self._submit(row, params, len(seqs))
        except Exception as exc:
            return self._refused(attempt, seqs, exc)
        self.refusals = 0
        pairs = list(zip(seqs, [job.id for job in jobs], strict=False))
        self.journal.answered(attempt, pairs, seqs[len(pairs) :])
        self._move([seq for seq, _ in pairs], "waiting")
        self._move(seqs[len(pairs) :], "pending")
        for (seq, _), job in zip(pairs, jobs, strict=False):
            self._spawn(self._wait(seq, job))
        return None

    async def _submit(self, row: Row, params: dict[str, Any], count: int) -> list[AsyncJob]:
        namespace = row.namespace if row.namespace is not None else OMIT
        if count == 1:
            job = await self.client._submit(row.model, params, target_namespace=namespace)
            return [job] if not isinstance(job, list) else job
        jobs = await self.client._submit(
            row.model, params, num_generations=count, target_namespace=namespace
        )
        return jobs if isinstance(jobs, list) else [jobs]

    def _pause(self, exc: BaseException) -> float:
        from ._events import retry_after as _retry_after

        self.refusals += 1
        return min(MAX_PAUSE, _retry_after(exc, min(self.refusals, 8)))

    def _refused(self, attempt: int, seqs: list[int], exc: Exception) -> float | None:
        kind = verdict(exc)
        logger.info("batch: enqueue of %d input(s) failed (%s): %s", len(seqs), kind, exc)
        if kind == "doubt":
            self.journal.doubt(attempt)
            self.doubted = True
            return None
        if kind == "refused":
            self.journal.refused(attempt, seqs, f"refused by the server: {exc}")
            self._move(seqs, "failed")
            return None
        self.journal.refused(attempt, seqs, None)
        self._move(seqs, "pending")
        if kind == "fatal":
            self._stop(exc)
            return None
        return self._pause(exc)

    # -- settling enqueues in doubt -------------------------------------------------------

    async def _settle(self) -> None:
        attempts = self.journal.in_doubt()
        if not attempts:
            return
        pools: dict[tuple[str, str], Pool] = {}
        for a in attempts:
            pool = pools.setdefault(
                (a.model, canonical(a.digests)), Pool(a.model, a.digests, a.sent_at)
            )
            pool.since = min(pool.since, a.sent_at)
            pool.seqs.extend(a.seqs)
        models = sorted({a.model for a in attempts})
        rows = [row for model in models for row in await self._listed(model)]
        schema_of = {m: media_fields(m) | self._param_names(m) for m in models}
        match(list(pools.values()), rows, self.journal.known_ids(), schema_of)
        found, unsent = [], []
        for pool in pools.values():
            for seq, got in zip(pool.seqs, pool.rows, strict=False):
                status = str(got.get("status") or "queued")
                found.append(
                    (
                        seq,
                        got["generation_id"],
                        status,
                        _text(got.get("result_url")),
                        _text(got.get("error_message")),
                    )
                )
            unsent.extend(pool.seqs[len(pool.rows) :])
        self.journal.settled([a.attempt for a in attempts], found, unsent)
        logger.info(
            "batch: settled %d enqueue(s) in doubt: %d job(s) found, %d input(s) unsent",
            len(attempts),
            len(found),
            len(unsent),
        )
        self._move(unsent, "pending")
        for seq, gid, status, url, _ in found:
            self._move([seq], status if status in TERMINAL_STATUSES else "waiting")
            if status not in TERMINAL_STATUSES:
                self._spawn(self._wait(seq, self.client.job(gid)))
            elif status == "succeeded" and self.download:
                self._spawn(self._download(seq, gid, url))

    @staticmethod
    def _param_names(model: str) -> frozenset[str]:
        from . import _registry

        entry = _registry.get(model)
        if entry is None or not entry.has_schema:
            return frozenset()
        from ._params import _checker

        return frozenset(_checker(model).attrs)

    async def _listed(self, model: str) -> list[dict[str, Any]]:
        """Every row of `model` in the queue (active and ended), retried until it works."""
        from ._events import rows as _rows

        attempt = 0
        while True:
            try:
                rows: list[dict[str, Any]] = []
                for status in LIST_STATUSES:
                    query = (
                        {"model": model} if status is None else {"model": model, "status": status}
                    )
                    rows += _rows(await self.client.get_json("/ai/queue", params=query))
                return rows
            except (AuthenticationError, PermissionDeniedError):
                raise
            except OxenError as exc:
                from ._events import retry_after as _retry_after

                logger.info("batch: listing the queue failed (%s); trying again", exc)
                await asyncio.sleep(min(MAX_PAUSE, _retry_after(exc, attempt)))
                attempt += 1

    # -- waiting and downloading ----------------------------------------------------------

    def _end(self, seq: int, status: str, url: str | None, error: str | None) -> None:
        self.journal.ended(seq, status, url, error)
        self._move([seq], status if status in TERMINAL_STATUSES else "failed")

    async def _wait(self, seq: int, job: AsyncJob) -> None:
        try:
            result = await job.wait(None, raise_on_failure=False)
        except NotFoundError as exc:
            self._end(seq, "failed", None, f"the server does not know generation {job.id}: {exc}")
            return
        except (AuthenticationError, PermissionDeniedError) as exc:
            self._stop(exc)
            return
        self._end(seq, result.status, result.result_url, result.error_message)
        if result.succeeded and self.download:
            await self._download(seq, job.id, result.result_url)

    async def _download(self, seq: int, gid: str | None, url: str | None) -> None:
        async with self.slots:
            for refresh in (False, True):
                try:
                    if refresh or not url:
                        url = await self._fresh_url(gid)
                    name = f"{OUTPUTS}/{self.rows[seq].stem}{_suffix(url)}"
                    await self.client.download_url(url, self.folder / name)
                except (AuthenticationError, PermissionDeniedError) as exc:
                    if refresh or not self.client.same_origin(url or ""):
                        self.journal.downloaded(seq, None, f"download failed: {exc}")
                        return
                except APIStatusError as exc:
                    if refresh or exc.status_code not in (403, 404, 410):
                        self.journal.downloaded(seq, None, f"download failed: {exc}")
                        return
                except (OxenError, OSError) as exc:
                    self.journal.downloaded(seq, None, f"download failed: {_reason(exc)}")
                    return
                else:
                    self.journal.downloaded(seq, name)
                    self.tracker.saved()
                    return

    async def _fresh_url(self, gid: str | None) -> str:
        """The result URL of `gid` as the queue gives it now (result URLs are temporary)."""
        if gid is None:
            raise OxenError("no generation id to fetch the result of")
        row = await self.client.job(gid).status()
        if not row.result_url:
            raise OxenError(f"generation {gid} has no result URL (status {row.status})")
        return row.result_url


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and not isinstance(exc, APITimeoutError):
        return f"cannot save it: {exc.strerror or exc}"
    return str(exc)
