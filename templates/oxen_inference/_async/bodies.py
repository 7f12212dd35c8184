"""Reading bodies under their caps (see ``_bodies`` for the caps): a whole answer, or the lines
of a stream, never holding more than the cap in memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from .._bodies import Lines, declared_size, keep, too_large

if TYPE_CHECKING:
    import httpx

__all__ = ["lines", "read_capped", "read_upto"]


async def read_capped(response: httpx.Response, limit: int, what: str) -> None:
    """Read the whole body into `response` (``.content``, ``.json()`` work afterwards);
    ResponseTooLargeError (naming `what`, the cap's setting) when it is larger than `limit`, the
    connection then closed with the rest unread. On every call's path: one loop, no header
    lookup (a body that is too large costs at most `limit` bytes of reading either way)."""
    body = bytearray()
    try:
        async for chunk in response.aiter_bytes():  # the stream closes itself at its end
            body += chunk
            if len(body) > limit:
                body.clear()
                raise too_large(response, limit, what)
    except BaseException:
        await response.aclose()
        raise
    response._content = bytes(body)  # as keep() does, inline: every call passes here


async def read_upto(response: httpx.Response, limit: int) -> bool:
    """Read at most `limit` bytes of the body into `response`; False when there was more (what is
    kept is then its first `limit` bytes). The connection is closed; a body that declares more
    than `limit` bytes is not read at all."""
    try:
        size = declared_size(response)
        if size is not None and size > limit:
            keep(response, b"")
            return False
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > limit:
                keep(response, bytes(body[:limit]))
                return False
        keep(response, bytes(body))
        return True
    finally:
        await response.aclose()


async def lines(response: httpx.Response, limit: int) -> AsyncIterator[str]:
    """The body's lines as they arrive (see ``_bodies.Lines``); LineTooLong past `limit`."""
    splitter = Lines(limit)
    async for chunk in response.aiter_bytes():
        for line in splitter.feed(chunk):
            yield line
    for line in splitter.end():
        yield line
