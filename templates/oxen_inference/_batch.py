"""Batch runs that survive the process: ``client.batches.run(inputs, out)``.

    from oxen_inference import Oxen

    with Oxen() as client:
        result = client.batches.run("prompts.jsonl", "out/", on_progress=print)
    print(result.succeeded, "of", result.total, "->", result.results)

The inputs (a JSONL file, or a list of dicts shaped like its lines; see ``_batch_inputs``) are
checked whole before anything is sent. The output folder holds the journal (``journal.sqlite``),
the results (``outputs/<input id>.<ext>``), ``results.jsonl``, one object per input, written
when the run ends, and ``index.html``, the results as a page (see ``_batch_page``), rewritten as
they come in. Running again with the same inputs and folder resumes: nothing that was
enqueued is enqueued again, whatever moment the previous process died at.

``AsyncOxen().batches.run(...)`` is the same run, awaited; ``Oxen`` runs the same engine on an
event loop of its own, through an ``AsyncOxen`` configured like it (the ``http_client`` given to
``Oxen`` is not used: proxies set in the environment are).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from ._batch_inputs import BatchInput, read_inputs, with_local_files
from ._batch_page import PAGE_NAME, page_temporary
from ._journal import ENDED, Journal, Row
from ._pricing import CostEstimate, estimate

if TYPE_CHECKING:
    from ._async.api import AsyncOxenBase
    from ._batch_engine import Engine
    from ._progress import ProgressCallback
    from ._sync.api import SyncOxenBase

__all__ = [
    "RESULTS_NAME",
    "AsyncBatches",
    "BatchResult",
    "Batches",
    "write_page",
    "write_report",
    "write_results",
]

RESULTS_NAME = "results.jsonl"
PAGE_EVERY = 5.0  # seconds between rewrites of index.html while results come in (at most)
Inputs: TypeAlias = "str | os.PathLike[str] | Iterable[Mapping[str, Any]]"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class BatchResult:
    """How a run ended: counts of inputs by outcome, and where the results are.

    `unfinished`: inputs still running or not sent (after an interruption or a refused key);
    `missing_files`: succeeded inputs whose result could not be saved (their ``error`` says why).
    `page`: ``index.html``, the results as a page to open in a browser.
    """

    folder: Path
    results: Path
    page: Path
    total: int
    succeeded: int
    failed: int
    cancelled: int
    unfinished: int
    missing_files: int

    @property
    def ok(self) -> bool:
        """Every input succeeded (and, when downloading, its result was saved)."""
        return self.succeeded == self.total and self.missing_files == 0


def _result_line(row: Row, folder: Path) -> tuple[dict[str, Any], bool]:
    """The object of `row` in results.jsonl, and whether its result should be but is not saved."""
    file = row.file if row.file and (folder / row.file).is_file() else None
    error = row.error
    return {
        "id": row.id,
        "model": row.model,
        "generation_id": row.generation_id,
        "status": row.state,
        "result_url": row.result_url if row.state == "succeeded" else None,
        "file": file,
        "error": error,
    }, file is None


def write_results(journal: Journal, *, download: bool) -> BatchResult:
    """Write ``results.jsonl`` (every input that has ended, in input order; atomically)."""
    folder = journal.folder
    rows = journal.rows()
    path = folder / RESULTS_NAME
    temporary = folder / f".{RESULTS_NAME}.tmp"
    counts = dict.fromkeys(ENDED, 0)
    missing = 0
    with temporary.open("w", encoding="utf-8") as f:
        for row in rows:
            if row.state not in ENDED:
                continue
            counts[row.state] += 1
            line, unsaved = _result_line(row, folder)
            if row.state == "succeeded" and download and unsaved:
                missing += 1
                line["error"] = line["error"] or "the result was not saved"
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    os.replace(temporary, path)
    return BatchResult(
        folder=folder,
        results=path,
        page=folder / PAGE_NAME,
        total=len(rows),
        succeeded=counts["succeeded"],
        failed=counts["failed"],
        cancelled=counts["cancelled"],
        unfinished=len(rows) - sum(counts.values()),
        missing_files=missing,
    )


def write_page(journal: Journal) -> Path:
    """Write ``index.html`` from the journal (atomically; a result file that is gone is left
    out). Reads only: it may run beside the run that writes the journal."""
    from ._batch_page import PageSummary, render

    folder = journal.folder
    rows = [
        row if not row.file or (folder / row.file).is_file() else replace(row, file=None)
        for row in journal.rows()
    ]
    created = journal.meta().get("created_at")
    summary = PageSummary(
        title=folder.resolve().name or str(folder),
        started_at=float(created) if created else None,
        cost=estimate((row.model, row.params) for row in rows),  # prices read no media
    )
    path = folder / PAGE_NAME
    temporary = page_temporary(folder)
    try:
        temporary.write_text(render(rows, summary), encoding="utf-8", errors="replace")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def write_report(folder: str | os.PathLike[str]) -> Path:
    """Write ``index.html`` in `folder` from its journal: for a run going on, ended or killed.
    BatchJournalError when `folder` holds no journal this client reads."""
    journal = Journal.read(folder)
    try:
        return write_page(journal)
    finally:
        journal.close()


async def _pages(engine: Engine, journal: Journal) -> None:
    """Rewrite the page every PAGE_EVERY seconds while results come in."""
    seen = engine.tracker.version
    while True:
        await asyncio.sleep(PAGE_EVERY)
        if engine.tracker.version != seen:
            seen = engine.tracker.version
            with contextlib.suppress(OSError):  # a full disk, say: the run goes on
                write_page(journal)


def _base(inputs: object) -> Path:
    if isinstance(inputs, (str, os.PathLike)):
        return Path(inputs).parent
    return Path.cwd()


def _estimate(items: list[BatchInput], base: Path) -> CostEstimate:
    return estimate((i.model, with_local_files(i.model, i.params, base)) for i in items)


class _Checks:
    """What both faces of ``client.batches`` do without the network: check and estimate."""

    def check(self, inputs: Inputs, *, model: str | None = None) -> list[BatchInput]:
        """The inputs, checked (every line, every local file); BatchInputError lists problems."""
        return read_inputs(inputs, model=model)

    def estimate(self, inputs: Inputs, *, model: str | None = None) -> CostEstimate:
        """The cost of running `inputs` by the catalog's pricing (unknown prices say why)."""
        return _estimate(self.check(inputs, model=model), _base(inputs))


class AsyncBatches(_Checks):
    """``client.batches`` of ``AsyncOxen``: check, estimate and run batches of inputs."""

    def __init__(self, client: AsyncOxenBase) -> None:
        self._client = client

    async def run(
        self,
        inputs: Inputs,
        out: str | os.PathLike[str],
        *,
        model: str | None = None,
        download: bool = True,
        on_progress: ProgressCallback | None = None,
        retry_failed: bool = False,
    ) -> BatchResult:
        """Run every input of `inputs` (or resume the run in `out`) until each has ended.

        With `retry_failed`, the inputs of `out` that ended failed are sent again (new jobs,
        paid again); the others are left as they are. Raises BatchInputError (nothing sent) for
        bad inputs, BatchJournalError when `out` holds another run or is in use,
        AuthenticationError/PermissionDeniedError when the key is refused (results so far are
        written). Failed jobs do not raise: see the result.
        """
        items = await asyncio.to_thread(read_inputs, inputs, model=model)
        journal = await asyncio.to_thread(Journal.open, out, items)
        try:
            if retry_failed:
                await asyncio.to_thread(journal.retry_failed)
            return await _run(self._client, journal, _base(inputs), download, on_progress)
        finally:
            journal.close()


async def _run(
    client: AsyncOxenBase,
    journal: Journal,
    base: Path,
    download: bool,
    on_progress: ProgressCallback | None,
) -> BatchResult:
    from ._batch_engine import Engine

    engine = Engine(client, journal, base, download=download, on_progress=on_progress)
    pages = asyncio.create_task(_pages(engine, journal))
    try:
        await engine.run()
    finally:
        pages.cancel()
        result = write_results(journal, download=download)
        write_page(journal)
    if engine.fatal is not None:
        raise engine.fatal
    return result


def _async_twin(client: SyncOxenBase, make: Callable[..., AsyncOxenBase]) -> AsyncOxenBase:
    """An ``AsyncOxen`` (made by `make`) with the settings of the blocking client `client`."""
    key = getattr(client, "_BaseClient__api_key", None)
    return make(
        api_key=key.reveal() if key is not None else None,
        base_url=client.base_url,
        max_retries=client.max_retries,
        timeout=client.timeout,
        events=client._use_events,
        events_idle_timeout=client._events_idle_timeout,
        uploads=client._uploads,
        max_data_uri_bytes=client._max_data_uri_bytes,
        max_concurrency=client.max_concurrency,
        max_response_bytes=client.max_response_bytes,
    )


def run_coroutine(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` to its end from blocking code: on this thread when no event loop runs here
    (Ctrl-C cancels it, then raises KeyboardInterrupt), else on a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="oxen-batch") as pool:
        return pool.submit(asyncio.run, coro).result()


class Batches(_Checks):
    """``client.batches`` of ``Oxen``: check, estimate and run batches of inputs (blocking)."""

    def __init__(self, client: SyncOxenBase, make_async: Callable[..., AsyncOxenBase]) -> None:
        self._client = client
        self._make_async = make_async  # AsyncOxen (the client passes it: no import circle)

    def run(
        self,
        inputs: Inputs,
        out: str | os.PathLike[str],
        *,
        model: str | None = None,
        download: bool = True,
        on_progress: ProgressCallback | None = None,
        retry_failed: bool = False,
    ) -> BatchResult:
        """Run every input of `inputs` (or resume the run in `out`) until each has ended; see
        ``AsyncOxen().batches.run`` (`retry_failed` sends the failed inputs again). Ctrl-C stops
        sending, leaves the jobs running, writes results.jsonl for what has ended and raises
        KeyboardInterrupt."""

        async def main() -> BatchResult:
            client = _async_twin(self._client, self._make_async)
            try:
                return await AsyncBatches(client).run(
                    inputs,
                    out,
                    model=model,
                    download=download,
                    on_progress=on_progress,
                    retry_failed=retry_failed,
                )
            finally:
                await client.close()

        return run_coroutine(main())
