"""One cap on the local data a request sends inline: ``max_data_uri_bytes`` bounds the sum over
every local file of the request (each reference counted: the body carries each copy), checked
before more than the cap is read; a stream that cannot seek (a pipe) is read at most cap + 1
bytes, so an endless one still ends in a ``ValidationError``."""

from __future__ import annotations

import asyncio
import io
import json
import os
import threading
from pathlib import Path
from typing import Any

import oxen_inference as ox
import pytest

from tests.hostile.rawhttp import Conn, RawServer, Request, serve

KEY = "sk-inline-test-key"
I2V = "luma-ray-v3-2-image-to-video"
PNG_HEAD = b"\x89PNG\r\n\x1a\n"
MiB = 1 << 20


class Endless(io.RawIOBase):
    """A stream that cannot seek (a pipe, a socket): a PNG signature, then `size` zero bytes
    (None: without end). Counts what the client read."""

    def __init__(self, size: int | None) -> None:
        self.left = size
        self.given = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        if self.given == 0:
            n = min(len(view), len(PNG_HEAD))
            view[:n] = PNG_HEAD[:n]
            self.given += n
            return n
        n = len(view) if self.left is None else min(len(view), self.left)
        view[:n] = bytes(n)
        if self.left is not None:
            self.left -= n
        self.given += n
        return n


class Counted(io.BytesIO):
    """A seekable in-memory PNG of `size` bytes that counts the bytes read from it."""

    def __init__(self, size: int) -> None:
        super().__init__(PNG_HEAD + bytes(size - len(PNG_HEAD)))
        self.given = 0

    def read(self, n: int | None = -1) -> bytes:
        data = super().read(n)
        self.given += len(data)
        return data


def _enqueue(request: Request, conn: Conn) -> None:
    conn.reply(200, {"generations": [{"generation_id": "g1", "status": "queued"}]})


def _sent_images(server: RawServer) -> list[str]:
    body = json.loads(server.requests[-1].body)
    return [body["input_image"], *body.get("reference_image_urls", [])]


async def _submit(is_async: bool, base: str, cap: int | None, **params: Any) -> None:
    settings: dict[str, Any] = {} if cap is None else {"max_data_uri_bytes": cap}
    if is_async:
        async with ox.AsyncOxen(api_key=KEY, base_url=base, events=False, **settings) as a:
            await a.submit(I2V, prompt="p", **params)
    else:
        with ox.Oxen(api_key=KEY, base_url=base, events=False, **settings) as c:
            c.submit(I2V, prompt="p", **params)


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
async def test_the_cap_is_on_the_whole_request_not_each_file(
    tmp_path: Path, is_async: bool
) -> None:
    big = tmp_path / "big.png"
    big.write_bytes(PNG_HEAD + bytes(4 * MiB))
    with serve(_enqueue) as server:  # 3 references to one 4 MiB file: 12 MiB inline > 10 MiB
        with pytest.raises(ox.ValidationError, match="max_data_uri_bytes") as info:
            await _submit(
                is_async, server.api, None, input_image=big, reference_image_urls=[big, big]
            )
        assert server.requests == []
        assert f"{3 * (4 * MiB + 8):,} bytes" in str(info.value)  # the request's total, named


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
async def test_the_cap_is_checked_before_any_file_is_read(is_async: bool) -> None:
    streams = [Counted(6 * MiB), Counted(6 * MiB)]
    with serve(_enqueue) as server, pytest.raises(ox.ValidationError, match="max_data_uri_bytes"):
        await _submit(
            is_async,
            server.api,
            None,
            input_image=streams[0],
            reference_image_urls=[streams[1]],
        )
    assert [s.given <= 64 for s in streams] == [True, True]  # only the head, to tell the format


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
async def test_files_within_the_cap_are_all_sent(tmp_path: Path, is_async: bool) -> None:
    one = tmp_path / "one.png"
    one.write_bytes(PNG_HEAD + bytes(40_000))
    with serve(_enqueue) as server:
        await _submit(
            is_async, server.api, 150_000, input_image=one, reference_image_urls=[one, one]
        )
        images = _sent_images(server)
        assert len(images) == 3 and all(i.startswith("data:image/png;base64,") for i in images)
        with pytest.raises(ox.ValidationError, match="max_data_uri_bytes"):
            await _submit(
                is_async,
                server.api,
                100_000,
                input_image=one,
                reference_image_urls=[one, one],
            )


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
async def test_a_stream_is_read_at_most_cap_plus_one_bytes(is_async: bool) -> None:
    cap = 1 * MiB
    pipe = Endless(None)
    with serve(_enqueue) as server:
        with pytest.raises(ox.ValidationError, match="max_data_uri_bytes"):
            await _submit(is_async, server.api, cap, input_image=pipe)
        assert server.requests == []
    assert pipe.given <= cap + 1


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
async def test_a_stream_within_the_cap_is_sent_whole(is_async: bool) -> None:
    import base64

    pipe = Endless(50_000)
    with serve(_enqueue) as server:
        await _submit(is_async, server.api, 100_000, input_image=pipe)
        (image,) = _sent_images(server)
    assert base64.b64decode(image.partition(",")[2]) == PNG_HEAD + bytes(50_000)


def test_an_endless_pipe_ends_in_a_validation_error() -> None:
    """A real pipe whose writer never stops: the submit returns (it read the whole pipe before)."""
    read_fd, write_fd = os.pipe()
    writer_done = threading.Event()

    def write() -> None:
        try:
            os.write(write_fd, PNG_HEAD)
            block = bytes(1 << 16)
            while True:
                os.write(write_fd, block)
        except OSError:
            pass
        finally:
            os.close(write_fd)
            writer_done.set()

    outcome: list[BaseException] = []

    def submit() -> None:
        with open(read_fd, "rb") as pipe:
            try:
                asyncio.run(_submit(False, "http://127.0.0.1:9/api", 2 * MiB, input_image=pipe))
            except BaseException as exc:
                outcome.append(exc)

    threading.Thread(target=write, daemon=True).start()
    caller = threading.Thread(target=submit, daemon=True)
    caller.start()
    caller.join(60)
    assert not caller.is_alive(), "the submit is still reading the pipe"
    assert writer_done.wait(10)  # the reader closed its end: the writer stopped
    assert len(outcome) == 1 and isinstance(outcome[0], ox.ValidationError)
    assert "max_data_uri_bytes" in str(outcome[0])
