"""Who a connection pool belongs to, and how it ends: one more primitive that differs between the
clients (see ``_synchronization``), in pairs, the asynchronous one first.

An ``httpx.AsyncClient``'s connections belong to the event loop that made them. ``AsyncOxen``
asks ``async_pool_owner()`` (the running loop) before each attempt and makes a new pool, and
starts its event hub over, when it is used from another loop (a second ``asyncio.run()``); the
pool it made is closed by its own loop as that loop shuts down (``async_close_with_loop``), so no
connection outlives its loop unclosed. A pool you passed (``http_client=``) cannot follow a new
loop: that is an ``OxenError`` saying so. The blocking client's pool serves every thread
(``pool_owner()`` is always None); a forked child gets its own through the fork hook (``_fork``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

__all__ = [
    "LOOP_CHANGED",
    "async_close_with_loop",
    "async_pool_owner",
    "close_with_loop",
    "pool_owner",
]

LOOP_CHANGED = (
    "this AsyncOxen's http_client was first used in another event loop, and its connections "
    "cannot follow: make the AsyncOxen (and its http_client) inside the asyncio.run() that "
    "uses it, or leave http_client out (the client then makes new connections for each loop)"
)


def async_pool_owner() -> object:
    """The running event loop: an ``httpx.AsyncClient``'s connections belong to the loop that
    made them, so another loop (a second ``asyncio.run()``) needs a pool of its own."""
    import asyncio

    return asyncio.get_running_loop()


def pool_owner() -> object:
    """None: the blocking client's pool serves every thread (a forked child gets its own by the
    fork hook, ``_fork``)."""
    return None


async def async_close_with_loop(pool: httpx.AsyncClient) -> object:
    """Have `pool` closed by the running event loop as it shuts down, so that its connections do
    not outlive their loop unclosed: ``asyncio.run()`` finalises every async generator still
    alive before it closes the loop, and this one closes the pool then. Keep what it returns
    for as long as the pool is in use (dropped, it closes the pool at once)."""

    async def closer() -> AsyncIterator[None]:
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                await pool.aclose()

    held = closer()
    await anext(held)
    return held


def close_with_loop(pool: httpx.Client) -> object:
    """Nothing to do: the blocking pool is closed by ``close()`` (or with the process)."""
    return None
