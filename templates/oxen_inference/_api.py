"""What the generic calls check before sending and make of the answers, for both clients (the
calls themselves are ``_async/api.py`` and its blocking twin)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import _registry
from ._answers import read_json, unexpected_answer
from ._exceptions import ValidationError
from ._params import check_model_id

if TYPE_CHECKING:
    import httpx

__all__ = [
    "CHAT_ROUTE",
    "ENQUEUED_HINT",
    "EVENTS_IDLE_TIMEOUT",
    "check_queueable",
    "connect_wait",
    "enqueued",
    "refuse_stream",
]

# The event stream is dead after this long without a byte (keep-alives come every 15 s).
EVENTS_IDLE_TIMEOUT = 45.0
CHAT_ROUTE = "/ai/chat/completions"
CONNECT_WAIT = 10.0  # the longest a first submit waits for the event stream's first attempt
ENQUEUED_HINT = "; the jobs may have been created all the same: see client.queue.list()"


def connect_wait(deadline: float | None) -> float:
    """How long a submit may wait for the event stream's first attempt: `CONNECT_WAIT`, or less
    when the call's deadline (a ``time.monotonic()`` instant) comes first."""
    if deadline is None:
        return CONNECT_WAIT
    return max(0.0, min(CONNECT_WAIT, deadline - time.monotonic()))


def refuse_stream(
    model_id: str, route: str, params: Mapping[str, Any], extra_body: Mapping[str, Any] | None
) -> None:
    """``generate`` returns one answer: a chat stream goes through ``chat(..., stream=True)``."""
    if route == CHAT_ROUTE and (params.get("stream") or (extra_body or {}).get("stream")):
        raise ValidationError(
            model_id,
            [
                (
                    "stream",
                    "generate() cannot stream; call client.chat(model_id, messages=[...], "
                    "stream=True), which returns an iterator of ChatCompletionChunk",
                )
            ],
        )


def check_queueable(model_id: str) -> None:
    """ValidationError for a model the queue does not run (a known model without media)."""
    check_model_id(model_id)
    entry = _registry.get(model_id)
    if entry is not None and entry.media is None:
        route = entry.route
        hint = f"; call generate() (POST {route})" if route else ""
        raise ValidationError(model_id, [("", f"the queue runs image and video models only{hint}")])


def enqueued(response: httpx.Response) -> list[tuple[str, str]]:
    """``(generation_id, status)`` of each job the enqueue answered (status as the server said);
    an answer without them raises APIResponseValidationError (the jobs may exist all the same)."""
    hint = ENQUEUED_HINT
    payload = read_json(response, hint)
    rows = payload.get("generations") if isinstance(payload, dict) else None
    jobs = [
        (r["generation_id"], r["status"] if isinstance(r.get("status"), str) else "queued")
        for r in rows or []
        if isinstance(r, dict) and isinstance(r.get("generation_id"), str)
    ]
    if not jobs:
        raise unexpected_answer(response, payload, "no generations with an id in it" + hint)
    return jobs
