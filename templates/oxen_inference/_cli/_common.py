"""What every command shares: its errors, the client it talks through, and how it prints.

Standard library only at import time: ``--help`` must not load httpx nor pydantic.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .. import Oxen

PROG = "oxen-inference"
#: The command modules, in the order ``--help`` lists them (``_main`` and completion read it).
COMMANDS = ("run", "chat", "models", "jobs", "batch", "completion")
API_KEY_VARIABLE = "OXEN_API_KEY"
NO_KEY = (
    f"no API key: set the {API_KEY_VARIABLE} environment variable (export {API_KEY_VARIABLE}=...)"
)

OK = 0
FAILED = 1  # the API refused, a job failed, a file could not be written
USAGE = 2  # bad arguments or parameters: nothing was sent
INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)


class CommandError(Exception):
    """A command that cannot go on: its message is printed as one line, `code` is the exit code."""

    def __init__(self, message: str, code: int = FAILED) -> None:
        super().__init__(message)
        self.code = code


class UsageError(CommandError):
    """Bad arguments or parameters (exit 2); nothing was sent."""

    def __init__(self, message: str) -> None:
        super().__init__(message, USAGE)


class Interrupted(CommandError):
    """Ctrl-C, with what the user should know (a job that keeps running, and how to pick it up)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, INTERRUPTED)


# Control characters a server (or a model) could send to move the cursor, recolour or retitle the
# terminal, or to forge a line of output: shown escaped (``\x1b``) in everything printed.
_CONTROLS = (*range(0x20), 0x7F, *range(0x80, 0xA0))
_ESCAPES = {c: f"\\x{c:02x}" for c in _CONTROLS}
_TEXT_ESCAPES = {c: f"\\x{c:02x}" for c in _CONTROLS if c not in (9, 10)}
MAX_ERROR = 2000  # characters of an error line (a server's message can be any size)


def printable(text: str, *, lines: bool = False) -> str:
    """`text` with its control characters escaped; with `lines`, line breaks and tabs kept."""
    return text.translate(_TEXT_ESCAPES if lines else _ESCAPES)


def one_line(text: str) -> str:
    """`text` on one line: runs of whitespace (line breaks included) become one space, control
    characters are escaped, and a very long text is cut."""
    line = printable(" ".join(str(text).split())) or "(no message)"
    return line if len(line) <= MAX_ERROR else line[: MAX_ERROR - 1] + "…"


def error(message: str) -> None:
    """Print an error as one line on stderr (on a terminal, over a status line left drawn when
    Ctrl-C cut its clearing short)."""
    clear = "\r\x1b[K" if stderr_is_terminal() else ""
    sys.stderr.write(f"{clear}{PROG}: error: {one_line(message)}\n")
    sys.stderr.flush()


def note(message: str) -> None:
    """A line for the person at the terminal (stderr), kept out of what scripts read (stdout)."""
    sys.stderr.write(f"{message}\n")
    sys.stderr.flush()


def out(line: str = "") -> None:
    """One line on stdout (what the API said among it: control characters escaped, so a value
    can never look like two lines)."""
    sys.stdout.write(f"{printable(line)}\n")


def out_text(text: str) -> None:
    """Text of several lines on stdout (control characters but line breaks and tabs escaped)."""
    sys.stdout.write(f"{printable(text, lines=True)}\n")


def print_json(value: Any) -> None:
    """One JSON document on stdout (indented when a person reads it, one line in a pipe)."""
    indent = 2 if sys.stdout.isatty() else None
    sys.stdout.write(json.dumps(value, indent=indent, ensure_ascii=False, default=str) + "\n")


def stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def connect(**options: Any) -> Oxen:
    """The client, configured as the library is (``OXEN_API_KEY``, ``OXEN_BASE_URL``) with
    `options` (``max_concurrency=...``); a missing key is a usage error naming the variable,
    before anything is sent."""
    key = os.environ.get(API_KEY_VARIABLE, "")
    if not key.strip():
        raise UsageError(NO_KEY)
    from .. import Oxen

    return Oxen(**options)


def resume_command(generation_id: str, save: str | None = None) -> str:
    """The command that picks up the wait for a job that keeps running."""
    import shlex

    tail = f" --save {shlex.quote(save)}" if save else ""
    return f"{PROG} jobs wait {shlex.quote(generation_id)}{tail}"


def seconds(text: str) -> float:
    """An argparse type: a number of seconds > 0."""
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}")
    return value
