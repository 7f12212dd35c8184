"""Local files, in and out, when they misbehave: an input that grows, shrinks or turns into a pipe
or a directory between its check and its sending; bytes that contradict the file's extension; a
file object whose ``read`` raises something odd; a download that the disk cannot hold; a result
name carrying a right-to-left override. Each ends in a typed ``OxenError``."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import oxen_inference as ox
import pytest
from oxen_inference._media import LocalFileError

from tests.hostile.rawhttp import Conn, Request, serve

KEY = "sk-files-test-key"
I2V = "luma-ray-v3-2-image-to-video"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(1000)


def test_local_file_errors_are_oxen_errors() -> None:
    assert issubclass(LocalFileError, ox.OxenError) and issubclass(LocalFileError, ValueError)
    with ox.Oxen(api_key=KEY) as client, pytest.raises(ox.OxenError):
        client.files.data_uri(b"")  # empty


def _grow(path: Path) -> None:
    with path.open("ab") as f:
        f.write(bytes(5000))


def _shrink(path: Path) -> None:
    path.write_bytes(PNG[:100])


def _to_fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _to_directory(path: Path) -> None:
    path.unlink()
    path.mkdir()


CHANGES: dict[str, Callable[[Path], None]] = {
    "grows": _grow,
    "shrinks": _shrink,
    "becomes a FIFO": _to_fifo,
    "becomes a directory": _to_directory,
}


@pytest.mark.parametrize("change", list(CHANGES), ids=list(CHANGES))
def test_an_input_that_changes_after_its_check_is_refused(tmp_path: Path, change: str) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(PNG)
    request = ox.request_model(I2V)(prompt="p", input_image=image)  # checked now
    CHANGES[change](image)
    outcome: list[BaseException] = []

    def resolve() -> None:
        try:
            ox.to_body(request, files="data-uri")
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=resolve, daemon=True)
    worker.start()
    worker.join(20)
    assert not worker.is_alive(), "reading the input blocked (a FIFO opened for reading)"
    assert len(outcome) == 1 and isinstance(outcome[0], ox.ValidationError), outcome
    assert "input_image" in str(outcome[0]) and "changed" in str(outcome[0])


LIARS: dict[str, tuple[str, bytes]] = {
    "an executable named .png": ("evil.png", b"\x7fELF\x02\x01\x01" + bytes(100)),
    "a script named .jpg": ("x.jpg", b"#!/bin/sh\nrm -rf ~\n"),
    "HTML named .webp": ("x.webp", b"<html><script>alert(1)</script></html>"),
    "a zip named .png": ("x.png", b"PK\x03\x04" + bytes(100)),
}


def _submit(value: object) -> None:
    """A submit with `value` as its image (refused before anything is sent: nobody listens)."""
    with ox.Oxen(api_key=KEY, base_url="http://127.0.0.1:9/api", events=False) as client:
        client.submit(I2V, prompt="p", input_image=value)


@pytest.mark.parametrize("case", list(LIARS), ids=list(LIARS))
def test_bytes_that_contradict_the_extension_are_refused(tmp_path: Path, case: str) -> None:
    name, data = LIARS[case]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ox.ValidationError, match="input_image") as info:
        _submit(path)
    assert "its bytes are not" in str(info.value)
    with pytest.raises(ox.ValidationError, match="input_image"):
        _submit(io.BytesIO(data))  # no name at all


def test_a_format_without_magic_bytes_is_taken_by_its_name(tmp_path: Path) -> None:
    """An SVG is text: its name says what it is (nothing to contradict)."""
    svg = tmp_path / "a.svg"
    svg.write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg"/>')
    file = ox.LocalFile.of(svg, "image")
    assert file.media_type == "image/svg+xml"


class Odd(io.RawIOBase):
    """A file object whose read or seek raises `error`."""

    def __init__(self, error: Exception, seekable: bool) -> None:
        self.error = error
        self._seekable = seekable

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._seekable

    def readinto(self, buffer: Any) -> int:
        raise self.error

    def seek(self, offset: int, whence: int = 0) -> int:
        if self._seekable:
            raise self.error
        raise io.UnsupportedOperation("seek")


@pytest.mark.parametrize("seekable", [True, False], ids=["seekable", "a stream"])
@pytest.mark.parametrize(
    "error", [RuntimeError("boom"), ValueError("I/O operation on closed file"), KeyError("x")]
)
def test_a_read_that_raises_anything_is_a_validation_error(
    error: Exception, seekable: bool
) -> None:
    with pytest.raises(ox.ValidationError, match="input_image") as info:
        _submit(Odd(error, seekable))
    assert type(error).__name__ in str(info.value)


# -- downloads ---------------------------------------------------------------------------------

_FULL_DISK = r"""
import json, resource, signal, sys
import oxen_inference as ox
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit a write fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))  # a "disk" of 1 MiB per file
client = ox.Oxen(api_key="k", base_url=sys.argv[1], events=False)
try:
    client.download_url(sys.argv[1] + "/big.png", sys.argv[2])
    print(json.dumps({"error": None}))
except Exception as exc:
    print(json.dumps({"error": type(exc).__name__, "oxen": isinstance(exc, ox.OxenError),
                      "message": str(exc)}))
"""


def test_a_download_the_disk_cannot_hold_is_an_oxen_error(tmp_path: Path) -> None:
    def handler(request: Request, conn: Conn) -> bool:
        conn.head(200, {"Content-Type": "image/png", "Content-Length": str(4 << 20)})
        conn.flood(4 << 20)
        return False

    with serve(handler) as server:
        done = subprocess.run(
            [sys.executable, "-c", _FULL_DISK, server.api, str(tmp_path / "out.png")],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["oxen"] is True, result
    assert "out.png" in result["message"] and "cannot write" in result["message"]
    assert list(tmp_path.iterdir()) == []  # no partial file left behind


@pytest.mark.parametrize(
    "char", ["\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200f", "\u061c"]
)
def test_a_result_name_loses_its_bidirectional_controls(char: str) -> None:
    from oxen_inference._downloads import safe_file_name

    name = safe_file_name(f"https://cdn.test/out/invoice{char}gnp.exe")
    assert char not in name and name.endswith(".exe")
