"""A chat call on the wire, and the stream of its chunks (see ``_chat`` for the chat types)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._answers import answer, connection_error
from .._api import CHAT_ROUTE
from .._bodies import MAX_ERROR_BODY_BYTES, MAX_LINE_BYTES, LineTooLong, line_error
from .._chat import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatMessageParam,
    ChunkReader,
    chat_body,
    chat_headers,
    is_stream,
    not_a_stream,
)
from .._synchronization import AsyncClosing
from .._types import Omit, Timeout
from .bodies import lines, read_upto

if TYPE_CHECKING:
    import httpx

    from .api_client import AsyncAPIClient

__all__ = ["AsyncChatStream", "send_chat"]


class AsyncChatStream(AsyncClosing):
    """The chunks of a streamed chat, as they arrive: ``async for`` them, ideally inside
    ``async with``.

    `response` is the open ``httpx.Response``. Iterating to the end, ``close()`` or leaving the
    ``async with`` block closes the connection (stopping early does not read the rest).
    """

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._chunks = self._read()

    def __aiter__(self) -> AsyncIterator[ChatCompletionChunk]:
        return self

    async def __anext__(self) -> ChatCompletionChunk:
        return await anext(self._chunks)

    async def _read(self) -> AsyncGenerator[ChatCompletionChunk, None]:
        import httpx

        reader = ChunkReader(self.response)
        try:
            try:
                async for line in lines(self.response, MAX_LINE_BYTES):
                    chunk = reader.feed(line)
                    if chunk is not None:
                        yield chunk
                    if reader.done:
                        return
                last = reader.end()
                if last is not None:
                    yield last
            except httpx.TransportError as exc:
                raise connection_error(exc, self.response.request) from exc
            except LineTooLong as exc:
                raise line_error(self.response, exc) from None
        finally:
            await self.response.aclose()

    async def close(self) -> None:
        """Stop reading and close the connection (idempotent)."""
        await self._chunks.aclose()
        await self.response.aclose()

    aclose = close  # async only


async def send_chat(
    client: AsyncAPIClient,
    model_id: str,
    messages: Sequence[ChatMessageParam],
    params: Mapping[str, Any],
    *,
    stream: bool,
    timeout: Timeout | Omit,
    extra_headers: Mapping[str, str] | None,
    extra_body: Mapping[str, Any] | None,
    extra_query: Mapping[str, Any] | None = None,
    max_retries: int | None = None,
) -> ChatCompletion | AsyncChatStream:
    """``POST /ai/chat/completions``: the completion, or the stream of its chunks."""
    body = chat_body(model_id, messages, params, stream=stream, extra_body=extra_body)
    response = await client.request(
        "POST",
        CHAT_ROUTE,
        json=body,
        unsafe=True,
        timeout=timeout,
        extra_headers=chat_headers(stream, extra_headers),
        stream=stream,
        extra_query=extra_query,
        max_retries=max_retries,
    )
    if not stream:
        return answer(response, ChatCompletion.model_validate)
    if not is_stream(response):
        await read_upto(response, MAX_ERROR_BODY_BYTES)  # enough to say what it is
        raise not_a_stream(response)
    return AsyncChatStream(response)
