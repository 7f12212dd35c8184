"""``oxen-inference chat`` prints the answer as it arrives: against a loopback server that sends the
first chunk and then holds the rest until the test has read it from the command's stdout; Ctrl-C
in the middle ends the answer's line and exits 130."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.e2e.cli import LAUNCHER, environment


def chunk(text: str | None) -> bytes:
    delta = {"content": text} if text is not None else {}
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o",
        "choices": [{"index": 0, "delta": delta, "finish_reason": None if text else "stop"}],
    }
    return f"data: {json.dumps(body)}\n\n".encode()


class HeldStream:
    """A chat server that sends "Hello" at once and the rest only when `release` is set."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.bodies: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                outer.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                try:
                    self.wfile.write(chunk("Hello"))
                    self.wfile.flush()
                    if not outer.release.wait(60):
                        return
                    self.wfile.write(chunk(", world.") + chunk(None) + b"data: [DONE]\n\n")
                except OSError:  # the command went away
                    pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.http.server_address[1]}/api"


@pytest.fixture
def server() -> Iterator[HeldStream]:
    held = HeldStream()
    thread = threading.Thread(target=held.http.serve_forever, daemon=True)
    thread.start()
    try:
        yield held
    finally:
        held.release.set()
        held.http.shutdown()
        held.http.server_close()
        thread.join(10)


def start(server: HeldStream) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, "chat", "gpt-4o", "Say hello."],
        env=environment(None, OXEN_BASE_URL=server.base_url, OXEN_API_KEY="k"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def read_until(proc: subprocess.Popen[bytes], text: bytes) -> bytes:
    """What the command printed, read as it comes, until `text` is there (within 60 s)."""
    assert proc.stdout is not None
    seen = b""
    while text not in seen:
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready, f"nothing more on stdout within 60 s: {seen!r}"
        piece = os.read(proc.stdout.fileno(), 4096)
        assert piece, f"stdout closed: {seen!r}"
        seen += piece
    return seen


def test_the_answer_is_printed_as_it_arrives(server: HeldStream) -> None:
    proc = start(server)
    first = read_until(proc, b"Hello")  # printed while the server still holds the rest
    assert first == b"Hello" and proc.poll() is None
    server.release.set()
    rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert first + rest == b"Hello, world.\n" and err == b""
    [body] = server.bodies
    assert body["stream"] is True and body["model"] == "gpt-4o"
    assert body["messages"] == [{"role": "user", "content": "Say hello."}]


def test_ctrl_c_mid_answer_ends_its_line_and_exits_130(server: HeldStream) -> None:
    proc = start(server)
    first = read_until(proc, b"Hello")
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert first + rest == b"Hello\n", err  # the line is ended, nothing else
    assert err == b"oxen-inference: error: interrupted\n"
