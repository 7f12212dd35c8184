"""Waiting for a queued job and reporting how it ended (``run`` and ``jobs wait`` alike).

On a terminal, stderr shows a live status line (the job, its status, the time waited). Ctrl-C
leaves the job running and names the command that picks the wait up again.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, Any

from ._common import CommandError, Interrupted, UsageError, out, print_json, resume_command

if TYPE_CHECKING:
    from .. import GenerationResult, Job

TICK = 0.2  # how often the status line is redrawn


def check_save_dir(save: str | None) -> None:
    """A --save DIR that exists must be a directory (checked before anything is sent)."""
    if save is not None and os.path.exists(save) and not os.path.isdir(save):
        raise UsageError(f"--save {save}: not a directory")


def outcome(row: GenerationResult | None, job_id: str, files: list[str]) -> dict[str, Any]:
    """The ``--json`` object of a finished (or just submitted) job."""
    result: dict[str, Any] = {
        "generation_id": job_id,
        "status": row.status if row is not None else None,
        "result_url": row.result_url if row is not None else None,
        "files": files,
    }
    if row is not None and row.error_message:
        result["error_message"] = row.error_message
    return result


class StatusLine:
    """``<model> <id> <status> <seconds>s`` redrawn in place on stderr (only on a terminal)."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.start = time.monotonic()
        self.shown = False

    def draw(self) -> None:
        status = self.job.last.status if self.job.last is not None else "waiting"
        model = f"{self.job.model_id} " if self.job.model_id else ""
        elapsed = time.monotonic() - self.start
        self.shown = True  # first: Ctrl-C may come at any moment once it is written
        sys.stderr.write(f"\r\x1b[K{model}{self.job.id} {status} {elapsed:.1f}s")
        sys.stderr.flush()

    def downloaded(self, done: int, total: int | None) -> None:
        """A download's progress (a ``progress`` callback of ``job.download``)."""
        size = f"{done / 1e6:.1f}" + (f" / {total / 1e6:.1f}" if total else "")
        self.shown = True
        sys.stderr.write(f"\r\x1b[K{self.job.id} downloading {size} MB")
        sys.stderr.flush()

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.shown = False


def _wait(job: Job, timeout: float | None, live: bool) -> GenerationResult:
    """``job.wait``, raising the library's errors; on a terminal, in ticks that redraw the line."""
    from .. import WaitTimeoutError

    if not live:
        return job.wait(timeout)
    line = StatusLine(job)
    deadline = None if timeout is None else line.start + timeout
    try:
        while True:
            line.draw()
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                status = job.last.status if job.last is not None else None
                raise WaitTimeoutError(job.id, timeout or 0.0, status)
            try:
                return job.wait(TICK if left is None else min(TICK, left))
            except WaitTimeoutError:
                continue
    finally:
        line.clear()


def finish(job: Job, *, save: str | None, as_json: bool, timeout: float | None, live: bool) -> int:
    """Wait for `job`, download its result into `save`, print it; the exit code."""
    from .. import GenerationFailedError, WaitTimeoutError

    try:
        row = _wait(job, timeout, live)
    except KeyboardInterrupt:
        raise Interrupted(
            f"interrupted; generation {job.id} keeps running: {resume_command(job.id, save)}"
        ) from None
    except WaitTimeoutError as exc:
        raise CommandError(
            f"generation {job.id} not finished after {timeout:g}s "
            f"(last status: {exc.last_status or 'unknown'}); it keeps running: "
            f"{resume_command(job.id, save)}"
        ) from None
    except GenerationFailedError as exc:
        if as_json:
            print_json(outcome(exc.generation, job.id, []))
        raise CommandError(str(exc)) from None
    files = []
    if save is not None:
        line = StatusLine(job)
        try:
            progress = line.downloaded if live else None
            files.append(str(job.download(os.path.join(save, ""), progress=progress)))
        except KeyboardInterrupt:
            raise Interrupted(
                f"interrupted while downloading; the result of {job.id} stays available: "
                f"{resume_command(job.id, save)}"
            ) from None
        finally:
            line.clear()
    if as_json:
        print_json(outcome(row, job.id, files))
    else:
        out(row.result_url or "")
        for path in files:
            out(path)
    return 0
