"""What the protocol answers, before any server or transport turns it into bytes on a wire.

- :class:`Answer`: a status, headers and a body (bytes, a list of chunks to stream, or a file).
- :class:`Delayed`: the answer of a generation, made by ``then()`` once ``seconds`` have passed
  (the adapter waits in its own world: ``asyncio.sleep`` on a server, ``time.sleep`` in a thread).
- :class:`EventStream`: the ``/events`` stream of one subscriber, driven by the adapter through
  ``State.step`` until it ends.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .events import Subscriber

JSON = "application/json"
SSE = "text/event-stream"
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def dumps(value: Any, *, ascii_only: bool = False) -> bytes:
    """Compact JSON; `ascii_only` escapes every non-ASCII character (a catalog may hold a lone
    surrogate, legal in JSON text as ``"\\ud800"`` but with no UTF-8 form to send raw)."""
    text = json.dumps(value, ensure_ascii=ascii_only, allow_nan=False, separators=(",", ":"))
    return text.encode("ascii" if ascii_only else "utf-8")


@dataclass
class Answer:
    """A complete answer. `chunks` (streamed in order) or `file` replace `body` when given."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] | None = None
    file: Path | None = None

    def read(self) -> bytes:
        """The whole body, wherever it is held."""
        if self.chunks is not None:
            return b"".join(self.chunks)
        if self.file is not None:
            return self.file.read_bytes()
        return self.body


def json_answer(
    value: Any,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    *,
    ascii_only: bool = False,
) -> Answer:
    return Answer(
        status, dumps(value, ascii_only=ascii_only), {"Content-Type": JSON, **(headers or {})}
    )


@dataclass
class Delayed:
    """An answer that takes `seconds` to make (a generation's latency)."""

    seconds: float
    then: Callable[[], Answer]


@dataclass
class EventStream:
    """A Server-Sent Events answer for `subscriber` (already subscribed, so no event is missed)."""

    subscriber: Subscriber
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": SSE, **SSE_HEADERS})


Reply = Answer | Delayed | EventStream
