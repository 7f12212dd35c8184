"""A raw HTTP/1.1 server on 127.0.0.1 (port 0) that a test scripts byte by byte, to play an API
that misbehaves: malformed events, endless lines, huge bodies, trickled answers, echoed keys.

Each connection gets a thread; each request on it calls ``handler(request, conn)``, which writes
whatever it likes through `conn` (``conn.reply`` for an ordinary answer, ``conn.send`` for raw
bytes) and returns ``False`` to close the connection (anything else keeps it alive for the next
request). Leaving the ``with`` block shuts every connection down, so a handler blocked in a
send or in ``conn.pause`` ends at once: no thread outlives its test.

``queue_api`` builds the handler of a small queue API (enqueue, rows, lists, the event stream)
around a script for the event stream, for the tests of waiting jobs.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Conn", "Handler", "RawServer", "Request", "queue_api", "serve"]


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Conn:
    """One accepted connection, as a handler sees it."""

    def __init__(
        self, sock: socket.socket, stopped: threading.Event, index: int, server: RawServer
    ) -> None:
        self.sock = sock
        self.stopped = stopped
        self.index = index  # 0 for the server's first connection, 1 for the next...
        self.server = server

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply(
        self,
        status: int,
        body: bytes | dict[str, Any] | list[Any] = b"",
        headers: dict[str, str] | None = None,
    ) -> None:
        """A whole answer with its Content-Length (JSON for a dict or list)."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        head = {"Content-Length": str(len(data))}
        if not isinstance(body, bytes):
            head["Content-Type"] = "application/json"
        head.update(headers or {})
        lines = [f"HTTP/1.1 {status} X", *(f"{k}: {v}" for k, v in head.items())]
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode() + data)

    def head(self, status: int, headers: dict[str, str]) -> None:
        """A status line and headers only (the body follows through ``send``)."""
        lines = [f"HTTP/1.1 {status} X", *(f"{k}: {v}" for k, v in headers.items())]
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode())

    def sse(self) -> None:
        """The head of an event stream (the body runs until the connection closes)."""
        self.head(200, {"Content-Type": "text/event-stream", "Connection": "close"})

    def event(self, name: str, data: str | dict[str, Any]) -> None:
        text = data if isinstance(data, str) else json.dumps(data)
        self.send(f"event: {name}\ndata: {text}\n\n".encode())

    def pause(self, seconds: float) -> bool:
        """Sleep `seconds`; False (at once) when the server is shutting down."""
        return not self.stopped.wait(seconds)

    def until(self, condition: Callable[[], bool], timeout: float = 30.0) -> bool:
        """Wait (polling) until `condition()` holds; False when the server stops or time runs out."""
        for _ in range(int(timeout / 0.02)):
            if condition():
                return True
            if not self.pause(0.02):
                return False
        return False

    def keep_alive(self, every: float = 0.2) -> None:
        """Send SSE comments until the client goes away or the server stops."""
        while self.pause(every):
            self.send(b": keep-alive\n\n")

    def flood(self, size: int, fill: bytes = b"x") -> None:
        """`size` bytes of `fill` (sent a MiB at a time); stops when the client hangs up."""
        block = fill * (1 << 20)
        while size > 0:
            self.send(block[:size])
            size -= len(block)

    def trickle(self, data: bytes, every: float) -> None:
        """`data` one byte at a time, `every` seconds apart."""
        for byte in data:
            if not self.pause(every):
                return
            self.send(bytes([byte]))


Handler = Callable[[Request, Conn], "bool | None"]


@dataclass
class RawServer:
    url: str
    requests: list[Request] = field(default_factory=list)

    @property
    def api(self) -> str:
        """The base URL a client is given (``<url>/api``)."""
        return self.url + "/api"

    def paths(self, method: str | None = None) -> list[str]:
        return [r.path for r in list(self.requests) if method is None or r.method == method]

    def count(self, method: str, path: str) -> int:
        """How many `method` requests reached `path` (its query ignored)."""
        return sum(1 for p in self.paths(method) if p.partition("?")[0] == path)


def _read_request(reader: Any) -> Request | None:
    line = reader.readline(65536)
    if not line:
        return None
    method, path, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        raw = reader.readline(65536)
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int(reader.readline(65536).split(b";")[0], 16)
            chunk = reader.read(size + 2)
            if size == 0:
                break
            body += chunk[:-2]
    else:
        body = reader.read(int(headers.get("content-length", "0")))
    return Request(method, path, headers, body)


@contextmanager
def serve(handler: Handler) -> Iterator[RawServer]:
    """Run `handler` behind a listener on 127.0.0.1 (port 0) until the block ends."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    server = RawServer(f"http://127.0.0.1:{listener.getsockname()[1]}")
    stopped = threading.Event()
    open_socks: set[socket.socket] = set()
    guard = threading.Lock()
    count = iter(range(1_000_000))

    def one(sock: socket.socket, index: int) -> None:
        conn = Conn(sock, stopped, index, server)
        try:
            with sock, sock.makefile("rb") as reader:
                while not stopped.is_set():
                    request = _read_request(reader)
                    if request is None:
                        return
                    server.requests.append(request)
                    if handler(request, conn) is False:
                        return
        except (OSError, ValueError):
            return
        finally:
            with guard:
                open_socks.discard(sock)

    def accept() -> None:
        while True:
            try:
                sock, _ = listener.accept()
            except OSError:
                return
            with guard:
                if stopped.is_set():
                    sock.close()
                    return
                open_socks.add(sock)
            threading.Thread(target=one, args=(sock, next(count)), daemon=True).start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield server
    finally:
        stopped.set()
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() (close alone does not)
        listener.close()
        with guard:
            socks = list(open_socks)
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        acceptor.join(5)


# -- a small queue API ---------------------------------------------------------------------------

ACTIVE = ("queued", "processing")


def queue_api(
    rows: dict[str, dict[str, Any]],
    events: Callable[[Conn], None] | None = None,
) -> Handler:
    """The queue routes over `rows` (generation id -> row), which the test may change meanwhile.

    The n-th ``POST /api/ai/queue`` answers the n-th id of `rows` (the last one again past the
    end), queued; ``GET /api/ai/queue`` the active rows (``?status=S``: the rows of that status);
    ``GET /api/ai/queue/<id>`` one row (404 when unknown); ``GET /api/events`` runs `events`
    (after the stream's head) until it returns, or answers 404 when there is none.
    """

    posts = iter(range(1_000_000))

    def handler(request: Request, conn: Conn) -> bool | None:
        path, _, query = request.path.partition("?")
        if path == "/api/events":
            if events is None:
                conn.reply(404, {"error": "no events here"})
                return None
            conn.sse()
            events(conn)
            return False
        if request.method == "POST" and path == "/api/ai/queue":
            ids = list(rows)
            gid = ids[min(next(posts), len(ids) - 1)]
            conn.reply(200, {"generations": [{"generation_id": gid, "status": "queued"}]})
        elif request.method == "GET" and path == "/api/ai/queue":
            wanted = query.removeprefix("status=") if query.startswith("status=") else None
            found = [
                dict(r)
                for r in list(rows.values())
                if (r["status"] == wanted if wanted else r["status"] in ACTIVE)
            ]
            conn.reply(200, {"count": len(found), "generations": found})
        elif request.method == "GET" and path.startswith("/api/ai/queue/"):
            row = rows.get(path.rsplit("/", 1)[-1])
            if row is None:
                conn.reply(404, {"error": {"type": "resource_not_found", "detail": "no such id"}})
            else:
                conn.reply(200, dict(row))
        else:
            conn.reply(404, {"error": f"no route {request.method} {path}"})
        return None

    return handler
