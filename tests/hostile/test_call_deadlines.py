"""Every request a call makes honours its deadline, the uploads of its local files included: a
server that trickles its answer to the upload's ``HEAD`` or its ``PUT`` holds ``submit`` no
longer than ``Oxen(timeout=...)`` or ``submit(..., timeout=...)`` allows."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import oxen_inference as ox
import pytest

from tests.hostile.rawhttp import Conn, Request, serve

KEY = "sk-deadline-test-key"
I2V = "luma-ray-v3-2-image-to-video"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 200
LIMIT = 1.0
SLACK = 4.0  # a loaded machine: the call must end well before the trickle would (~60 s)

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Slow: " + b"a" * 120


def _uploads(slow: str) -> Callable[[Request, Conn], bool | None]:
    """An upload-capable API whose answer to `slow` ("HEAD" or "PUT") trickles."""

    def handler(request: Request, conn: Conn) -> bool | None:
        if request.method == slow:
            conn.trickle(HEAD, 0.5)
            return False
        if request.method == "HEAD":
            conn.reply(404, b"")
        elif request.method == "PUT":
            conn.reply(200, {"file": {"path": "inputs/x.png"}})
        else:
            conn.reply(200, {"generations": [{"generation_id": "g1", "status": "queued"}]})
        return None

    return handler


SLOW = ["HEAD", "PUT"]


def _where(where: str) -> tuple[float | ox.Omit, float | ox.Omit]:
    """The timeout given to the client and to the call: one of them is LIMIT."""
    return (LIMIT, ox.OMIT) if where == "client" else (ox.OMIT, LIMIT)


@pytest.mark.parametrize("where", ["client", "call"])
@pytest.mark.parametrize("slow", SLOW)
def test_an_upload_ends_by_the_calls_deadline(tmp_path: Path, slow: str, where: str) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(PNG)
    on_client, on_call = _where(where)
    with serve(_uploads(slow)) as server:
        client = ox.Oxen(
            api_key=KEY, base_url=server.api, events=False, uploads="ns/repo", timeout=on_client
        )
        started = time.monotonic()
        with client, pytest.raises(ox.APITimeoutError):
            client.submit(I2V, prompt="p", input_image=image, timeout=on_call)
        assert time.monotonic() - started < LIMIT + SLACK


@pytest.mark.parametrize("where", ["client", "call"])
@pytest.mark.parametrize("slow", SLOW)
async def test_an_upload_ends_by_the_calls_deadline_async(
    tmp_path: Path, slow: str, where: str
) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(PNG)
    on_client, on_call = _where(where)
    with serve(_uploads(slow)) as server:
        started = time.monotonic()
        async with ox.AsyncOxen(
            api_key=KEY, base_url=server.api, events=False, uploads="ns/repo", timeout=on_client
        ) as client:
            with pytest.raises(ox.APITimeoutError):
                await client.submit(I2V, prompt="p", input_image=image, timeout=on_call)
        assert time.monotonic() - started < LIMIT + SLACK


def test_the_deadline_covers_the_uploads_and_the_enqueue_together(tmp_path: Path) -> None:
    """Each answer takes 0.45 s: three requests (HEAD, PUT, the enqueue) cannot all fit in one
    second, though each would fit alone."""
    image = tmp_path / "a.png"
    image.write_bytes(PNG)
    inner = _uploads("none")

    def slowly(request: Request, conn: Conn) -> bool | None:
        conn.pause(0.45)
        return inner(request, conn)

    with serve(slowly) as server:
        client = ox.Oxen(api_key=KEY, base_url=server.api, events=False, uploads="ns/repo")
        started = time.monotonic()
        with client, pytest.raises(ox.APITimeoutError):
            client.submit(I2V, prompt="p", input_image=image, timeout=LIMIT)
        assert time.monotonic() - started < LIMIT + SLACK


def test_files_upload_takes_a_timeout(tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(PNG)
    with serve(_uploads("PUT")) as server, ox.Oxen(api_key=KEY, base_url=server.api) as client:
        started = time.monotonic()
        with pytest.raises(ox.APITimeoutError):
            client.files.upload(image, repo="ns/repo", timeout=LIMIT)
        assert time.monotonic() - started < LIMIT + SLACK
