"""The argument tree of ``oxen-inference`` and how every run of it ends.

Adding a command: a module of this package named in :data:`COMMANDS`, with
``register(subparsers)`` that adds its parser(s) and ``set_defaults(handler=function)``; the
handler takes the parsed ``argparse.Namespace`` and returns the exit code. The module imports only
the standard library at its top (``--help`` loads every command module, and must stay fast);
the client and pydantic are imported inside the handler. A handler raises ``UsageError`` (exit 2)
or ``CommandError`` (exit 1) with a one-line message; the library's own errors are mapped here
(``exit_code``); Ctrl-C ends with 130.

A command whose parser sets ``params=[]`` (a list of ``key=value``) also receives the ``key=value``
words that come after its options (``run MODEL a=1 --json b=2``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from ._common import COMMANDS, FAILED, INTERRUPTED, NO_KEY, PROG, USAGE, CommandError, error

__all__ = ["COMMANDS", "Parser", "build_parser", "exit_code", "main"]

DEBUG_VARIABLE = "OXEN_INFERENCE_DEBUG"  # set to 1: internal errors show their traceback


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (a ``UsageError``), not usage + message."""

    def error(self, message: str) -> NoReturn:
        from ._common import UsageError

        raise UsageError(f"{message} (see {self.prog} --help)")


def build_parser() -> Parser:
    from .. import __version__

    parser = Parser(
        prog=PROG,
        description="Run Oxen.ai's hosted models from the shell. The API key comes from "
        "OXEN_API_KEY, the address from OXEN_BASE_URL (default https://hub.oxen.ai/api).",
        epilog=f"'{PROG} COMMAND --help' shows a command's options; "
        f"'{PROG} run MODEL --help' shows a model's parameters.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name in COMMANDS:
        importlib.import_module(f"{__package__}.{name}").register(commands)
    return parser


def _parse(parser: Parser, argv: list[str]) -> argparse.Namespace:
    from ._common import UsageError

    args, extra = parser.parse_known_args(argv)
    words = [getattr(args, "command", None), getattr(args, "action", None)]
    where = " ".join([PROG, *[w for w in words if w]])
    params = getattr(args, "params", None)
    if extra:
        if params is None or any(word.startswith("-") for word in extra):
            raise UsageError(f"unrecognized arguments: {' '.join(extra)} (see {where} --help)")
        params.extend(extra)
    if getattr(args, "handler", None) is None:
        what = "an action" if args.command else f"a command ({', '.join(COMMANDS)})"
        raise UsageError(f"{where} needs {what} (see {where} --help)")
    return args


def exit_code(exc: BaseException) -> int | None:
    """The exit code of an error a command or the library raised: 2 when nothing was sent
    (parameters, model ids, the API key), 1 for what the API or a job answered, a file that could
    not be written; None for anything else (a bug)."""
    from .. import (
        InvalidAPIKeyError,
        MissingAPIKeyError,
        NoRequestSchemaError,
        OxenError,
        UnknownModelError,
        ValidationError,
    )

    usage = (
        ValidationError,
        MissingAPIKeyError,
        InvalidAPIKeyError,
        UnknownModelError,
        NoRequestSchemaError,
    )
    if isinstance(exc, CommandError):
        return exc.code
    if isinstance(exc, usage):
        return USAGE
    if isinstance(exc, (OxenError, OSError)):
        return FAILED
    return None


def _message(exc: BaseException) -> str:
    from .. import MissingAPIKeyError

    if isinstance(exc, MissingAPIKeyError):
        return NO_KEY
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.strerror}: {os.fsdecode(exc.filename)}"
    return str(exc)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with `argv` (default ``sys.argv[1:]``); returns the exit code."""
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["__complete"]:  # asked by the shell's completion script (see completion)
        from .completion import complete

        return complete(words[1:], build_parser())
    try:
        args = _parse(build_parser(), words)
        code: int = args.handler(args)
        sys.stdout.flush()
        return code
    except KeyboardInterrupt:
        error("interrupted")
        return INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python from complaining at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return FAILED
    except SystemExit:
        raise  # --help and --version
    except Exception as exc:
        if os.environ.get(DEBUG_VARIABLE):
            raise
        known = exit_code(exc)
        if known is None:
            error(f"internal error: {type(exc).__name__}: {exc} (set {DEBUG_VARIABLE}=1 to see it)")
            return FAILED
        error(_message(exc))
        return known
