"""``oxen-inference batch run INPUTS.jsonl --out DIR``: many inputs, one resumable run.

Every line of INPUTS is checked before anything is sent (a bad file exits 2 with one line per
problem). The run keeps a journal in DIR: the same command with the same DIR resumes it, and a
run killed at any moment never pays twice for an input nor loses one. DIR/results.jsonl holds one
object per input when the command ends, DIR/index.html the results as a page (rewritten as they
come in). On a terminal, stderr shows a live progress line.
"""

from __future__ import annotations

import argparse
import collections
import os
import shlex
import sys
from typing import TYPE_CHECKING, Any

from ._common import PROG, USAGE, CommandError, Interrupted, UsageError, error, note, out

if TYPE_CHECKING:
    from .._batch import BatchResult
    from .._batch_inputs import BatchInput
    from .._progress import ProgressReport

EXAMPLES = f"""\
examples:
  {PROG} batch run prompts.jsonl --out runs/foxes
  {PROG} batch run prompts.jsonl --out runs/foxes --model flux-2-pro --concurrency 8
  {PROG} batch run prompts.jsonl --out runs/foxes --dry-run     check, estimate the cost, send nothing
  {PROG} batch run sheet.csv --out runs/foxes --model flux-2-pro   a spreadsheet saved as CSV

INPUTS.jsonl: one JSON object per line, the model's parameters plus "model" (unless --model)
and an optional unique "id" (default: the line number); "@PATH" in a media field is a local
file, relative to the inputs file. A .csv or .tsv file is a sheet: its first row names the
columns (parameters, "model", "id"), each further row is an input, an empty cell is left out,
and a cell is text for a text parameter, else JSON when it parses. Results: DIR/results.jsonl,
DIR/outputs/<id>.<ext> and the page DIR/index.html.
Run the same command again to resume; Ctrl-C stops sending and leaves sent jobs running."""


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def register(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser("batch", help="run the inputs of a JSONL or CSV file, resumably")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", title="actions")
    run = actions.add_parser(
        "run",
        help="run every input of INPUTS.jsonl (or resume the run in DIR)",
        description=__doc__.split("\n\n", 1)[1].strip() if __doc__ else None,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "inputs", metavar="INPUTS.jsonl", help="one JSON object per line (or a .csv/.tsv sheet)"
    )
    run.add_argument(
        "--out", required=True, metavar="DIR", help="the run's folder (journal, results)"
    )
    run.add_argument("--model", metavar="ID", help="the model of every line without one")
    run.add_argument(
        "--concurrency", type=_count, metavar="N", help="requests in flight at most (default 32)"
    )
    run.add_argument("--no-download", action="store_true", help="keep result URLs, save no files")
    run.add_argument(
        "--dry-run", action="store_true", help="check the inputs, estimate the cost, send nothing"
    )
    run.add_argument(
        "--retry-failed",
        action="store_true",
        help="send the inputs that ended failed again (new jobs, paid again)",
    )
    run.set_defaults(handler=handle_run)
    report = actions.add_parser(
        "report",
        help="rewrite DIR/index.html from the journal (a run going on, ended or killed)",
        description="Write DIR/index.html, the results of the run in DIR as a page to open in a "
        "browser (no network needed), from its journal: for a run that ended, that is still "
        "going or that was killed. Sends nothing; needs no API key.",
        epilog=f"example:\n  {PROG} batch report runs/foxes",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report.add_argument("out", metavar="DIR", help="the folder of a batch run")
    report.set_defaults(handler=handle_report)


def resume_command(args: argparse.Namespace) -> str:
    """The command that carries on the run of `args`."""
    words = [PROG, "batch", "run", args.inputs, "--out", args.out]
    if args.model:
        words += ["--model", args.model]
    if args.concurrency:
        words += ["--concurrency", str(args.concurrency)]
    if args.no_download:
        words.append("--no-download")
    return " ".join(shlex.quote(w) for w in words)


class ProgressLine:
    """The run's progress redrawn in place on stderr (only on a terminal)."""

    def __init__(self, live: bool, download: bool) -> None:
        self.live = live
        self.download = download
        self.shown = False

    def __call__(self, progress: ProgressReport) -> None:
        if not self.live:
            return
        from .._progress import progress_line

        sys.stderr.write("\r\x1b[K" + progress_line(progress, download=self.download))
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.shown = False


def _inputs(args: argparse.Namespace) -> list[BatchInput] | None:
    """The checked inputs; None after printing one line per problem."""
    from .._batch_inputs import BatchInputError, read_inputs

    try:
        return read_inputs(args.inputs, model=args.model)
    except BatchInputError as exc:
        for line in str(exc).splitlines():
            error(line)
        return None


UNSENT = ("pending", "sending")  # journal states of inputs a resume may still send


def _cost_lines(items: list[BatchInput], inputs: str, unsent: set[str] | None) -> list[str]:
    """The estimate of what the run may still pay for: every input (a new run, `unsent` None)
    or those the journal has not seen answered (a resume)."""
    from pathlib import Path

    from .._batch_inputs import with_local_files
    from .._pricing import estimate

    if unsent is not None:
        items = [i for i in items if i.id in unsent]
        if not items:
            return ["cost: none to come (every input was sent before)"]
    base = Path(os.path.dirname(os.path.abspath(inputs)))
    found = estimate((i.model, with_local_files(i.model, i.params, base)) for i in items)
    what = "" if unsent is None else f" of what may still be sent, {len(items)} input(s)"
    return [f"cost{what} (from the catalog's prices):", *found.lines()]


def _check_journal(args: argparse.Namespace, items: list[BatchInput]) -> dict[str, str] | None:
    """The state of each input (by id) of the run DIR holds (None for a new run); a usage error
    when DIR holds the run of other inputs."""
    from .._journal import JOURNAL_NAME, BatchJournalError, Journal

    if not os.path.isfile(os.path.join(args.out, JOURNAL_NAME)):
        return None
    try:
        journal = Journal.read(args.out)
        try:
            journal.check_inputs(items)
            return {row.id: row.state for row in journal.rows()}
        finally:
            journal.close()
    except BatchJournalError as exc:
        raise UsageError(str(exc)) from None


def _plan(args: argparse.Namespace, items: list[BatchInput]) -> list[str]:
    """What the run will do: a new run, or a resume and how far the run had got; then the cost
    of what may still be sent."""
    from .._journal import ENDED

    states = _check_journal(args, items)
    if states is None:
        return [f"{args.out}: a new run", *_cost_lines(items, args.inputs, None)]
    if args.retry_failed:
        states = {id_: "retry" if state == "failed" else state for id_, state in states.items()}
    counts = collections.Counter(states.values())
    ended = sum(counts[state] for state in ENDED)
    doubt = (
        f", {counts['sending']} in doubt (sent again only if the queue does not have them)"
        if counts["sending"]
        else ""
    )
    unsent = {id_ for id_, state in states.items() if state in (*UNSENT, "retry")}
    retry = f", {counts['retry']} failed to send again" if counts["retry"] else ""
    return [
        f"{args.out}: resumes a run: {ended} ended, {counts['waiting']} running, "
        f"{counts['pending']} to send{retry}{doubt}",
        *_cost_lines(items, args.inputs, unsent),
    ]


def _dry_run(args: argparse.Namespace, items: list[BatchInput]) -> int:
    plan = _plan(args, items)
    models = len({i.model for i in items})
    out(f"{len(items)} inputs, {models} model(s): all valid; nothing sent (--dry-run)")
    for line in plan:
        out(line)
    return 0


def _summary(result: BatchResult, args: argparse.Namespace) -> str:
    parts = [f"{result.succeeded} succeeded"]
    if result.failed:
        parts.append(f"{result.failed} failed")
    if result.cancelled:
        parts.append(f"{result.cancelled} cancelled")
    if result.unfinished:
        parts.append(f"{result.unfinished} unfinished")
    if result.missing_files:
        parts.append(f"{result.missing_files} not saved")
    return (
        f"{result.total} inputs: {', '.join(parts)}; results: {result.results}; page: {result.page}"
    )


def handle_run(args: argparse.Namespace) -> int:
    items = _inputs(args)
    if items is None:
        return USAGE
    if args.dry_run:
        return _dry_run(args, items)
    from ._common import connect, stderr_is_terminal

    client = connect(**({} if args.concurrency is None else {"max_concurrency": args.concurrency}))
    for line in _plan(args, items):
        note(line)
    from .._journal import BatchJournalError

    progress = ProgressLine(stderr_is_terminal(), download=not args.no_download)
    try:
        with client:
            result = client.batches.run(
                args.inputs,
                args.out,
                model=args.model,
                download=not args.no_download,
                on_progress=progress,
                retry_failed=args.retry_failed,
            )
    except KeyboardInterrupt:
        progress.clear()
        raise Interrupted(
            "interrupted: jobs already sent keep running, results so far are in "
            f"{os.path.join(args.out, 'results.jsonl')} and {os.path.join(args.out, 'index.html')}; "
            f"resume with: {resume_command(args)}"
        ) from None
    except BatchJournalError as exc:
        raise UsageError(str(exc)) from None
    finally:
        progress.clear()
    out(_summary(result, args))
    return 0 if result.ok else 1


def handle_report(args: argparse.Namespace) -> int:
    from .._batch import write_report
    from .._journal import BatchJournalError

    try:
        page = write_report(args.out)
    except BatchJournalError as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"cannot write the page in {args.out}: {exc.strerror or exc}") from None
    out(str(page))
    return 0
