"""``oxen-inference jobs list | get | wait | cancel | download``: queued generations by id."""

from __future__ import annotations

import argparse
import time
from typing import Any

from ._common import Interrupted, UsageError, connect, out, print_json, resume_command, seconds

STATUSES = ("queued", "processing", "succeeded", "failed", "cancelled", "all")


def register(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser("jobs", help="queued generations: list, get, wait, cancel, ...")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", title="actions")
    listing = actions.add_parser("list", help="the jobs of the queue (active ones by default)")
    listing.add_argument(
        "--status",
        metavar="S",
        help=f"one status or several, comma-separated: {', '.join(STATUSES)}",
    )
    listing.add_argument("--json", action="store_true", help="print the API's JSON answer")
    listing.set_defaults(handler=list_jobs)
    for name, handler, text in (
        ("get", get_job, "a job's current row"),
        ("wait", wait_job, "wait for a job; print (or save) its result"),
        ("cancel", cancel_job, "cancel a queued or running job"),
        ("download", download_job, "download a job's result (waiting for it if needed)"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("id", metavar="ID", help="the generation id")
        action.add_argument("--json", action="store_true", help="print JSON")
        if name in ("wait", "download"):
            default = " (default: the current directory)" if name == "download" else ""
            action.add_argument("--save", metavar="DIR", help=f"download into DIR{default}")
            action.add_argument(
                "--timeout", type=seconds, metavar="S", help="stop waiting after S seconds"
            )
        action.set_defaults(handler=handler)


def _statuses(text: str | None) -> list[str] | None:
    if text is None:
        return None
    given = [s.strip() for s in text.split(",") if s.strip()]
    bad = [s for s in given if s not in STATUSES]
    if bad or not given:
        raise UsageError(f"--status {text}: expected {', '.join(STATUSES)} (comma-separated)")
    return given


def _when(stamp: float | None) -> str:
    return "" if stamp is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp))


def list_jobs(args: argparse.Namespace) -> int:
    statuses = _statuses(args.status)
    with connect() as client:
        page = client.queue.list(status=statuses) if statuses else client.queue.list()
    if args.json:
        print_json(page.model_dump(mode="json"))
        return 0
    for row in page.generations:
        out(
            f"{row.generation_id}  {row.status:<10}  {row.model_name or ''}  {_when(row.enqueued_at)}"
        )
    return 0


def get_job(args: argparse.Namespace) -> int:
    with connect() as client:
        row = client.job(args.id).status()
    if args.json:
        print_json(row.model_dump(mode="json"))
        return 0
    for key in ("generation_id", "status", "model_name", "result_url", "error_message"):
        value = getattr(row, key)
        if value is not None:
            out(f"{key}: {value}")
    for key in ("enqueued_at", "started_at", "completed_at"):
        if getattr(row, key) is not None:
            out(f"{key}: {_when(getattr(row, key))}")
    return 0


def wait_job(args: argparse.Namespace) -> int:
    from ._common import stderr_is_terminal
    from ._wait import check_save_dir, finish

    check_save_dir(args.save)
    with connect() as client:
        job = client.job(args.id)
        job.status()  # one request: an unknown id fails now, a finished job needs no waiting
        return finish(
            job, save=args.save, as_json=args.json, timeout=args.timeout, live=stderr_is_terminal()
        )


def cancel_job(args: argparse.Namespace) -> int:
    with connect() as client:
        client.job(args.id).cancel()  # an error status (e.g. 404) raises
    if args.json:
        print_json({"generation_id": args.id, "status": "cancelled"})
    else:
        out(f"{args.id} cancelled")
    return 0


def download_job(args: argparse.Namespace) -> int:
    import os

    from ._wait import check_save_dir

    save = args.save if args.save is not None else "."
    check_save_dir(save)
    with connect() as client:
        job = client.job(args.id)
        job.status()  # one request: an unknown id fails now, a finished job needs no waiting
        try:
            path = job.download(os.path.join(save, ""), wait_timeout=args.timeout)
        except KeyboardInterrupt:
            raise Interrupted(
                f"interrupted; generation {args.id} keeps running: {resume_command(args.id, save)}"
            ) from None
    if args.json:
        print_json({"generation_id": args.id, "files": [str(path)]})
    else:
        out(str(path))
    return 0
