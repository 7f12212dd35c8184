"""The client against small misbehaving servers on 127.0.0.1: deadlines that hold however slowly a
server trickles bytes, an enqueue that a failing event stream cannot hold up, waits that ride out
429 bursts, redirects that never carry the key to another origin, keys refused before anything is
sent, and download names that cannot escape their directory."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import oxen_inference as ox
import pytest
from oxen_inference._downloads import safe_file_name

I2V = "luma-ray-v3-2-image-to-video"
IMG = "https://example.com/tiger.png"
KEY = "oxen_secret_key_1234567890"


@dataclass
class Seen:
    """What a test server received: (method, path, headers) per request."""

    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def paths(self, method: str | None = None) -> list[str]:
        return [p for m, p, _ in self.requests if method is None or m == method]


Handler = Callable[[str, str, dict[str, str], socket.socket], None]


def _reply(
    conn: socket.socket,
    status: int,
    body: bytes | dict[str, object] = b"",
    headers: dict[str, str] | None = None,
) -> None:
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    head = {"Content-Length": str(len(data)), "Connection": "close"}
    if isinstance(body, dict):
        head["Content-Type"] = "application/json"
    head.update(headers or {})
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in head.items()]
    conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + data)


@contextmanager
def serve(handler: Handler) -> Iterator[tuple[str, Seen]]:
    """A tiny HTTP/1.1 server on 127.0.0.1 (a thread per connection); yields its root URL."""
    seen = Seen()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    stop = threading.Event()

    def one(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            buf = b""
            try:
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                head, _, rest = buf.partition(b"\r\n\r\n")
                first, *lines = head.decode("latin-1").split("\r\n")
                method, path, _ = first.split(" ", 2)
                headers = {}
                for line in lines:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
                while len(rest) < length:
                    rest += conn.recv(65536)
                seen.requests.append((method, path, headers))
                handler(method, path, headers, conn)
            except OSError:
                return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=one, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", seen
    finally:
        stop.set()
        listener.close()


def trickle(method: str, path: str, headers: dict[str, str], conn: socket.socket) -> None:
    """Headers at once, then a JSON body one byte per 0.5 s (each read finishes in time)."""
    body = b'{"model": "m", "videos": []}' + b" " * 200
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
    )
    for byte in body:
        conn.sendall(bytes([byte]))
        time.sleep(0.5)


def trickled_headers(method: str, path: str, headers: dict[str, str], conn: socket.socket) -> None:
    """The status line and headers, one byte per 0.5 s."""
    for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + b"X-Pad: " + b"p" * 200:
        conn.sendall(bytes([byte]))
        time.sleep(0.5)


# --- deadlines -----------------------------------------------------------------------------------


@pytest.mark.parametrize("handler", [trickle, trickled_headers], ids=["body", "headers"])
def test_a_trickled_answer_ends_by_the_deadline_sync(handler: Handler) -> None:
    with serve(handler) as (root, _):
        client = ox.Oxen(api_key=KEY, base_url=root + "/api", max_retries=0, events=False)
        started = time.monotonic()
        with pytest.raises(ox.APITimeoutError):
            client.generate(I2V, prompt="p", input_image=IMG, timeout=2)
        took = time.monotonic() - started
        client.close()
    assert 1.9 < took < 3.5, took


@pytest.mark.parametrize("handler", [trickle, trickled_headers], ids=["body", "headers"])
async def test_a_trickled_answer_ends_by_the_deadline_async(handler: Handler) -> None:
    with serve(handler) as (root, _):
        async with ox.AsyncOxen(
            api_key=KEY, base_url=root + "/api", max_retries=0, events=False
        ) as client:
            started = time.monotonic()
            with pytest.raises(ox.APITimeoutError):
                await client.generate(I2V, prompt="p", input_image=IMG, timeout=2)
            took = time.monotonic() - started
    assert 1.9 < took < 3.5, took


@pytest.mark.parametrize("is_async", [False, True])
async def test_a_trickled_chat_answer_ends_by_the_deadline(is_async: bool) -> None:
    """Without streaming, `timeout` bounds the whole chat call too."""
    messages = [{"role": "user", "content": "hi"}]
    with serve(trickle) as (root, _):
        started = time.monotonic()
        with pytest.raises(ox.APITimeoutError):
            if is_async:
                async with ox.AsyncOxen(api_key=KEY, base_url=root + "/api", events=False) as ac:
                    await ac.chat("gpt-4o", messages=messages, timeout=1.5)
            else:
                with ox.Oxen(api_key=KEY, base_url=root + "/api", events=False) as c:
                    c.chat("gpt-4o", messages=messages, timeout=1.5)
        assert time.monotonic() - started < 3.0


def test_the_deadline_covers_retries() -> None:
    """429 with Retry-After 1 forever: a 1.5 s call stops retrying when the next wait would overrun."""

    def limited(method: str, path: str, headers: dict[str, str], conn: socket.socket) -> None:
        _reply(conn, 429, {"error": "slow down"}, {"Retry-After": "1"})

    with serve(limited) as (root, seen):
        client = ox.Oxen(api_key=KEY, base_url=root + "/api", max_retries=10, events=False)
        started = time.monotonic()
        with pytest.raises(ox.RateLimitError):
            client.models.list(timeout=1.5)
        assert time.monotonic() - started < 1.5
        assert len(seen.requests) == 2  # the first try and one retry after 1 s


async def test_a_trickled_download_ends_by_its_deadline(tmp_path: Path) -> None:
    with serve(trickle) as (root, _):
        async with ox.AsyncOxen(api_key=KEY, base_url=root + "/api", events=False) as client:
            started = time.monotonic()
            with pytest.raises(ox.APITimeoutError):
                await client.download_url(root + "/files/a.mp4", tmp_path, timeout=1.5)
            assert time.monotonic() - started < 2.5
        sync = ox.Oxen(api_key=KEY, base_url=root + "/api", events=False)
        started = time.monotonic()
        with pytest.raises(ox.APITimeoutError):
            sync.download_url(root + "/files/a.mp4", tmp_path, timeout=1.5)
        assert time.monotonic() - started < 2.5
        sync.close()
    assert list(tmp_path.iterdir()) == []  # no partial file left behind


def test_a_download_idle_timeout_applies_to_each_chunk(tmp_path: Path) -> None:
    def stalls(method: str, path: str, headers: dict[str, str], conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        time.sleep(3)

    with serve(stalls) as (root, _):
        client = ox.Oxen(api_key=KEY, base_url=root + "/api", events=False)
        started = time.monotonic()
        with pytest.raises(ox.APITimeoutError):
            client.download_url(root + "/files/a.bin", tmp_path / "a.bin", idle_timeout=0.5)
        assert time.monotonic() - started < 2.0
        client.close()


# --- the event stream never holds up an enqueue ----------------------------------------------------


def _queue_server(events_status: int) -> Handler:
    count = {"n": 0}

    def handler(method: str, path: str, headers: dict[str, str], conn: socket.socket) -> None:
        if path.startswith("/api/events"):
            _reply(conn, events_status, {"error": {"type": "unknown_error", "title": "down"}})
        elif method == "POST" and path == "/api/ai/queue":
            count["n"] += 1
            _reply(
                conn,
                200,
                {"generations": [{"generation_id": f"g{count['n']}", "status": "queued"}]},
            )
        elif method == "GET" and path.startswith("/api/ai/queue/"):  # one job: it succeeded
            gid = path.rsplit("/", 1)[-1]
            _reply(
                conn,
                200,
                {"generation_id": gid, "status": "succeeded", "result_url": "u" + gid[1:]},
            )
        elif method == "GET" and path.startswith("/api/ai/queue"):
            rows = [
                {"generation_id": f"g{i}", "status": "succeeded", "result_url": f"u{i}"}
                for i in range(1, count["n"] + 1)
            ]
            if path == "/api/ai/queue":  # the active list: nothing active
                rows = []
            _reply(conn, 200, {"count": len(rows), "generations": rows})
        else:
            _reply(conn, 404, {"error": "no"})

    return handler


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_failing_event_stream_does_not_delay_the_first_submit(status: int) -> None:
    with (
        serve(_queue_server(status)) as (root, seen),
        ox.Oxen(api_key=KEY, base_url=root + "/api") as client,
    ):
        started = time.monotonic()
        job = client.submit(I2V, prompt="p", input_image=IMG)
        assert time.monotonic() - started < 2.0  # it took ~10 s when the stream was retried first
        assert job.last is not None and job.last.status == "queued"  # what the enqueue said
        assert "status='queued'" in repr(job)
        assert job.wait(timeout=20).result_url == "u1"  # served by reconciliation
        assert seen.paths().count("/api/events") >= 1


async def test_a_failing_event_stream_does_not_delay_the_first_submit_async() -> None:
    with serve(_queue_server(500)) as (root, _):
        async with ox.AsyncOxen(api_key=KEY, base_url=root + "/api") as client:
            started = time.monotonic()
            jobs = [await client.submit(I2V, prompt="p", input_image=IMG) for _ in range(3)]
            assert time.monotonic() - started < 2.0
            results = await asyncio.gather(*[j.wait(timeout=20) for j in jobs])
    assert [r.result_url for r in results] == ["u1", "u2", "u3"]


# --- wait() rides out transient errors -------------------------------------------------------------


def _flaky_lists(failures: int, status: int) -> tuple[Handler, dict[str, int]]:
    """Answers list requests with `status` `failures` times, then with the job's row."""
    state = {"failed": 0}

    def handler(method: str, path: str, headers: dict[str, str], conn: socket.socket) -> None:
        if path.startswith("/api/events"):
            _reply(conn, 404, {"error": "no events here"})
        elif method == "POST":
            _reply(conn, 200, {"generations": [{"generation_id": "g1", "status": "queued"}]})
        elif state["failed"] < failures:
            state["failed"] += 1
            _reply(conn, status, {"error": "busy"}, {"Retry-After": "0"})
        elif path.startswith("/api/ai/queue"):
            row: dict[str, object] = {
                "generation_id": "g1",
                "status": "succeeded",
                "result_url": "done",
                "prompt": "p",
            }
            _reply(
                conn,
                200,
                {"count": 1, "generations": [row]}
                if "?" in path or path == "/api/ai/queue"
                else row,
            )
        else:
            _reply(conn, 404, {"error": "no"})

    return handler, state


@pytest.mark.parametrize("status", [429, 500, 503])
def test_wait_rides_out_a_burst_of_errors(status: int) -> None:
    handler, state = _flaky_lists(9, status)
    with (
        serve(handler) as (root, _),
        ox.Oxen(api_key=KEY, base_url=root + "/api", max_retries=2) as client,
    ):
        job = client.submit(I2V, prompt="p", input_image=IMG)
        result = job.wait(timeout=30)
    assert state["failed"] == 9 and result.succeeded and result.result_url == "done"


async def test_wait_rides_out_a_burst_of_errors_async() -> None:
    handler, state = _flaky_lists(9, 429)
    with serve(handler) as (root, _):
        async with ox.AsyncOxen(api_key=KEY, base_url=root + "/api", max_retries=2) as client:
            job = await client.submit(I2V, prompt="p", input_image=IMG)
            result = await job.wait(timeout=30)
    assert state["failed"] == 9 and result.succeeded


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, ox.AuthenticationError), (403, ox.PermissionDeniedError)],
)
def test_wait_raises_for_a_refused_key(status: int, error: type[Exception]) -> None:
    handler, _ = _flaky_lists(1000, status)
    with serve(handler) as (root, _), ox.Oxen(api_key=KEY, base_url=root + "/api") as client:
        job = client.submit(I2V, prompt="p", input_image=IMG)
        with pytest.raises(error):
            job.wait(timeout=10)


def test_wait_raises_for_an_unknown_id() -> None:
    def handler(method: str, path: str, headers: dict[str, str], conn: socket.socket) -> None:
        if path == "/api/ai/queue/gone":
            _reply(conn, 404, {"error": {"type": "resource_not_found", "detail": "no such id"}})
        elif path.startswith("/api/ai/queue"):
            _reply(conn, 200, {"count": 0, "generations": []})
        else:
            _reply(conn, 404, {"error": "no"})

    with (
        serve(handler) as (root, _),
        ox.Oxen(api_key=KEY, base_url=root + "/api") as client,
        pytest.raises(ox.NotFoundError),
    ):
        client.job("gone").wait(timeout=10)


def test_wait_times_out_with_the_id_while_the_server_keeps_failing() -> None:
    handler, _ = _flaky_lists(10_000, 503)
    with (
        serve(handler) as (root, _),
        ox.Oxen(api_key=KEY, base_url=root + "/api", max_retries=0) as client,
    ):
        job = client.submit(I2V, prompt="p", input_image=IMG)
        started = time.monotonic()
        with pytest.raises(ox.WaitTimeoutError) as info:
            job.wait(timeout=1.0)
        assert 0.9 < time.monotonic() - started < 2.0
    assert info.value.generation_id == "g1" and info.value.last_status == "queued"


# --- redirects and the key -------------------------------------------------------------------------


@pytest.mark.parametrize("is_async", [False, True])
async def test_a_redirect_to_another_origin_never_carries_the_key(
    tmp_path: Path, is_async: bool
) -> None:
    def storage(method: str, path: str, headers: dict[str, str], conn: socket.socket) -> None:
        _reply(conn, 200, b"\x00\x00\x00\x18ftypmp42", {"Content-Type": "video/mp4"})

    with serve(storage) as (other, other_seen):

        def api(method: str, path: str, headers: dict[str, str], conn: socket.socket) -> None:
            if path == "/files/a.mp4":  # same origin, then away
                _reply(conn, 302, b"", {"Location": "/files/b.mp4"})
            elif path == "/files/b.mp4":
                _reply(conn, 307, b"", {"Location": other + "/bucket/b.mp4?sig=1"})
            else:
                _reply(conn, 404, {"error": "no"})

        with serve(api) as (root, seen):
            if is_async:
                async with ox.AsyncOxen(api_key=KEY, base_url=root + "/api", events=False) as ac:
                    path = await ac.download_url(root + "/files/a.mp4", tmp_path)
            else:
                with ox.Oxen(api_key=KEY, base_url=root + "/api", events=False) as c:
                    path = c.download_url(root + "/files/a.mp4", tmp_path)
    assert path == tmp_path / "a.mp4" and path.read_bytes()[4:8] == b"ftyp"
    assert [h.get("authorization") for _, _, h in seen.requests] == [f"Bearer {KEY}"] * 2
    assert other_seen.paths() == ["/bucket/b.mp4?sig=1"]
    assert all(KEY not in json.dumps(h) for _, _, h in other_seen.requests)


@pytest.mark.parametrize("is_async", [False, True])
@pytest.mark.parametrize("own_pool", [True, False], ids=["own pool", "given http_client"])
async def test_every_request_carries_the_client_headers_and_the_key_only_at_home(
    tmp_path: Path, is_async: bool, own_pool: bool
) -> None:
    """A pool the client made holds the fixed headers itself; a given ``http_client`` keeps its
    own headers and gets ours on each request. Either way the API sees the same headers, and
    another origin (a redirect from a download) the same minus the key."""
    import httpx

    def storage(method: str, path: str, headers: dict[str, str], conn: socket.socket) -> None:
        _reply(conn, 200, b"data", {"Content-Type": "application/octet-stream"})

    with serve(storage) as (other, other_seen):

        def api(method: str, path: str, headers: dict[str, str], conn: socket.socket) -> None:
            if path == "/files/a.bin":
                _reply(conn, 302, b"", {"Location": other + "/bucket/a.bin"})
            else:
                _reply(conn, 200, {"object": "list", "data": []})

        with serve(api) as (root, seen):
            base = root + "/api"
            extra = {"X-Team": "blue"}
            if is_async:
                given = httpx.AsyncClient(headers=extra) if not own_pool else None
                async with ox.AsyncOxen(
                    api_key=KEY, base_url=base, events=False, http_client=given
                ) as ac:
                    await ac.models.list()
                    await ac.download_url(root + "/files/a.bin", tmp_path)
                if given is not None:
                    await given.aclose()
            else:
                sync_given = httpx.Client(headers=extra) if not own_pool else None
                with ox.Oxen(api_key=KEY, base_url=base, events=False, http_client=sync_given) as c:
                    c.models.list()
                    c.download_url(root + "/files/a.bin", tmp_path)
                if sync_given is not None:
                    sync_given.close()
    (_, _, listed), (_, _, download) = seen.requests
    agent = f"oxen-inference/{ox.__version__}"
    assert listed["accept"] == "application/json" and listed["user-agent"].startswith(agent)
    assert listed["authorization"] == download["authorization"] == f"Bearer {KEY}"
    assert download["accept"] == "*/*"
    assert ("x-team" in listed) is (not own_pool)
    [(_, _, away)] = other_seen.requests
    assert "authorization" not in away and away["user-agent"].startswith(agent)
    assert KEY not in json.dumps(away)


def test_redirect_loops_end_with_a_clear_error(tmp_path: Path) -> None:
    def loop(method: str, path: str, headers: dict[str, str], conn: socket.socket) -> None:
        _reply(conn, 302, b"", {"Location": path})

    with (
        serve(loop) as (root, seen),
        ox.Oxen(api_key=KEY, base_url=root + "/api", events=False) as c,
        pytest.raises(ox.APIConnectionError, match="too many redirects"),
    ):
        c.download_url(root + "/files/a.mp4", tmp_path)
    assert len(seen.requests) == 11 and list(tmp_path.iterdir()) == []


# --- the key ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "error"),
    [
        ("", ox.MissingAPIKeyError),
        ("   ", ox.InvalidAPIKeyError),
        ("\n", ox.MissingAPIKeyError),
        (KEY + "\r\nX-Injected: yes", ox.InvalidAPIKeyError),
        (KEY + "\nmore", ox.InvalidAPIKeyError),
        (KEY + "\n\n", ox.InvalidAPIKeyError),
        (" " + KEY, ox.InvalidAPIKeyError),
        (KEY + " ", ox.InvalidAPIKeyError),
        (KEY[:5] + " " + KEY[5:], ox.InvalidAPIKeyError),
        (KEY + "\x00", ox.InvalidAPIKeyError),
        (KEY + "\t", ox.InvalidAPIKeyError),
        (KEY + "é", ox.InvalidAPIKeyError),
    ],
)
def test_a_key_that_cannot_be_sent_is_refused_at_construction(
    key: str, error: type[Exception]
) -> None:
    with serve(lambda *a: _reply(a[3], 200, {})) as (root, seen):
        for cls in (ox.Oxen, ox.AsyncOxen):
            with pytest.raises(error) as info:
                cls(api_key=key, base_url=root + "/api", max_retries=5)
            assert isinstance(info.value, ox.OxenError)
            assert KEY not in str(info.value) and KEY not in repr(info.value)
    assert seen.requests == []  # nothing sent, nothing retried


def test_a_key_from_the_environment_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OXEN_API_KEY", KEY + "\r\nX: y")
    with pytest.raises(ox.InvalidAPIKeyError, match="OXEN_API_KEY") as info:
        ox.Oxen()
    assert KEY not in str(info.value)
    monkeypatch.setenv("OXEN_API_KEY", "")
    assert not ox.Oxen().has_api_key  # empty variable: no key, as if unset


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_one_trailing_line_break_is_dropped(ending: str) -> None:
    with (
        serve(lambda *a: _reply(a[3], 200, {"object": "list", "data": []})) as (root, seen),
        ox.Oxen(api_key=KEY + ending, base_url=root + "/api", events=False) as c,
    ):
        c.models.list()
    assert seen.requests[0][2]["authorization"] == f"Bearer {KEY}"


async def test_the_key_is_not_visible_in_the_client_attributes() -> None:
    with serve(lambda *a: _reply(a[3], 200, {"object": "list", "data": []})) as (root, _):
        sync = ox.Oxen(api_key=KEY, base_url=root + "/api", events=False)
        sync.models.list()  # a request made: cached headers exist now
        async with ox.AsyncOxen(api_key=KEY, base_url=root + "/api", events=False) as ac:
            await ac.models.list()
            for client in (sync, ac):
                shown = repr(vars(client)) + repr(client) + str(client.__dict__)
                assert KEY not in shown
                assert all(KEY not in repr(v) for v in vars(client).values())
        sync.close()


# --- lookup errors ------------------------------------------------------------------------------------


def test_lookup_errors_are_oxen_errors() -> None:
    with pytest.raises(ox.OxenError):
        ox.request_model("no-such-model")
    with pytest.raises(LookupError):
        ox.request_model("no-such-model")
    assert issubclass(ox.NoRequestSchemaError, ox.OxenError)
    assert issubclass(ox.NoRequestSchemaError, LookupError)


# --- download names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://h/files/video.mp4", "video.mp4"),
        ("https://h/files/..", "result"),
        ("https://h/files/%2e%2e", "result"),
        ("https://h/files/%2E%2E", "result"),
        ("https://h/files/", "result"),
        ("https://h/", "result"),
        ("https://h/files/.hidden", "hidden"),
        ("https://h/files/..%2f..%2fetc%2fpasswd", "passwd"),
        ("https://h/files/a%5C..%5C..%5Cb.png", "a_.._.._b.png"),
        ("https://h/files/a%00b.png", "a_b.png"),
        ("https://h/files/C:x.png", "C_x.png"),
        ("https://h/files/x.mp4?sig=..%2F..", "x.mp4"),
    ],
)
def test_safe_file_names(url: str, name: str) -> None:
    assert safe_file_name(url) == name


def test_a_long_file_name_keeps_its_extension() -> None:
    name = safe_file_name("https://h/files/" + "v" * 400 + ".mp4")
    assert name.endswith(".mp4") and len(name.encode()) <= 200
    name = safe_file_name("https://h/files/" + "é" * 300)
    assert len(name.encode()) <= 200 and name


@pytest.mark.parametrize("last", ["%2e%2e", "..", "", "%2f", "." * 3])
def test_a_download_never_writes_outside_its_directory(tmp_path: Path, last: str) -> None:
    def files(method: str, path: str, headers: dict[str, str], conn: socket.socket) -> None:
        _reply(conn, 200, b"data")

    target = tmp_path / "out"
    with (
        serve(files) as (root, _),
        ox.Oxen(api_key=KEY, base_url=root + "/api", events=False) as c,
    ):
        path = c.download_url(f"{root}/files/{last}", str(target) + "/")
    assert path.parent == target and path.read_bytes() == b"data"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# --- the concurrency limit ------------------------------------------------------------------------


def _counting() -> tuple[Handler, dict[str, int]]:
    """A server that answers after 50 ms and records how many requests it held at once."""
    state = {"now": 0, "peak": 0, "total": 0}
    lock = threading.Lock()

    def handler(method: str, path: str, headers: dict[str, str], conn: socket.socket) -> None:
        with lock:
            state["now"] += 1
            state["total"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.05)
        with lock:
            state["now"] -= 1
        _reply(conn, 200, {"object": "list", "data": []})

    return handler, state


async def test_the_async_client_keeps_at_most_max_concurrency_requests_in_flight() -> None:
    handler, state = _counting()
    with serve(handler) as (root, _):
        async with ox.AsyncOxen(
            api_key=KEY, base_url=root + "/api", events=False, max_concurrency=4
        ) as client:
            await asyncio.gather(*[client.models.list() for _ in range(40)])
    assert state["total"] == 40 and state["peak"] == 4


def test_the_sync_client_keeps_at_most_max_concurrency_requests_in_flight() -> None:
    handler, state = _counting()
    with serve(handler) as (root, _):
        client = ox.Oxen(api_key=KEY, base_url=root + "/api", events=False, max_concurrency=3)
        threads = [threading.Thread(target=client.models.list) for _ in range(24)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        client.close()
    assert state["total"] == 24 and state["peak"] == 3


async def test_waiting_for_a_slot_counts_against_the_deadline() -> None:
    # As the sync test below: the only slot is held until the test lets it go; a queued call runs
    # out of its own time without reaching the server (had the wait for a slot not counted, it
    # would have waited for the slot and then had its whole timeout).
    arrived, release = threading.Event(), threading.Event()
    served: list[str] = []

    def handler(method: str, path: str, headers: dict[str, str], conn: socket.socket) -> None:
        served.append(path)
        arrived.set()
        release.wait(30)
        _reply(conn, 200, {"object": "list", "data": []})

    with serve(handler) as (root, _):
        async with ox.AsyncOxen(
            api_key=KEY, base_url=root + "/api", events=False, max_concurrency=1
        ) as client:
            holder = asyncio.ensure_future(client.models.list(timeout=60))
            try:
                assert await asyncio.to_thread(arrived.wait, 30)  # the slot is taken
                with pytest.raises(ox.APITimeoutError, match="timed out waiting for a free slot"):
                    await client.models.list(timeout=0.3)
                assert served == ["/api/ai/models"]  # the queued call never reached the server
            finally:
                release.set()
            await holder  # the call holding the slot was not disturbed


def test_the_sync_client_counts_the_wait_for_a_slot_against_the_deadline() -> None:
    """One call holds the only slot (the server keeps it until told); calls with a deadline
    give up in the queue by their deadline, without a request of their own."""
    arrived, release = threading.Event(), threading.Event()

    def handler(method: str, path: str, headers: dict[str, str], conn: socket.socket) -> None:
        arrived.set()
        release.wait(20)
        _reply(conn, 200, {"object": "list", "data": []})

    results: list[BaseException | None] = []
    with serve(handler) as (root, seen):
        client = ox.Oxen(api_key=KEY, base_url=root + "/api", events=False, max_concurrency=1)
        holder = threading.Thread(target=client.models.list)
        holder.start()
        assert arrived.wait(20)  # the slot is taken
        threading.Timer(15, release.set).start()  # had the deadline not counted: they get in late

        def call() -> None:
            try:
                client.models.list(timeout=0.3)
                results.append(None)
            except ox.APITimeoutError as exc:
                results.append(exc)

        started = time.monotonic()
        threads = [threading.Thread(target=call) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        waited = time.monotonic() - started
        release.set()
        holder.join(20)
        client.close()
    assert [str(r) for r in results] == ["request timed out waiting for a free slot"] * 8
    assert waited < 15 and len(seen.requests) == 1  # no call of theirs reached the server


def test_slots_count_and_time_out() -> None:
    from oxen_inference._synchronization import _Tokens

    slots = _Tokens(2)
    assert slots.acquire() and slots.acquire(timeout=0)
    started = time.monotonic()
    assert not slots.acquire(timeout=0.2)
    assert 0.15 < time.monotonic() - started < 2.0
    slots.release()
    assert slots.acquire(timeout=0) and not slots.acquire(timeout=0)
    threading.Timer(0.1, slots.release).start()
    assert slots.acquire(timeout=5)  # a waiter is woken by a release


def test_the_limiter_is_made_once_and_any_limit_is_cheap() -> None:
    client = ox.Oxen(api_key=KEY, base_url="http://127.0.0.1:9/api", events=False)
    barrier = threading.Barrier(16)
    made: list[object] = []

    def first_request() -> None:
        barrier.wait()
        made.append(client._slots.tokens())

    threads = [threading.Thread(target=first_request) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 16 and all(m is made[0] for m in made)  # one limiter, however they race
    started = time.monotonic()
    huge = ox.Oxen(api_key=KEY, max_concurrency=10**9)
    limiter = huge._slots.tokens()  # no token per slot past QUEUED_SLOTS
    assert time.monotonic() - started < 1.0
    assert limiter.acquire(timeout=0) and limiter is huge._slots.tokens()
    limiter.release()


# --- the event hub's threads ----------------------------------------------------------------------


def test_a_hub_thread_that_ended_is_started_again_by_the_next_submit() -> None:
    """submit() checks the hub's threads without the lock once both run; a thread that ends
    takes that shortcut away, so the next start() looks again and replaces it."""
    client = ox.Oxen(api_key=KEY, base_url="http://127.0.0.1:9/api", events=False)
    hub = client._hub
    workers = hub._workers
    runs: list[str] = []
    release = threading.Event()

    def ends_at_once() -> None:  # as a thread that died would
        runs.append("ended")
        with hub._lock:
            hub.attempted = True
        workers.up.set()

    def keeps_running() -> None:
        runs.append("running")
        with hub._lock:
            hub.polling = True
        workers.up.set()
        release.wait(10)

    hub._run = ends_at_once  # type: ignore[method-assign]
    hub.start(timeout=2)
    first = workers._threads["oxen-events"]
    first.join(2)
    assert not workers.ready()  # the ended thread took the shortcut away
    hub._run = keeps_running  # type: ignore[method-assign]
    hub.start(timeout=2)
    assert workers._threads["oxen-events"] is not first
    for _ in range(200):  # the new thread marks itself running; a later start() sees it
        if hub.start() is None and workers.ready():
            break
        time.sleep(0.01)
    assert runs == ["ended", "running"]
    assert workers.ready()
    second = workers._threads["oxen-events"]
    hub.start()
    assert workers._threads["oxen-events"] is second and runs == [
        "ended",
        "running",
    ]  # no new thread
    client.close()
    assert not workers.ready() and hub.start() is None
    release.set()


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "8", None])
def test_max_concurrency_is_checked(bad: object) -> None:
    with pytest.raises(ValueError, match="max_concurrency"):
        ox.Oxen(api_key=KEY, max_concurrency=bad)  # type: ignore[arg-type]


def test_a_waiter_gives_its_outcome_and_tells_who_asked() -> None:
    from oxen_inference._synchronization import Waiter

    told: list[int] = []
    waiter: Waiter[str] = Waiter(lambda: told.append(1))
    assert waiter.wait(0) is None and told == []  # nothing yet: the wait times out
    waiter.deliver("row", None)
    assert told == [1] and waiter.wait(0) == "row"
    failed: Waiter[str] = Waiter()
    failed.deliver(None, KeyError("gone"))
    with pytest.raises(KeyError):
        failed.wait(5)


async def test_an_async_waiter_gives_its_outcome_and_tells_who_asked() -> None:
    from oxen_inference._synchronization import AsyncWaiter

    told: list[int] = []
    waiter: AsyncWaiter[str] = AsyncWaiter(lambda: told.append(1))
    assert await waiter.wait(0.01) is None and told == []
    waiter.deliver("row", None)
    waiter.deliver("again", None)  # only the first outcome counts
    assert told == [1] and await waiter.wait(0) == "row"
