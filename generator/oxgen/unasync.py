"""The blocking half of the client runtime, made from its asyncio half (pure: text in, text out).

The client's I/O classes are written once, for asyncio, in ``templates/oxen_inference/_async/``.
Each file there becomes its blocking twin in ``<package>/_sync/`` by the rewrite rules below,
applied line by line (the approach of httpcore's ``scripts/unasync.py``): ``async def`` becomes
``def``, ``await x`` becomes ``x``, ``AsyncJob`` becomes ``Job``, ``aclose`` becomes ``close``...
What really differs between threads and an event loop (locks, the concurrency limiter, deadlines,
sleeping, background loops) is not rewritten: the runtime's ``_synchronization`` module defines
each primitive twice, ``AsyncSlots`` and ``Slots``, ``async_sleep`` and ``sleep``, and the rules
only switch the names.

Every rule must be used by the shipped sources (``scripts/unasync.py --check`` fails otherwise),
so that the list says what the sources need, no more.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

ASYNC_DIR = "_async"
SYNC_DIR = "_sync"


@dataclass(frozen=True)
class Rule:
    pattern: str  # a regular expression, matched only between word boundaries
    replacement: str

    @property
    def compiled(self) -> re.Pattern[str]:
        tail = "" if self.pattern.endswith(" ") else r"(?!\w)"
        return re.compile(r"(?<!\w)" + self.pattern + tail)


RULES: tuple[Rule, ...] = (
    # Lines that exist only in the asyncio half (an alias httpx-style code expects).
    Rule(r".*# async only\n", ""),
    # The base classes keep the names they had before there was one source.
    Rule("AsyncOxenBase", "SyncOxenBase"),
    Rule("AsyncAPIClient", "SyncAPIClient"),
    # typing: a generator's return annotation needs its three arguments in the blocking form.
    Rule(r"AsyncGenerator\[(\w+), None\]", r"Generator[\1, None, None]"),
    # httpx's names that do not follow the pattern (the test kit's transports).
    Rule("AsyncByteStream", "SyncByteStream"),
    Rule("handle_async_request", "handle_request"),
    # Classes: AsyncJob -> Job, AsyncIterator -> Iterator, httpx.AsyncClient -> httpx.Client,
    # and the primitives of _synchronization (AsyncSlots -> Slots...).
    Rule(r"Async([A-Z]\w*)", r"\1"),
    # Functions of _synchronization and _deadline: async_sleep -> sleep...
    Rule(r"async_(\w+)", r"\1"),
    Rule("async def", "def"),
    Rule("async with", "with"),
    Rule("async for", "for"),
    Rule("await ", ""),
    # httpx's and Python's asynchronous names
    Rule("aclose", "close"),
    Rule("aread", "read"),
    Rule("aiter_bytes", "iter_bytes"),
    Rule("__aiter__", "__iter__"),
    Rule("__anext__", "__next__"),
    Rule("anext", "next"),
)
_COMPILED = tuple(rule.compiled for rule in RULES)

# What must never survive into a blocking twin.
LEFTOVERS = re.compile(r"\b(async|await|asyncio)\b|\bAsync[A-Z]|\ba(close|read|iter_\w+)\b")


def sync_path(async_path: str) -> str | None:
    """``oxen_inference/_async/jobs.py`` -> ``oxen_inference/_sync/jobs.py``; None for a file
    that has no twin (not a module of an ``_async`` folder)."""
    head, sep, name = async_path.rpartition(f"/{ASYNC_DIR}/")
    if not sep or "/" in name or not name.endswith(".py"):
        return None
    return f"{head}/{SYNC_DIR}/{name}"


def unasync_line(line: str, used: set[int] | None = None) -> str:
    for index, pattern in enumerate(_COMPILED):
        line, count = pattern.subn(RULES[index].replacement, line)
        if count and used is not None:
            used.add(index)
    return line


def unasync(text: str, used: set[int] | None = None) -> str:
    """The blocking twin of an async source file; `used` collects the indexes of the rules that
    changed something."""
    return "".join(unasync_line(line, used) for line in text.splitlines(keepends=True))


def unused_rules(sources: Iterable[str]) -> list[Rule]:
    """The rules that none of `sources` needs."""
    used: set[int] = set()
    for text in sources:
        unasync(text, used)
    return [rule for index, rule in enumerate(RULES) if index not in used]


def leftovers(text: str) -> list[tuple[int, str]]:
    """(line number, line) of a blocking twin's lines that still say something asynchronous."""
    return [
        (number, line) for number, line in enumerate(text.splitlines(), 1) if LEFTOVERS.search(line)
    ]
