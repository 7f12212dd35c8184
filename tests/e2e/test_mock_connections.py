"""The mock server's connections under hostile clients, with raw sockets on 127.0.0.1: headers
that never finish are cut off (408, closed), and at the process's file limit the server logs one
line, keeps answering the connections it has and serves waiting ones once descriptors free up.
"""

from __future__ import annotations

import http.client
import os
import re
import resource
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from oxgen import snapshot as snap
from oxgen.mock.testing import MockServer, running_mock_server

CATALOG = {"data": [{"id": "m", "request_schema": {"type": "object"}}]}
# Long enough that a complete request is never cut off on a loaded machine, short enough to wait.
HEADER_TIMEOUT = 1.5
AUTH = "Authorization: Bearer test-key\r\n"


@pytest.fixture
def mock() -> Iterator[MockServer]:
    with running_mock_server(
        snap.from_catalog(CATALOG, "test"), header_timeout=HEADER_TIMEOUT
    ) as server:
        yield server


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=30)


def request(sock: socket.socket, path: str = "/api/ai/models") -> int:
    """Send one keep-alive GET and read its whole answer; the status."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n{AUTH}\r\n".encode())
    return answer(sock)


def answer(sock: socket.socket) -> int:
    response = http.client.HTTPResponse(sock)
    response.begin()
    response.read()
    return response.status


def read_until_closed(sock: socket.socket, trickle: bytes = b"", limit: float = 20) -> bytes:
    """Everything the server sends until it closes, sending `trickle` every 0.1 s meanwhile."""
    received = b""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if trickle:
            try:
                sock.send(trickle)
            except OSError:  # the server has closed; read what it said
                trickle = b""
        readable, _, _ = select.select([sock], [], [], 0.1)
        if readable:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                return received
            if not chunk:
                return received
            received += chunk
    raise AssertionError(f"still open after {limit} s; received {received[:200]!r}")


def test_a_silent_connection_is_answered_408_and_closed(mock: MockServer) -> None:
    with connect(mock.port) as sock:
        assert read_until_closed(sock).startswith(b"HTTP/1.1 408 ")


def test_headers_trickled_byte_by_byte_do_not_extend_the_deadline(mock: MockServer) -> None:
    with connect(mock.port) as sock:
        sock.sendall(b"GET /api/ai/models HTTP/1.1\r\nHost: t\r\n")
        start = time.monotonic()
        # One header byte every 0.1 s would keep the request going for ever.
        received = read_until_closed(sock, trickle=b"x")
        assert received.startswith(b"HTTP/1.1 408 ")
        assert time.monotonic() - start < 20


def test_headers_in_pieces_within_the_deadline_are_served(mock: MockServer) -> None:
    with connect(mock.port) as sock:
        sock.sendall(b"GET /api/ai/models HTTP/1.1\r\n")
        time.sleep(0.1)
        sock.sendall(f"Host: t\r\n{AUTH}\r\n".encode())
        assert answer(sock) == 200


def test_an_idle_keep_alive_connection_outlives_the_header_deadline(mock: MockServer) -> None:
    """Between requests the keep-alive timeout (30 s) applies, not the header deadline."""
    with connect(mock.port) as sock:
        assert request(sock) == 200
        time.sleep(HEADER_TIMEOUT * 2)  # the window the connection must survive
        assert request(sock) == 200
        # and the next request's headers have their own deadline again
        sock.sendall(b"GET /api/ai/models HTTP/1.1\r\n")
        assert read_until_closed(sock).startswith(b"HTTP/1.1 408 ")


def test_many_stalled_connections_neither_block_others_nor_stay(mock: MockServer) -> None:
    stalled = [connect(mock.port) for _ in range(50)]
    try:
        for sock in stalled:
            sock.sendall(b"POST /api/ai/queue HTTP/1.1\r\nHost: t\r\nContent-")
        with connect(mock.port) as good:
            assert request(good) == 200
        for sock in stalled:
            assert read_until_closed(sock).startswith(b"HTTP/1.1 408 ")
        connections = mock.server.server_state.connections
        deadline = time.monotonic() + 20
        while mock.call(lambda: len(connections)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert mock.call(lambda: len(connections)) == 0
    finally:
        for sock in stalled:
            sock.close()


# --- the file limit ------------------------------------------------------------------------------

FILE_LIMIT = 64


def _lower_file_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (FILE_LIMIT, hard))


class Lines:
    """The lines a process writes to a stream, collected by a thread, with a wait for one."""

    def __init__(self, stream: object) -> None:
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()

    def wait_for(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for line in self.lines:
                    if found := re.search(pattern, line):
                        return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no line matching {pattern!r} in {self.lines[-20:]}")
                self.changed.wait(left)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads CPU time from /proc")
def test_at_the_file_limit_the_server_stays_quiet_and_serves_again(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text('{"data": [{"id": "m", "request_schema": {}}]}')
    proc = subprocess.Popen(
        [sys.executable, "-m", "oxgen.cli", "mock-server", "--schemas", "c.json", "--port", "0"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_lower_file_limit,
    )
    err = Lines(proc.stderr)
    waiting: list[socket.socket] = []
    try:
        port = int(err.wait_for(r"on http://127\.0\.0\.1:(\d+)/api").group(1))
        first = connect(port)
        assert request(first) == 200
        # More connections than the server has descriptors: it accepts until the limit, the
        # rest wait in the listen backlog (the kernel completes their handshakes).
        for _ in range(FILE_LIMIT * 2):
            waiting.append(connect(port))
        err.wait_for("out of file descriptors")
        cpu_before, wall_before = _cpu_seconds(proc.pid), time.monotonic()
        time.sleep(1.0)  # the window in which a spinning accept loop would show
        cpu = _cpu_seconds(proc.pid) - cpu_before
        wall = time.monotonic() - wall_before
        # An accepted connection is still answered at the limit.
        assert request(first) == 200
        last = waiting.pop()
        last.sendall(f"GET /api/ai/models HTTP/1.1\r\nHost: t\r\n{AUTH}\r\n".encode())
        # Descriptors free up: the waiting connections are accepted and served, in order.
        for sock in waiting:
            sock.close()
        assert answer(last) == 200
        last.close()
        first.close()
    finally:
        for sock in waiting:
            sock.close()
        proc.terminate()
        proc.wait(timeout=30)
    err.thread.join(timeout=10)
    logged = [line for line in err.lines if '"GET /api/ai/models' not in line]
    assert not any("Traceback" in line for line in logged), "".join(logged[:40])
    assert sum("out of file descriptors" in line for line in logged) == 1, "".join(logged[:40])
    assert len(logged) < 15, "".join(logged[:40])
    assert cpu < 0.5 * wall, (cpu, wall)
