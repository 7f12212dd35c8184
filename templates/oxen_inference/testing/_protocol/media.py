"""Tiny but real result files, built in code: a PNG image, an MP4 header, a WAV clip.

Results are served from ``/files/<id>.<ext>``; the bytes only depend on the extension, so the
server keeps the set of issued ids, not file contents.
"""

from __future__ import annotations

import struct
import zlib
from functools import cache

CONTENT_TYPES = {"png": "image/png", "mp4": "video/mp4", "wav": "audio/wav"}
EXTENSION_FOR_MEDIA = {"image": "png", "video": "mp4", "audio": "wav"}


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


@cache
def png(width: int = 8, height: int = 8) -> bytes:
    """A valid RGB PNG of the given size, a diagonal gradient in Oxen-ish colours."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type: none
        for x in range(width):
            rows += bytes((40 + 20 * x % 216, 90 + 15 * y % 166, 200))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _png_chunk(b"IEND", b"")
    )


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


@cache
def mp4() -> bytes:
    """An ISO base media file: `ftyp` (isom, mp42), an empty `free` and an empty `mdat` box.

    Enough for `file(1)`, browsers' sniffers and content-type checks to see MP4; it holds no frames.
    """
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isom" + b"iso2" + b"mp41" + b"mp42")
    return ftyp + _box(b"free", b"") + _box(b"mdat", b"")


@cache
def wav(seconds: float = 0.1, rate: int = 8000) -> bytes:
    """A mono 8-bit PCM WAV file of silence."""
    frames = int(seconds * rate)
    data = b"\x80" * frames
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate, 1, 8)
    body = (
        b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


def content(ext: str) -> bytes:
    """The bytes served for a result file with extension `ext` (one of CONTENT_TYPES)."""
    if ext == "png":
        return png()
    if ext == "mp4":
        return mp4()
    if ext == "wav":
        return wav()
    raise KeyError(ext)
