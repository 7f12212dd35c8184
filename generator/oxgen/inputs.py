"""Reading the files oxgen is given: regular files only, each within a size cap.

Every input file goes through here: the files of a snapshot folder (model files, manifest,
release ledger), a catalog file, an allow-list, the files of a templates folder and the blobs of a
``git:`` source (whose size is checked against the same cap before they are read). Anything that
is not a regular file is refused before it is opened (a named pipe would block the reader for
ever, ``/dev/zero`` would fill memory), and so is a file larger than :data:`MAX_FILE_BYTES`. In a
folder, a symbolic link must lead to a file inside that folder. Each refusal is an
:class:`InputFileError` whose message is one line naming the path.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MIB = 1024 * 1024
MAX_FILE_BYTES = 64 * MIB
"""The largest input file read, in bytes (64 MiB). The committed snapshot's largest model file is
under 5 KB and a whole catalog under 300 KB; `oxgen fetch` accepts a models list of 64 MB by
default, so a catalog saved from it fits."""

_CHUNK = 1 * MIB
_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in after the check still cannot block open()
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


class InputFileError(Exception):
    """An input file oxgen refuses to read; the message is one line naming the path."""


def describe(mode: int) -> str:
    """What a file of this ``st_mode`` is, for messages."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _size(n: int) -> str:
    return f"{n / MIB:.1f} MiB" if n >= MIB else f"{n} bytes"


def too_large(where: str, size: int, limit: int = MAX_FILE_BYTES) -> InputFileError:
    """The refusal of a file of `size` bytes (or more) over `limit`."""
    cap = f"{limit / MIB:g} MiB" if limit % MIB == 0 else f"{limit} bytes"
    return InputFileError(
        f"{where}: {_size(size)} or more, over the {cap} limit for one input file"
    )


def _cannot(path: Path, exc: OSError) -> InputFileError:
    return InputFileError(f"{path}: cannot read ({exc.strerror or exc})")


def _link_target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def check(path: Path, *, within: Path | None = None, limit: int = MAX_FILE_BYTES) -> os.stat_result:
    """The status of `path` if oxgen may read it, else :class:`InputFileError`: a regular file
    (links followed) of at most `limit` bytes, and with `within`, one whose real path lies in
    that folder (a link out of it is refused)."""
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise InputFileError(
                f"{path}: a link to {_link_target(path)}, which does not exist"
            ) from None
        raise InputFileError(f"{path}: no such file") from None
    except OSError as exc:
        raise _cannot(path, exc) from None
    link = f"a link to {_link_target(path)}, " if os.path.islink(path) else ""
    if not stat.S_ISREG(st.st_mode):
        raise InputFileError(f"{path}: {link}{describe(st.st_mode)}; only regular files are read")
    if within is not None:
        real, root = Path(os.path.realpath(path)), Path(os.path.realpath(within))
        if not real.is_relative_to(root):
            raise InputFileError(
                f"{path}: {link or 'a path '}outside the folder {within}; links in a folder "
                "must lead to files inside it"
            )
    if st.st_size > limit:
        raise too_large(str(path), st.st_size, limit)
    return st


def read_bytes(path: Path, *, within: Path | None = None, limit: int = MAX_FILE_BYTES) -> bytes:
    """The content of `path`, checked by :func:`check` first; never more than `limit` bytes are
    taken (a file that grows past it while being read is refused too)."""
    path = Path(path)
    check(path, within=within, limit=limit)
    try:
        fd = os.open(path, _FLAGS)
    except OSError as exc:
        raise _cannot(path, exc) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # replaced between the check and the open
            raise InputFileError(f"{path}: {describe(st.st_mode)}; only regular files are read")
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            # The whole file in one read when its size is known; 1 byte more shows it grew.
            want = max(st.st_size - total + 1, _CHUNK)
            chunk = os.read(fd, min(want, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise _cannot(path, exc) from None
    finally:
        os.close(fd)
    if total > limit:
        raise too_large(str(path), total, limit)
    return b"".join(chunks)


def read_text(path: Path, *, within: Path | None = None, limit: int = MAX_FILE_BYTES) -> str:
    """:func:`read_bytes` decoded as UTF-8 (a file that is not UTF-8 is refused)."""
    data = read_bytes(path, within=within, limit=limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}: not UTF-8 text ({exc.reason})") from None
