"""``oxen-inference`` against a server that answers badly: every answer ends with exit 1 and one
line on stderr, and nothing the server sends reaches the terminal as a control character (no
escape sequence, no forged line) or puts a file outside ``--save``."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cli import Done, cli, environment

I2V = "luma-ray-v3-2-image-to-video"
GID = "0123456789abcdef"
EVIL = "\x1b[2J\x1b]0;pwned\x07"  # clear the screen, retitle the terminal
Answer = tuple[int, dict[str, str], bytes]
Route = Callable[[str, str], Answer | None]


def as_json(status: int, body: object) -> Answer:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


class Server:
    """A loopback HTTP server whose answers a test chooses: `route(method, path)` -> answer."""

    def __init__(self, route: Route) -> None:
        self.route = route
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                found = outer.route(self.command, self.path)
                status, headers, body = found or as_json(404, {"error": "no such route"})
                self.send_response(status)
                for key, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = answer

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.root = f"http://127.0.0.1:{self.http.server_address[1]}"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def run(self, *args: str, cwd: Path | None = None) -> Done:
        env = environment(None, OXEN_BASE_URL=self.root + "/api", OXEN_API_KEY="k")
        return cli(*args, env=env, cwd=cwd)


@pytest.fixture
def server() -> Iterator[Callable[[Route], Server]]:
    made: list[Server] = []

    def make(route: Route) -> Server:
        made.append(Server(route))
        made[-1].thread.start()
        return made[-1]

    yield make
    for one in made:
        one.http.shutdown()
        one.http.server_close()


def clean(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text, repr(text)


def row(**fields: object) -> dict[str, object]:
    return {"generation_id": GID, "model_name": I2V, "status": "succeeded", **fields}


# (id, argv, route, fragment of the error line)
ERRORS: list[tuple[str, list[str], Route, str]] = [
    (
        "a proxy's HTML page",
        ["models", "list"],
        lambda m, p: (200, {"Content-Type": "text/html"}, b"<html>sign in</html>"),
        "",
    ),
    (
        "error text with escapes and line breaks",
        ["models", "list"],
        lambda m, p: as_json(400, {"error": {"message": f"bad\n{EVIL}request\r\nX-Fake: 1"}}),
        "400: bad \\x1b[2J\\x1b]0;pwned\\x07request X-Fake: 1",
    ),
    (
        "a megabyte of error",
        ["models", "list"],
        lambda m, p: as_json(422, {"error": {"message": "x" * 1_000_000}}),
        "422: xxx",
    ),
    (
        "a refused key",
        ["jobs", "list"],
        lambda m, p: as_json(401, {"error": "key revoked"}),
        "401: key revoked",
    ),
    (
        "a row of the wrong shape",
        ["jobs", "get", GID],
        lambda m, p: as_json(200, ["not", "a", "row"]),
        "",
    ),
    (
        "an enqueue without ids",
        ["run", I2V, "prompt=x", "input_image=https://e.com/t.png", "--no-wait"],
        lambda m, p: as_json(200, {"generations": []}) if m == "POST" else None,
        "",
    ),
    (
        "a failed job's message",
        ["jobs", "wait", GID],
        lambda m, p: (
            as_json(200, row(status="failed", error_message=f"boom{EVIL}\nsecond"))
            if "/ai/queue" in p
            else None
        ),
        f"generation {GID} failed: boom\\x1b[2J",
    ),
]


@pytest.mark.parametrize(
    ("argv", "route", "fragment"), [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS]
)
def test_bad_answers_end_with_one_clean_line(
    server: Callable[[Route], Server], argv: list[str], route: Route, fragment: str
) -> None:
    done = server(route).run(*argv)
    assert done.code == 1, (done.out, done.err)
    line = done.one_error_line()
    clean(done.err)
    assert fragment in line
    assert len(line) <= 2000
    assert done.out == ""


def test_values_from_the_server_print_as_one_clean_line_each(
    server: Callable[[Route], Server],
) -> None:
    hostile = row(result_url=f"https://e.com/a.mp4\nstatus: failed{EVIL}", model_name=f"m{EVIL}")
    running = server(lambda m, p: as_json(200, hostile) if p.startswith("/api/ai/queue/") else None)
    done = running.run("jobs", "get", GID)
    assert done.code == 0, done.err
    clean(done.out)
    lines = done.out.splitlines()
    assert lines[:2] == [f"generation_id: {GID}", "status: succeeded"]  # no forged status line
    assert (
        lines[3] == "result_url: https://e.com/a.mp4\\x0astatus: failed\\x1b[2J\\x1b]0;pwned\\x07"
    )
    as_json_out = running.run("jobs", "get", GID, "--json")
    assert json.loads(as_json_out.out)["result_url"] == hostile["result_url"]  # JSON escapes it
    clean(as_json_out.out)

    models = {"object": "list", "data": [{"id": "a", "display_name": f"A{EVIL}\nb  fake"}]}
    listing = server(lambda m, p: as_json(200, models) if p.startswith("/api/ai/models") else None)
    shown = listing.run("models", "list")
    assert shown.code == 0, shown.err
    clean(shown.out)
    assert len(shown.out.splitlines()) == 1


def test_a_result_named_to_escape_the_save_folder_stays_inside(
    server: Callable[[Route], Server], tmp_path: Path
) -> None:
    def route(method: str, path: str) -> Answer | None:
        if path.startswith("/api/ai/queue/"):
            return as_json(200, row(result_url=f"{running.root}/files/..%2F..%2Fevil.mp4"))
        if path.startswith("/files/"):
            return 200, {"Content-Type": "video/mp4"}, b"\x00\x00\x00\x18ftypmp42"
        return None

    running = server(route)
    save = tmp_path / "out"
    done = running.run("jobs", "download", GID, "--save", str(save), "--json")
    assert done.code == 0, done.err
    [saved] = json.loads(done.out)["files"]
    assert Path(saved).parent == save and Path(saved).read_bytes()[4:8] == b"ftyp"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
