"""`oxgen fetch` against small misbehaving servers on 127.0.0.1: every case ends in one clear
message (or a correct snapshot) within its deadline and a bounded amount of memory, and the old
snapshot stays byte-identical whenever the fetch fails."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from oxgen import snapshot as snap
from oxgen.mock.testing import running_mock_server

SCHEMA = {"type": "object", "properties": {"prompt": {"type": "string"}}}
Send = Callable[[bytes], None]
Handler = Callable[[str, Send], None]


def _model(model_id: str, schema: Any = SCHEMA) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "request_schema": schema}


def _head(status: str, headers: dict[str, str] | None = None, length: int | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Content-Type: application/json", "Connection: close"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _json(send: Send, value: Any, status: str = "200 OK", **headers: str) -> None:
    body = value if isinstance(value, bytes) else json.dumps(value).encode()
    send(_head(status, headers, len(body)) + body)


class Server:
    """A raw HTTP/1.1 server on 127.0.0.1: each connection gets one request, answered by
    `handler(path, send)`; whatever `send` writes goes to the socket as it is."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stopping = threading.Event()
        self.requests: list[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            path = data.split(b" ", 2)[1].decode()
            self.requests.append(path)

            def send(payload: bytes) -> None:
                if self.stopping.is_set():
                    raise ConnectionError("server stopping")
                conn.sendall(payload)

            with contextlib.suppress(
                OSError
            ):  # the client went away, as it should once it gives up
                self.handler(path, send)

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        self.sock.close()


def _listing(models: list[dict[str, Any]]) -> Handler:
    by_path = {
        "/api/ai/models/" + snap_path: m
        for m, snap_path in ((m, _encoded(m["id"])) for m in models)
    }

    def handler(path: str, send: Send) -> None:
        if path == "/api/ai/models":
            _json(send, {"object": "list", "data": models})
        elif path in by_path:
            _json(send, by_path[path])
        else:
            _json(send, {"error": {"message": f"Model not found: {path}"}}, "404 Not Found")

    return handler


def _encoded(model_id: str) -> str:
    from oxgen.fetch import model_path

    return model_path(model_id).removeprefix("/ai/models/")


def trickle(path: str, send: Send) -> None:
    send(_head("200 OK", length=10**6))
    for _ in range(10_000):
        send(b" ")
        time.sleep(0.5)


def endless_list(path: str, send: Send) -> None:
    send(_head("200 OK") + b'{"object": "list", "data": [')
    chunk = b'{"id": "x", "pad": "' + b"a" * 65_000 + b'"}, '
    while True:
        send(chunk)


def endless_model(path: str, send: Send) -> None:
    if path == "/api/ai/models":
        _json(send, {"object": "list", "data": [_model("m")]})
        return
    send(_head("200 OK") + b'{"id": "m", "pad": "')
    while True:
        send(b"a" * 65_536)


def huge_declared(path: str, send: Send) -> None:
    send(_head("200 OK", length=10**12))
    time.sleep(5)


def redirect_loop(path: str, send: Send) -> None:
    send(_head("302 Found", {"Location": path}, 0))


def retry_after_forever(path: str, send: Send) -> None:
    if path == "/api/ai/models":
        _json(send, {"object": "list", "data": [_model("m1"), _model("m2")]})
        return
    _json(send, {"error": "slow down"}, "429 Too Many Requests", **{"Retry-After": "99999"})


def _with_model(body: bytes) -> Handler:
    def handler(path: str, send: Send) -> None:
        if path == "/api/ai/models":
            _json(send, {"object": "list", "data": [{"id": "m", "object": "model"}]})
        else:
            _json(send, body)

    return handler


def garbage(path: str, send: Send) -> None:
    _json(send, b"<html>not json</html>")


DEEP = b'{"id": "m", "request_schema": ' + b'{"a": ' * 2000 + b"1" + b"}" * 2000 + b"}"
BIG_INT = b'{"id": "m", "request_schema": {"default": ' + b"9" * 5000 + b"}}"


def _case(
    case: str, handler: Handler, flags: list[str], phrase: str, bound: float, slow: bool = False
) -> Any:
    marks = [pytest.mark.slow] if slow else []
    return pytest.param(case, handler, flags, phrase, bound, marks=marks, id=case)


# (case, server, extra flags, phrase of the error line, time bound in seconds)
FAILURES = [
    _case("trickle", trickle, ["--deadline", "2"], "did not finish within 2 s", 8),
    _case("endless list", endless_list, ["--max-list-mb", "2"], "larger than 2 MB", 20),
    _case("endless model", endless_model, [], "larger than 8 MB", 20),
    _case("declared huge", huge_declared, [], "larger than 64 MB", 8),
    _case("redirect loop", redirect_loop, [], "redirected more than 5 times", 8),
    _case("Retry-After 99999", retry_after_forever, [], "asks to wait 99999 s", 8),
    _case("deep JSON", _with_model(DEEP), [], "nested more than 400 levels", 8),
    _case("integer over 4,300 digits", _with_model(BIG_INT), [], "cannot be read", 8),
    # retried with the real backoff before giving up
    _case("not JSON", garbage, [], "not JSON (gave up after 5 attempts)", 30, slow=True),
]


@pytest.fixture
def old_snapshot(tmp_path: Path) -> Path:
    out = tmp_path / "schemas"
    loaded = snap.from_catalog({"data": [_model("old-model")]}, "old")
    snap.write_snapshot(out, snap.snapshot_files(loaded))
    return out


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _fetch(
    base_url: str, out: Path, *flags: str, timeout: float = 60
) -> tuple[int, str, float, int]:
    """Run `oxgen fetch` in a subprocess: (exit code, stderr, seconds, peak RSS in MB)."""
    env = {**os.environ, "OXEN_API_KEY": "k"}
    start = time.monotonic()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oxgen.cli",
            "fetch",
            "--base-url",
            base_url,
            "--out",
            str(out),
            *flags,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    peak = 0
    while proc.poll() is None:
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
            rss = next(int(x.split()[1]) for x in status.splitlines() if x.startswith("VmRSS"))
            peak = max(peak, rss // 1024)
        except (OSError, StopIteration, ValueError):
            pass
        if time.monotonic() - start > timeout:
            proc.kill()
        time.sleep(0.05)
    _, err = proc.communicate()
    return proc.returncode, err, time.monotonic() - start, peak


@pytest.mark.parametrize(("case", "handler", "flags", "phrase", "bound"), FAILURES)
def test_misbehaving_servers_end_in_one_message(
    old_snapshot: Path, case: str, handler: Handler, flags: list[str], phrase: str, bound: float
) -> None:
    before = _tree(old_snapshot)
    server = Server(handler)
    try:
        code, err, seconds, peak_mb = _fetch(server.base_url, old_snapshot, *flags)
    finally:
        server.close()
    assert code == 1, (case, err)
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("oxgen: error:")]
    assert len(errors) == 1 and f"{old_snapshot} was left as it was" in errors[0], err
    assert phrase in err, err
    assert seconds < bound, seconds
    assert peak_mb < 250, peak_mb
    assert _tree(old_snapshot) == before
    assert sorted(p.name for p in old_snapshot.parent.iterdir()) == ["schemas"]


def test_ids_made_of_dots_and_odd_characters_are_fetched(tmp_path: Path) -> None:
    models = [
        _model("."),
        _model(".."),
        _model("a/b"),
        _model("with space"),
        _model("surrogate", {"type": "object", "description": "lone \ud800"}),
    ]
    out = tmp_path / "schemas"
    with running_mock_server(snap.from_catalog({"data": models}, "odd")) as mock:
        code, err, _, _ = _fetch(mock.base_url, out)
    assert code == 0, err
    fetched = snap.load(out).by_id()
    assert set(fetched) == {".", "..", "a/b", "with space", "surrogate"}
    assert fetched["surrogate"]["request_schema"]["description"] == "lone \ud800"
    for path in out.iterdir():
        path.read_text(encoding="utf-8")  # every file is UTF-8 (the surrogate stays an escape)
    assert all(p.parent == out for p in out.iterdir())


_KILL_BETWEEN_RENAMES = """
import os, signal, sys
from pathlib import Path
from oxgen import snapshot
snapshot._exchange = lambda a, b: False  # the two-rename swap, as where no exchange exists
calls = []
real = os.replace
def replace(src, dst):
    real(src, dst)
    calls.append(dst)
    if len(calls) == 1:
        os.kill(os.getpid(), signal.SIGKILL)  # killed between the two renames
os.replace = replace
snapshot.write_snapshot(Path(sys.argv[1]), {"manifest.json": "{}", "new.json": "{}"})
"""

_KILL_AFTER_EXCHANGE = """
import os, signal, sys
from pathlib import Path
from oxgen import snapshot
real = snapshot._exchange
def exchange(a, b):
    assert real(a, b)
    os.kill(os.getpid(), signal.SIGKILL)  # killed before the old folder is removed
snapshot._exchange = exchange
snapshot.write_snapshot(Path(sys.argv[1]), {"manifest.json": "{}", "new.json": "{}"})
"""


@pytest.mark.parametrize("reader", ["generate", "diff", "fetch", "rehash", "load"])
def test_a_kill_between_the_two_renames_is_recovered_by_the_next_command(
    old_snapshot: Path, reader: str
) -> None:
    before = _tree(old_snapshot)
    killed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_KILL_BETWEEN_RENAMES), str(old_snapshot)],
        capture_output=True,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL
    assert not old_snapshot.exists()  # the window the exchange closes where the OS offers it
    root = old_snapshot.parent
    if reader == "load":
        with pytest.warns(snap.SnapshotWarning, match="restored the snapshot it held before"):
            assert snap.load(old_snapshot).by_id().keys() == {"old-model"}
    else:
        args = {
            "generate": ["generate", "--schemas", "schemas", "--out", "out"],
            "diff": ["diff", "schemas", "schemas"],
            "rehash": ["snapshot", "--rehash", "schemas"],
            "fetch": ["fetch", "--base-url", "http://127.0.0.1:9/api", "--deadline", "1"],
        }[reader]
        result = subprocess.run(
            [sys.executable, "-m", "oxgen.cli", *args],
            cwd=root,
            capture_output=True,
            text=True,
            env={**os.environ, "OXEN_API_KEY": "k"},
            timeout=60,
            check=False,
        )
        assert "restored the snapshot it held before" in result.stderr
        assert "Traceback" not in result.stderr
    assert _tree(old_snapshot) == before
    assert not [p for p in root.iterdir() if p.name.startswith(".schemas.old-")]


def test_the_atomic_exchange_never_leaves_the_folder_missing(old_snapshot: Path) -> None:
    killed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_KILL_AFTER_EXCHANGE), str(old_snapshot)],
        capture_output=True,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL
    assert _tree(old_snapshot) == {"manifest.json": b"{}", "new.json": b"{}"}


def test_the_written_files_are_fsynced(old_snapshot: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        synced.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    snap.write_snapshot(old_snapshot, {"manifest.json": "{}", "a.json": "{}", "b.json": "{}"})
    assert len(synced) >= 3 + 2  # each file, the new folder, the parent after the swap


@pytest.mark.parametrize(
    "args",
    [
        ["fetch", "--deadline", "nan"],
        ["fetch", "--deadline", "0"],
        ["fetch", "--deadline", "inf"],
        ["fetch", "--max-list-mb", "nan"],
        ["fetch", "--max-model-mb", "-1"],
        ["fetch", "--max-model-mb", "1e400"],
        ["mock-server", "--latency", "nan", "--port", "0"],
        ["mock-server", "--latency", "1e308", "--port", "0"],
        ["mock-server", "--latency", "-inf", "--port", "0"],
    ],
)
def test_bad_flag_values_are_usage_errors(args: list[str]) -> None:
    from click.testing import CliRunner

    from oxgen.cli import main

    # Checked before anything is read or fetched (`mock-server`'s settings before its snapshot).
    result = CliRunner().invoke(main, args, env={"OXEN_API_KEY": "k"})
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
