"""Chat completions (``POST /ai/chat/completions``, OpenAI-compatible), whole or streamed.

    completion = client.chat("gpt-4o", messages=[{"role": "user", "content": "Hello"}])
    print(completion.text)

    with client.chat("gpt-4o", messages=[{"role": "user", "content": "Hello"}], stream=True) as stream:
        for chunk in stream:                     # ChatCompletionChunk, as the server sends them
            print(chunk.text, end="", flush=True)

With ``stream=True`` the request is sent (and retried on the usual conditions: no connection, 429,
503) when ``chat`` is called, so an error status raises there. What comes back is a
:class:`ChatStream` (:class:`AsyncChatStream` for ``AsyncOxen``): chunks are parsed as they
arrive and nothing is retried from then on (a retry would bill and answer twice). Leaving the
``with`` block, ``close()``, or reading to the end closes the connection. Mid-stream, an error
envelope or an unparsable chunk raises :class:`APIStreamError`; a dropped connection, or an end of
stream before any ``finish_reason`` and without ``data: [DONE]``, raises :class:`APIConnectionError`
(:class:`APITimeoutError` when no chunk came within the read timeout).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import pydantic
from pydantic import Field

from . import _registry
from ._api import CHAT_ROUTE
from ._events import SSEDecoder
from ._exceptions import (
    APIConnectionError,
    APIStreamError,
    ValidationError,
    error_body,
    parse_error_body,
)
from ._models import _Answer
from ._types import Omit

if TYPE_CHECKING:
    import httpx

__all__ = [
    "ChatChoice",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatMessage",
    "ChatMessageParam",
    "ChoiceDelta",
    "ChunkChoice",
    "CompletionUsage",
]

DONE = "[DONE]"


class ChatMessage(_Answer):
    """A message of a completion; pass it back in ``messages`` to continue the conversation."""

    role: str = "assistant"
    content: str | list[Any] | None = None


class CompletionUsage(_Answer):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None


class ChatChoice(_Answer):
    index: int = 0
    message: ChatMessage = Field(default_factory=ChatMessage)
    finish_reason: str | None = None


class ChatCompletion(_Answer):
    """The answer of a chat call without ``stream`` (``object == "chat.completion"``)."""

    id: str | None = None
    object: str = "chat.completion"
    created: int | None = None
    model: str | None = None
    choices: list[ChatChoice] = Field(default_factory=list)
    usage: CompletionUsage | None = None

    @property
    def text(self) -> str:
        """The first choice's text ("" when it has none)."""
        content = self.choices[0].message.content if self.choices else None
        return content if isinstance(content, str) else ""


class ChoiceDelta(_Answer):
    """What a chunk adds to a choice: usually a piece of `content` (the first one has the `role`)."""

    role: str | None = None
    content: str | None = None


class ChunkChoice(_Answer):
    index: int = 0
    delta: ChoiceDelta = Field(default_factory=ChoiceDelta)
    finish_reason: str | None = None


class ChatCompletionChunk(_Answer):
    """One event of a streamed chat (``object == "chat.completion.chunk"``)."""

    id: str | None = None
    object: str = "chat.completion.chunk"
    created: int | None = None
    model: str | None = None
    choices: list[ChunkChoice] = Field(default_factory=list)
    usage: CompletionUsage | None = None

    @property
    def text(self) -> str:
        """The first choice's new text in this chunk ("" when it has none)."""
        return (self.choices[0].delta.content or "") if self.choices else ""


ChatMessageParam: TypeAlias = Mapping[str, Any] | ChatMessage
"""A message to send: ``{"role": "user", "content": "..."}`` (any OpenAI-style keys) or a ChatMessage."""


def _messages(model_id: str, messages: object) -> list[Any]:
    if (
        isinstance(messages, (str, bytes, Mapping))
        or not isinstance(messages, Sequence)
        or not messages
    ):
        raise ValidationError(
            model_id,
            [("messages", 'must be a non-empty list of {"role": ..., "content": ...} messages')],
        )
    out: list[Any] = []
    for i, message in enumerate(messages):
        if isinstance(message, pydantic.BaseModel):
            message = message.model_dump(mode="json", exclude_none=True, by_alias=True)
        if not isinstance(message, Mapping) or not isinstance(message.get("role"), str):
            raise ValidationError(
                model_id,
                [
                    (
                        f"messages.{i}",
                        f"must be a mapping with a string 'role' (got {message!r:.80})",
                    )
                ],
            )
        out.append(dict(message))
    return out


def chat_body(
    model_id: str,
    messages: object,
    params: Mapping[str, Any],
    *,
    stream: bool,
    extra_body: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The JSON body of a chat call, checked: the model must be a chat model (when known), messages a list."""
    entry = _registry.get(model_id)
    if entry is not None and entry.route != CHAT_ROUTE:
        where = (
            f"it runs on POST {entry.route}: call generate()"
            if entry.route
            else "it has no inference route"
        )
        raise ValidationError(model_id, [("", f"not a chat model; {where}")])
    body: dict[str, Any] = {"model": model_id, "messages": _messages(model_id, messages)}
    body.update({k: v for k, v in params.items() if not isinstance(v, Omit)})
    if stream:
        body["stream"] = True
    if extra_body:
        body.update(extra_body)
    return body


class ChunkReader:
    """Server-Sent Events lines -> chunks; knows whether the stream ended properly."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.decoder = SSEDecoder()
        self.done = False  # `data: [DONE]` seen
        self.finished = False  # a chunk with a finish_reason seen

    def feed(self, line: str) -> ChatCompletionChunk | None:
        item = self.decoder.feed(line)
        return None if item is None else self._event(*item)

    def end(self) -> ChatCompletionChunk | None:
        """The stream's body ended: the last event (if unterminated); raises if the answer is cut short."""
        chunk = self.feed("")
        if not (
            self.done
            or self.finished
            or (chunk is not None and any(c.finish_reason for c in chunk.choices))
        ):
            raise APIConnectionError(
                "the chat stream ended before it was complete (no finish_reason, no [DONE])",
                request=self.response.request,
            )
        return chunk

    def _event(self, event: str, data: str) -> ChatCompletionChunk | None:
        if data.strip() == DONE:
            self.done = True
            return None
        if event not in ("message", "error"):
            return None  # other event types (pings, ...) are not part of the answer
        try:
            payload = json.loads(data)
        except ValueError:
            raise APIStreamError(
                f"unparsable chunk in the chat stream: {data!r:.200}",
                response=self.response,
                body=data,
            ) from None
        if event == "error" or (isinstance(payload, dict) and "error" in payload):
            envelope = (
                payload if isinstance(payload, dict) and "error" in payload else {"error": payload}
            )
            message, kind = parse_error_body(envelope)
            raise APIStreamError(
                message or "error in the chat stream",
                response=self.response,
                body=payload,
                type=kind,
            )
        try:
            chunk = ChatCompletionChunk.model_validate(payload)
        except pydantic.ValidationError as exc:
            raise APIStreamError(
                f"unexpected chunk in the chat stream: {data!r:.200}",
                response=self.response,
                body=payload,
            ) from exc
        if any(c.finish_reason for c in chunk.choices):
            self.finished = True
        return chunk


def not_a_stream(response: httpx.Response) -> APIStreamError:
    """A 2xx answer that is not an event stream (its body must have been read)."""
    body, message, kind = error_body(response)
    kind_of = response.headers.get("content-type", "no content type")
    return APIStreamError(
        message or f"expected a chat event stream, got {kind_of}",
        response=response,
        body=body,
        type=kind,
    )


def is_stream(response: httpx.Response) -> bool:
    return "text/event-stream" in response.headers.get("content-type", "")


def chat_headers(stream: bool, extra_headers: Mapping[str, str] | None) -> dict[str, str] | None:
    if not stream:
        return dict(extra_headers) if extra_headers else None
    return {"Accept": "text/event-stream", **(extra_headers or {})}
