"""A ``multipart/form-data`` body, parsed as it arrives: file parts go to disk, fields to memory.

:class:`Multipart` is fed the body chunk by chunk (``feed``) and says what it held once the body
is complete (``finish``). It never holds a file part in memory, bounds the whole body, each form
field and each part's headers, and leaves no spooled file behind when it fails.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .errors import PAYLOAD_TOO_LARGE, ApiError, envelope_a, invalid

MAX_FIELD = 64 * 1024
MAX_HEADERS = 16 * 1024


@dataclass
class Part:
    name: str
    filename: str | None
    content_type: str | None
    spooled: Path | None = None
    sink: IO[bytes] | None = None
    value: bytearray = field(default_factory=bytearray)
    size: int = 0
    digest: Any = field(default_factory=hashlib.sha256)

    def write(self, data: bytes) -> None:
        if not data:
            return
        self.size += len(data)
        if self.sink is not None:
            self.sink.write(data)
            self.digest.update(data)
        else:
            if self.size > MAX_FIELD:
                raise invalid(f"form field {self.name!r} is longer than {MAX_FIELD} bytes")
            self.value += data


def header_params(line: str) -> dict[str, str]:
    out = {}
    for item in line.split(";")[1:]:
        key, _, value = item.strip().partition("=")
        out[key.lower()] = value.strip().strip('"')
    return out


def _new_part(raw: str, spool: Path) -> Part:
    disposition, content_type = "", None
    for line in raw.split("\r\n"):
        key, _, value = line.partition(":")
        if key.strip().lower() == "content-disposition":
            disposition = value.strip()
        elif key.strip().lower() == "content-type":
            content_type = value.strip()
    params = header_params(disposition)
    if not disposition.lower().startswith("form-data") or "name" not in params:
        raise invalid("each multipart part needs Content-Disposition: form-data; name=...")
    part = Part(params["name"], params.get("filename"), content_type)
    if part.filename is not None:
        part.spooled = spool / f"{id(part)}"
        part.sink = part.spooled.open("wb")
    return part


class Multipart:
    """The parts of one body; file parts are spooled under `spool` (a folder of its own, removed
    by :meth:`discard`)."""

    def __init__(self, boundary: bytes, limit: int, spool: Path) -> None:
        self.delimiter = b"\r\n--" + boundary
        self.limit = limit
        self.spool = spool
        spool.mkdir(parents=True, exist_ok=True)
        self.buffer = b"\r\n"  # so that the first delimiter looks like every other one
        self.state = "preamble"
        self.total = 0
        self.parts: list[Part] = []
        self.current: Part | None = None

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        if self.total > self.limit:
            raise ApiError(
                413,
                envelope_a(
                    PAYLOAD_TOO_LARGE,
                    "Upload too large",
                    f"uploads are limited to {self.limit} bytes",
                ),
            )
        self.buffer += chunk
        while self._step():
            pass

    def _step(self) -> bool:
        """Move on through the buffer; False when more input is needed."""
        buffer, delimiter = self.buffer, self.delimiter
        if self.state == "preamble":
            at = buffer.find(delimiter)
            if at < 0:
                self.buffer = buffer[-len(delimiter) :]
                return False
            self.buffer, self.state = buffer[at + len(delimiter) :], "after"
        elif self.state == "after":
            if len(buffer) < 2:
                return False
            if buffer[:2] == b"--":
                self.state = "end"
                return False
            if buffer[:2] != b"\r\n":
                raise invalid("malformed multipart body (after a boundary)")
            self.buffer, self.state = buffer[2:], "headers"
        elif self.state == "headers":
            at = buffer.find(b"\r\n\r\n")
            if at < 0:
                if len(buffer) > MAX_HEADERS:
                    raise invalid("multipart part headers are too long")
                return False
            self.current = _new_part(buffer[:at].decode("utf-8", "replace"), self.spool)
            self.parts.append(self.current)
            self.buffer, self.state = buffer[at + 4 :], "body"
        elif self.state == "body":
            assert self.current is not None
            at = buffer.find(delimiter)
            if at < 0:
                keep = len(delimiter)
                self.current.write(buffer[:-keep])
                self.buffer = buffer[-keep:]
                return False
            self.current.write(buffer[:at])
            self._close_current()
            self.buffer, self.state = buffer[at + len(delimiter) :], "after"
        else:  # end: the epilogue is ignored
            self.buffer = b""
            return False
        return True

    def _close_current(self) -> None:
        if self.current is not None and self.current.sink is not None:
            self.current.sink.close()

    def finish(self) -> list[Part]:
        """The parts, once the body has ended; an ApiError (400) if it ended too early."""
        self._close_current()
        if self.state != "end":
            raise invalid("the multipart body ends before its closing boundary")
        return self.parts

    def discard(self) -> None:
        """Close and remove whatever was spooled (parts already stored were moved out)."""
        self._close_current()
        shutil.rmtree(self.spool, ignore_errors=True)
