"""``oxen-inference`` against a loopback server that sends the first part of an answer and holds
the rest until the test releases it: ``chat`` prints the answer as it arrives, and Ctrl-C in the
middle of a chat answer or of a download ends cleanly (one line, exit 130, no partial file, the
command that picks it up)."""

from __future__ import annotations

import json
import os
import select
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from oxgen.mock.media import mp4
from tests.e2e.cli import LAUNCHER, cli, environment

GID = "0123456789abcdef"
VIDEO = mp4() * 64  # large enough to be sent in two parts


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


class HeldServer:
    """A chat stream that sends "Hello" at once, a finished job whose video is sent 1 kB first;
    the rest of the first answer of each kind waits for `release`. `sent` is set once a first
    part is out."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.sent = threading.Event()
        self.bodies: list[dict[str, Any]] = []
        self.downloads = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def hold(self, first: bytes, rest: bytes) -> None:
                try:
                    self.wfile.write(first)
                    self.wfile.flush()
                    outer.sent.set()
                    if outer.release.wait(60):
                        self.wfile.write(rest)
                except OSError:  # the command went away
                    pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                outer.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                self.hold(chunk("Hello"), chunk(", world.") + chunk(None) + b"data: [DONE]\n\n")

            def do_GET(self) -> None:
                if self.path == f"/api/ai/queue/{GID}":
                    row = {
                        "generation_id": GID,
                        "model_name": "luma-ray-v3-2-image-to-video",
                        "status": "succeeded",
                        "result_url": f"{outer.root}/files/{GID}.mp4",
                    }
                    body = json.dumps(row).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                elif self.path == f"/files/{GID}.mp4":
                    outer.downloads += 1
                    self.send_response(200)
                    self.send_header("Content-Type", "video/mp4")
                    self.send_header("Content-Length", str(len(VIDEO)))
                    self.end_headers()
                    if outer.downloads == 1:
                        self.hold(VIDEO[:1024], VIDEO[1024:])
                    else:
                        self.wfile.write(VIDEO)
                else:
                    self.send_error(404)

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.root = f"http://127.0.0.1:{self.http.server_address[1]}"
        self.env = environment(None, OXEN_BASE_URL=f"{self.root}/api", OXEN_API_KEY="k")


@pytest.fixture
def server() -> Iterator[HeldServer]:
    held = HeldServer()
    thread = threading.Thread(target=held.http.serve_forever, daemon=True)
    thread.start()
    try:
        yield held
    finally:
        held.release.set()
        held.http.shutdown()
        held.http.server_close()
        thread.join(10)


def start(server: HeldServer, *argv: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, *argv],
        env=server.env,
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


def test_the_chat_answer_is_printed_as_it_arrives(server: HeldServer) -> None:
    proc = start(server, "chat", "gpt-4o", "Say hello.")
    first = read_until(proc, b"Hello")  # printed while the server still holds the rest
    assert first == b"Hello" and proc.poll() is None
    server.release.set()
    rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert first + rest == b"Hello, world.\n" and err == b""
    [body] = server.bodies
    assert body["stream"] is True and body["model"] == "gpt-4o"
    assert body["messages"] == [{"role": "user", "content": "Say hello."}]


def test_ctrl_c_mid_answer_ends_its_line_and_exits_130(server: HeldServer) -> None:
    proc = start(server, "chat", "gpt-4o", "Say hello.")
    first = read_until(proc, b"Hello")
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert first + rest == b"Hello\n", err  # the line is ended, nothing else
    assert err == b"oxen-inference: error: interrupted\n"


def test_ctrl_c_mid_download_leaves_no_part_and_names_the_command(
    server: HeldServer, tmp_path: Path
) -> None:
    save = tmp_path / "saved videos"
    proc = start(server, "jobs", "wait", GID, "--save", str(save))
    assert server.sent.wait(60), "the download never started"
    proc.send_signal(signal.SIGINT)  # a kilobyte in: the command is inside the download
    out, err = proc.communicate(timeout=60)
    resume = f"oxen-inference jobs wait {GID} --save {shlex.quote(str(save))}"
    assert proc.returncode == 130 and out == b""
    assert err.decode() == (
        f"oxen-inference: error: interrupted while downloading; the result of {GID} stays "
        f"available: {resume}\n"
    )
    assert not save.exists() or list(save.iterdir()) == []  # no partial file left

    picked = cli(*shlex.split(resume)[1:], env=server.env)
    assert picked.code == 0, picked.err
    assert picked.out.splitlines() == [f"{server.root}/files/{GID}.mp4", str(save / f"{GID}.mp4")]
    assert (save / f"{GID}.mp4").read_bytes() == VIDEO
