"""What the fake's httpx transports share (``testing/_async/transport.py`` and its blocking twin
``testing/_sync/transport.py``): they serve the fake's protocol state, with no socket, no port, no
thread of their own. A request goes through the same :class:`~._protocol.router.Exchange` as on
``oxgen mock-server``; a generation's latency is slept (``time.sleep`` or ``asyncio.sleep``) and
the event stream really streams: its body yields each event as it is published, waiting in
between, so the client's waits work as against the real API.

What a server's socket would do, the transports do too: a wait longer than the request's read
timeout raises ``httpx.ReadTimeout`` (a stalled event stream meets the client's idle timeout), and
a closed fake refuses connections (``httpx.ConnectError``).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from ._protocol import ROUTER, Answer, Exchange, Reply, State

API_PATH = "/api"


@dataclass
class RecordedRequest:
    """A request the fake received, in arrival order.

    `path` is relative to the API's base (``/ai/queue``; a path outside it, such as a result file's
    ``/files/<id>.png``, as it is); `json` is the parsed body (None when the body is not JSON);
    `status` is the answer's status (None until answered).
    """

    method: str
    path: str
    json: Any
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    status: int | None = None


def _parsed(raw: bytes, headers: dict[str, str]) -> Any:
    kind = headers.get("content-type", "application/json").split(";", 1)[0].strip().lower()
    if not raw or not (kind == "application/json" or kind.endswith("+json")):
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # not JSON, or beyond what Python's parser takes
        return None


def read_timeout(request: httpx.Request) -> float | None:
    timeout = request.extensions.get("timeout")
    value = timeout.get("read") if isinstance(timeout, dict) else None
    return float(value) if isinstance(value, (int, float)) else None


def timed_out(request: httpx.Request, what: str) -> httpx.ReadTimeout:
    return httpx.ReadTimeout(
        f"the fake Oxen sent nothing within the read timeout ({what})", request=request
    )


class Server:
    """What both transports share: the protocol state and the record of requests."""

    def __init__(self, state: State, requests: list[RecordedRequest]) -> None:
        self.state = state
        self.requests = requests
        self.closed = False

    def open(self, request: httpx.Request, raw: bytes) -> tuple[Reply, RecordedRequest]:
        """Record `request` and run it through the protocol up to its reply."""
        if self.closed:
            raise httpx.ConnectError("the fake Oxen is closed", request=request)
        headers: dict[str, str] = {}
        for name, value in request.headers.multi_items():
            headers.setdefault(name.lower(), value)
        query = dict(request.url.params.multi_items())
        path = request.url.path
        shown = path[len(API_PATH) :] if path.startswith(API_PATH + "/") else path
        record = RecordedRequest(request.method, shown, _parsed(raw, headers), query, headers, raw)
        self.requests.append(record)
        base = f"{request.url.scheme}://{request.url.netloc.decode('ascii')}"
        exchange = Exchange(self.state, ROUTER, request.method, path, query, headers, base)
        if exchange.wants_body:
            exchange.feed(raw)
        return exchange.finish(), record

    def response(
        self, request: httpx.Request, reply: Answer, record: RecordedRequest
    ) -> httpx.Response:
        record.status = reply.status
        body = reply.read()
        headers = dict(reply.headers)
        if request.method == "HEAD":
            headers["Content-Length"] = str(len(body))
            return httpx.Response(reply.status, headers=headers, stream=httpx.ByteStream(b""))
        if reply.chunks is not None:
            return httpx.Response(reply.status, headers=headers, stream=_Chunks(reply.chunks))
        return httpx.Response(reply.status, headers=headers, content=body)


class _Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body sent in pieces (a streamed chat answer)."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


def limit(
    wait: float | None, last: float, timeout: float | None, request: httpx.Request
) -> float | None:
    """How long a stream may wait now: `wait`, cut to what is left of the read timeout since the
    last bytes were sent (ReadTimeout when nothing is left)."""
    if timeout is None:
        return wait
    left = last + timeout - time.monotonic()
    if left <= 0:
        raise timed_out(request, "event stream")
    return left if wait is None else min(wait, left)
