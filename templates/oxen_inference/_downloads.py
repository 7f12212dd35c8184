"""Saving a download: where it goes (a safe file name inside a folder) and a temporary file moved
into place only when complete, so a file appears whole or not at all."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from ._exceptions import OxenError

if TYPE_CHECKING:
    import httpx

__all__ = ["Partial", "remove_partials", "safe_file_name", "size_of", "target"]

MAX_NAME_BYTES = 200
FALLBACK_NAME = "result"
_TAG_BYTES = 6  # random bytes in a temporary file's name, written in hex


# Characters that change how a name is shown: bidirectional controls (a right-to-left override
# makes "invoice\u202egnp.exe" read "invoiceexe.png"), zero-width marks and separators.
_INVISIBLE = frozenset(
    "\u061c\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2066\u2067\u2068\u2069\ufeff"
)


def _hidden(ch: str) -> bool:
    """A control character, or one that hides or reorders what a name shows."""
    return ord(ch) < 32 or 127 <= ord(ch) < 160 or ch in _INVISIBLE


def safe_file_name(url: str) -> str:
    """A file name for `url`'s result that stays inside the target directory.

    The last path segment, percent-decoded; separators, control characters and the characters
    that reorder or hide text (a right-to-left override...) become ``_``;
    leading dots are dropped (so ``..``, ``%2e%2e`` and hidden names cannot be produced); a name
    longer than ``MAX_NAME_BYTES`` keeps its extension and loses the end of its stem; an empty
    result becomes ``result``.
    """
    import httpx  # loaded by then: a download follows a request

    name = httpx.URL(url).path.rsplit("/", 1)[-1]
    name = "".join("_" if ch in "\\/:" or _hidden(ch) else ch for ch in name)
    name = name.strip().lstrip(".").strip()
    if not name:
        return FALLBACK_NAME
    if len(name.encode()) > MAX_NAME_BYTES:
        stem, dot, ext = name.rpartition(".")
        suffix = f".{ext}" if dot and stem and 0 < len(ext.encode()) <= 16 else ""
        room = MAX_NAME_BYTES - len(suffix.encode())
        stem = (stem if suffix else name).encode()[:room].decode(errors="ignore").rstrip()
        name = (stem or FALLBACK_NAME) + suffix
    return name


def target(path: str | os.PathLike[str], url: str) -> Path:
    """Where to save: `path`, or the URL's file name inside it when `path` is a directory or ends
    with a separator (``"out/"``: created if missing). Never outside that directory."""
    where = Path(path)
    raw = os.fspath(path)
    if where.is_dir() or raw.endswith(("/", os.sep)):
        folder = where
        where = folder / safe_file_name(url)
        if where.resolve().parent != folder.resolve():
            raise OxenError(
                f"refusing to save {url!r}: its file name leads outside {os.fspath(folder)!r}"
            )
    return where


def size_of(response: httpx.Response) -> int | None:
    """The body's size in bytes, when the response says."""
    raw = response.headers.get("content-length")
    return int(raw) if raw and raw.isdigit() else None


class Partial:
    """A temporary file beside `target`, moved into place only when complete. A write the disk
    refuses (full, a file size limit, gone) is an OxenError naming the file; the temporary file
    is removed."""

    def __init__(self, target: Path) -> None:
        self.target = target
        # Made as open() makes a file (mode 0o666 less the umask), not 0o600 as mkstemp does:
        # the download is the user's file, for a web server or another user to read as usual.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            while True:
                name = str(target.parent / _partial_name(target.name))
                try:
                    fd = os.open(name, flags, 0o666)
                    break
                except FileExistsError:  # another download picked the same name: draw again
                    continue
        except OSError as exc:
            raise self._error(exc) from None
        self.file: BinaryIO = os.fdopen(fd, "wb")
        self.name = name

    def _error(self, exc: OSError) -> OxenError:
        return OxenError(f"cannot write {os.fspath(self.target)!r}: {exc.strerror or exc}")

    def write(self, chunk: bytes) -> None:
        try:
            self.file.write(chunk)
        except OSError as exc:
            raise self._error(exc) from None

    def commit(self) -> Path:
        try:
            self.file.close()
            os.replace(self.name, self.target)
        except OSError as exc:
            self.abort()
            raise self._error(exc) from None
        return self.target

    def abort(self) -> None:
        with contextlib.suppress(OSError):  # closing flushes: the disk may refuse that too
            self.file.close()
        with contextlib.suppress(OSError):
            os.unlink(self.name)


def _partial_name(name: str) -> str:
    return f".{name}.{os.urandom(_TAG_BYTES).hex()}.part"


def _is_partial(name: str) -> bool:
    head, _, tag = name.removesuffix(".part").rpartition(".")
    return (
        name.startswith(".")
        and name.endswith(".part")
        and len(head) > 1
        and len(tag) == 2 * _TAG_BYTES
        and all(ch in "0123456789abcdef" for ch in tag)
    )


def remove_partials(folder: Path) -> int:
    """Remove the temporary files that downloads into `folder` left behind (a process killed
    mid-download cannot remove its own), and say how many. Only for a folder no live download
    writes to: the caller holds it (a batch run's output folder is locked). Other files stay."""
    removed = 0
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for entry in os.scandir(folder):
            if _is_partial(entry.name) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                    removed += 1
    return removed
