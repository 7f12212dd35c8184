"""Local files as media inputs: a path, bytes or a binary file object wherever a model takes a URL.

A *media input* is a parameter whose value is a URL the provider downloads (``input_image``,
``input_video``, ``reference_image_urls``...; the generator marks them from the schema). Besides a
URL string it accepts :data:`MediaInput`: a path (``pathlib.Path``, any ``os.PathLike``),
``bytes`` or a binary file object (``open(p, "rb")``, ``io.BytesIO``).

A string must be a URL the provider can download: ``http://`` or ``https://``, or a ``data:`` URI.
Any other string (``"tiger.png"``, ``"/home/me/tiger.png"``, ``"file:///..."``) is refused with a
``ValidationError`` naming the parameter and saying to pass ``Path("tiger.png")``: a string is
never read as a file name (a string that happened to name a local file would be read and sent) and
never sent as it is (the server could not fetch it, and a path would tell it your file layout).

When the request is validated, every local value is checked at once, before anything is sent:
the path exists and is a readable regular file, it is not empty, and its bytes (or, failing that,
its file name) show a known image, video or audio format of the kind the parameter takes. The
bytes win: a file named ``.png`` (or ``.jpg``, ``.gif``, ``.webp``, ``.bmp``, ``.tiff``) whose
bytes are not that format is refused. It becomes a :class:`LocalFile`. Before sending, the client
turns each one into a URL by its strategy (see ``_uploads`` and ``_resolve``): ``data:`` URIs by
default (at most ``max_data_uri_bytes`` for all the files of one request), an upload to an Oxen
repository with ``uploads="namespace/repo"``, or your own ``uploads=callable``.
``to_body(request, files=...)`` does the same for a request object, explicitly.

A file is read when it is sent, not when it is checked: a path that has changed since (grown,
shrunk, replaced by a pipe or a directory) is refused then. A stream that cannot seek (a pipe) is
read as far as its format check needs; the rest is read when it is sent, at most as many bytes as
the request may still carry inline (or into a temporary file, for an upload or your own storage).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import stat
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeAlias

from ._exceptions import OxenError

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema

__all__ = [
    "DATA_URI_LIMIT",
    "FileStore",
    "Input",
    "LocalFile",
    "LocalFileError",
    "MediaInput",
    "Uploads",
    "check_settings",
    "data_uri",
    "is_local",
    "parse_repo",
]

#: What a media input accepts besides a URL string.
MediaInput: TypeAlias = str | os.PathLike[str] | bytes | BinaryIO

#: The default largest file sent inline as a ``data:`` URI (10 MiB; base64 makes it ~13.4 MiB of JSON).
DATA_URI_LIMIT = 10 * 1024 * 1024
CHUNK = 1024 * 1024
_HEAD = 64  # bytes read to tell the format

#: A storage strategy: gets a checked local file, returns the URL to send instead.
FileStore: TypeAlias = Callable[["LocalFile"], str]
#: ``Oxen(uploads=...)``: a repository ("namespace/repo"), a callable (``AsyncOxen`` also takes an
#: async one), or None (data URIs).
Uploads: TypeAlias = "str | FileStore | Callable[[LocalFile], Awaitable[str]] | None"
_REPO_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
# What a media string must start with: an http(s) URL with something after the scheme, or a data URI.
_URL = re.compile(r"(?:[hH][tT][tT][pP][sS]?://[^\s/]|[dD][aA][tT][aA]:)")
# A URI scheme (RFC 3986) of two letters or more: "C:\\x.png" is a Windows path, not a URL.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:")

_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/bmp": ".bmp",
    "image/tiff": ".tiff",
    "image/heic": ".heic",
    "image/avif": ".avif",
    "image/svg+xml": ".svg",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "video/x-matroska": ".mkv",
    "video/x-msvideo": ".avi",
    "audio/wav": ".wav",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/aac": ".aac",
    "audio/flac": ".flac",
    "audio/ogg": ".ogg",
}
_KIND_PREFIX = {"image": "image/", "mask": "image/", "video": "video/", "audio": "audio/"}
_KIND_WORD = {"image": "an image", "mask": "an image", "video": "a video", "audio": "audio"}


# Formats whose bytes always say what they are: a file named so must show them.
_MAGIC_ONLY = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/tiff"}
)


class LocalFileError(OxenError, ValueError):
    """A local file that cannot be used: missing, unreadable, empty, of an unknown or wrong kind,
    changed since it was checked, or too large to inline. The client reports it as a
    ``ValidationError`` naming the parameter."""


def parse_repo(value: str) -> tuple[str, str]:
    """("namespace", "repo") from "namespace/repo"; ValueError when it is not that."""
    namespace, _, name = value.partition("/")
    if not (_REPO_PART.fullmatch(namespace) and _REPO_PART.fullmatch(name)) or ".." in value:
        raise ValueError(
            'uploads must be "namespace/repo" (letters, digits, "-", "_", "."), a callable or '
            f"None; got {value!r}"
        )
    return namespace, name


def check_settings(uploads: object, max_data_uri_bytes: object) -> None:
    """Raise ValueError for client settings that cannot work (at construction, not first use)."""
    if isinstance(uploads, str):
        parse_repo(uploads)
    elif uploads is not None and not callable(uploads):
        raise ValueError(
            f'uploads must be "namespace/repo", a callable or None; got {type(uploads).__name__}'
        )
    if (
        isinstance(max_data_uri_bytes, bool)
        or not isinstance(max_data_uri_bytes, int)
        or max_data_uri_bytes < 0
    ):
        raise ValueError(f"max_data_uri_bytes must be an int >= 0, got {max_data_uri_bytes!r}")


def sniff(head: bytes) -> str | None:
    """The media type the first bytes of a file show, or None when no known format matches."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and len(head) >= 12:
        return {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}.get(
            head[8:12]
        )
    if head[4:8] == b"ftyp" and len(head) >= 12:
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
            return "image/heic"
        if brand in (b"avif", b"avis"):
            return "image/avif"
        if brand == b"qt  ":
            return "video/quicktime"
        if brand in (b"M4A ", b"M4B "):
            return "audio/mp4"
        return "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm" if b"webm" in head else "video/x-matroska"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if head.startswith(b"BM") and len(head) >= 14:
        return "image/bmp"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    if head[:2] in (b"\xff\xf1", b"\xff\xf9"):
        return "audio/aac"
    return None


def _by_name(name: str | None) -> str | None:
    if not name:
        return None
    import mimetypes

    guessed, _ = mimetypes.guess_type(name, strict=False)
    if guessed and guessed.split("/", 1)[0] in ("image", "video", "audio"):
        return {"audio/x-wav": "audio/wav", "audio/vnd.wave": "audio/wav"}.get(guessed, guessed)
    return None


def not_a_url(value: str) -> str | None:
    """Why the string `value` cannot be sent for a media input, or None when it is a URL the
    provider can fetch (``http(s)://host...``) or a ``data:`` URI."""
    if _URL.match(value):
        return None
    if not value.strip():
        return f"{value!r} is empty: give a URL, or a local file as a path, bytes or a file object"
    shown = repr(value if len(value) <= 80 else value[:77] + "...")
    if _SCHEME.match(value) is None:  # no scheme: a file name or a path
        return (
            f"{shown} is not a URL; to send a local file, pass it as a path: Path({shown}) "
            "(or bytes, or a file opened with 'rb')"
        )
    return (
        f"{shown} is not an http(s) URL or a data: URI, which is all a model provider downloads; "
        "to send a local file, pass it as a path (pathlib.Path), bytes, or a file opened with 'rb'"
    )


def is_local(value: object) -> bool:
    """Whether `value` is a local file given for a media input (not a URL string)."""
    if type(value) is str:  # the common case, on every call's path
        return False
    return isinstance(value, (os.PathLike, bytes, bytearray, memoryview)) or (
        not isinstance(value, str) and callable(getattr(value, "read", None))
    )


class LocalFile:
    """A local file given for a media input, checked and ready to become a URL.

    `media_type` (``"image/png"``), `size` (bytes), `name` (the file name, if it has one),
    `path` (for a path), `kind` (what the parameter takes: image, video, audio, mask, file).
    :meth:`open` gives a binary stream from the start, :meth:`read` the bytes, :meth:`chunks`
    an iterator of them, :meth:`sha256` the hex digest (read once and kept). For a stream that
    cannot seek, `size` reads it to its end first (into a temporary file); `known_size` is None
    until then.
    """

    __slots__ = (
        "_data",
        "_digest",
        "_head",
        "_size",
        "_start",
        "_stream",
        "kind",
        "media_type",
        "name",
        "path",
    )

    def __init__(
        self,
        *,
        kind: str,
        media_type: str,
        size: int | None,
        name: str | None,
        path: Path | None = None,
        data: bytes | None = None,
        stream: BinaryIO | None = None,
        start: int = 0,
        first: bytes = b"",
    ) -> None:
        self.kind = kind
        self.media_type = media_type
        self.name = name
        self.path = path
        self._size = size
        self._data = data
        self._stream = stream
        self._start = start
        self._head = first  # what was read of a stream that cannot seek (its size unknown)
        self._digest: str | None = None

    def __repr__(self) -> str:
        size = "size unknown" if self._size is None else f"{self._size} bytes"
        return f"LocalFile({self.describe()}, {self.media_type}, {size})"

    def describe(self) -> str:
        """How error messages name the file."""
        if self.path is not None:
            return repr(str(self.path))
        if self.name:
            return repr(self.name)
        return "the stream" if self._size is None else f"<{self._size} bytes>"

    @property
    def size(self) -> int:
        """Its size in bytes (a stream that cannot seek is read to its end first)."""
        if self._size is None:
            self.spool(None)
        assert self._size is not None
        return self._size

    @property
    def known_size(self) -> int | None:
        """Its size without reading anything: None for a stream not read yet."""
        return self._size

    @property
    def extension(self) -> str:
        """The file extension of its media type (``.png``), from the name when the type has none."""
        known = _EXTENSIONS.get(self.media_type)
        if known:
            return known
        suffix = Path(self.name).suffix.lower() if self.name else ""
        return suffix if suffix[1:].isalnum() and len(suffix) <= 8 else ".bin"

    @classmethod
    def of(cls, value: object, kind: str = "file") -> LocalFile:
        """Check `value` (a path, bytes or a binary file object); raises LocalFileError."""
        if isinstance(value, LocalFile):
            return value
        if isinstance(value, os.PathLike):
            return cls._of_path(Path(os.fsdecode(value)), kind)
        if isinstance(value, (bytes, bytearray, memoryview)):
            data = bytes(value)
            return cls._made(kind, data[:_HEAD], len(data), None, data=data)
        if callable(getattr(value, "read", None)) and not isinstance(value, str):
            return cls._of_stream(value, kind)
        raise LocalFileError(
            f"expected a URL string, a path, bytes or a binary file object, got {type(value).__name__}"
        )

    @classmethod
    def _of_path(cls, path: Path, kind: str) -> LocalFile:
        try:
            st = path.stat()
        except FileNotFoundError:
            raise LocalFileError(f"no such file: {str(path)!r}") from None
        except OSError as exc:
            raise LocalFileError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
        if stat.S_ISDIR(st.st_mode):
            raise LocalFileError(f"{str(path)!r} is a directory, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise LocalFileError(f"{str(path)!r} is not a regular file")
        try:
            with path.open("rb") as f:
                head = f.read(_HEAD)
        except OSError as exc:
            raise LocalFileError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
        return cls._made(kind, head, st.st_size, path.name, path=path)

    @classmethod
    def _of_stream(cls, stream: Any, kind: str) -> LocalFile:
        if isinstance(stream, io.TextIOBase):
            raise LocalFileError("the file object is open in text mode; open it with 'rb'")
        if getattr(stream, "closed", False):
            raise LocalFileError("the file object is closed")
        raw_name = getattr(stream, "name", None)
        name = os.path.basename(raw_name) if isinstance(raw_name, str) else None
        try:
            seekable = getattr(stream, "seekable", None)
            if callable(seekable) and seekable():
                start = stream.tell()
                size = stream.seek(0, os.SEEK_END) - start
                stream.seek(start)
                head = _read(stream, _HEAD)
                stream.seek(start)
                return cls._made(kind, head, size, name, stream=stream, start=start)
            head = _read(stream, _HEAD)  # a pipe: the rest is read when the file is sent
        except LocalFileError:
            raise
        except Exception as exc:  # a file object of any kind may raise anything
            raise LocalFileError(f"cannot read the file object: {_why(exc)}") from None
        size = None if len(head) == _HEAD else len(head)  # a shorter head is the whole stream
        return cls._made(kind, head, size, name, stream=stream, first=head)

    @classmethod
    def _made(
        cls, kind: str, head: bytes, size: int | None, name: str | None, **source: Any
    ) -> LocalFile:
        what = (
            repr(str(source["path"]))
            if source.get("path")
            else repr(name)
            if name
            else "the bytes given"
        )
        if size == 0 or not head:
            raise LocalFileError(f"{what} is empty")
        by_bytes, by_name = sniff(head), _by_name(name)
        if by_bytes is None and by_name in _MAGIC_ONLY:
            raise LocalFileError(
                f"{what} is named like {by_name}, but its bytes are not {by_name} (nor any "
                "known image, video or audio format)"
            )
        media_type = by_bytes or by_name
        if media_type is None:
            if kind != "file":
                raise LocalFileError(
                    f"cannot tell what kind of file {what} is: not a known image, video or audio "
                    "format; give the file a telling extension (.png, .mp4, .wav...) or pass a URL"
                )
            media_type = "application/octet-stream"
        prefix = _KIND_PREFIX.get(kind)
        if prefix is not None and not media_type.startswith(prefix):
            raise LocalFileError(f"expects {_KIND_WORD[kind]}, but {what} is {media_type}")
        if size is not None and size <= len(head) and "stream" in source:
            source = {"data": head}  # a short stream, read whole already
        return cls(kind=kind, media_type=media_type, size=size, name=name, **source)

    def spool(self, limit: int | None) -> None:
        """Read a stream that cannot seek to its end, so that its size is known: into memory, at
        most `limit` + 1 bytes in all (LocalFileError past `limit`), or, without a limit, into a
        temporary file (memory stays small whatever the stream holds). Nothing for other files."""
        if self._size is not None:
            return
        assert self._stream is not None
        stream, head = self._stream, self._head
        try:
            if limit is not None:
                data = head + _read(stream, max(0, limit + 1 - len(head)))
                if len(data) > limit:
                    raise LocalFileError(
                        f"{self.describe()} holds more than {limit:,} bytes, the most this "
                        "request can still send inline (max_data_uri_bytes)"
                    )
                self._data, self._size = data, len(data)
                return
            import tempfile

            spooled = tempfile.SpooledTemporaryFile(max_size=CHUNK)  # noqa: SIM115 - kept open
            spooled.write(head)
            while chunk := _read(stream, CHUNK):
                spooled.write(chunk)
        except LocalFileError:
            raise
        except Exception as exc:
            raise LocalFileError(f"cannot read {self.describe()}: {_why(exc)}") from None
        self._stream, self._start, self._size = spooled, 0, spooled.tell()  # type: ignore[assignment]

    def open(self) -> BinaryIO:
        """A binary stream of the file from its start (a file object you passed, rewound).
        LocalFileError when a path is no longer the regular file of the size it had."""
        if self.path is not None:
            return self._reopen(self.path)
        if self._data is not None:
            return io.BytesIO(self._data)
        self.spool(None)
        assert self._stream is not None
        self._stream.seek(self._start)
        return self._stream

    def _reopen(self, path: Path) -> BinaryIO:
        try:
            # O_NONBLOCK: a path turned into a pipe must not block the open
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
            st = os.fstat(fd)
        except OSError as exc:
            raise LocalFileError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
        if not stat.S_ISREG(st.st_mode) or st.st_size != self._size:
            os.close(fd)
            now = f"{st.st_size:,} bytes" if stat.S_ISREG(st.st_mode) else "not a regular file"
            raise LocalFileError(
                f"{str(path)!r} changed since it was checked ({self._size:,} bytes then, {now} now)"
            )
        return os.fdopen(fd, "rb")

    def chunks(self, size: int = CHUNK) -> Iterator[bytes]:
        """The file's bytes in pieces of at most `size` (never the whole file at once).
        LocalFileError when the file changes while it is read."""
        if self._data is not None:
            for i in range(0, len(self._data), size):
                yield self._data[i : i + size]
            return
        stream = self.open()
        try:
            left = self.size
            while left > 0:
                chunk = _read(stream, min(size, left))
                if not chunk:
                    raise LocalFileError(f"{self.describe()} changed (shrank) while it was read")
                left -= len(chunk)
                yield chunk
            if _read(stream, 1):
                raise LocalFileError(f"{self.describe()} changed (grew) while it was read")
        finally:
            if self.path is not None:
                stream.close()

    def read(self) -> bytes:
        """The whole file (for data URIs and small files)."""
        if self._data is not None:
            return self._data
        return b"".join(self.chunks())

    def sha256(self) -> str:
        """The SHA-256 of the content, hex (computed once, reading in chunks)."""
        if self._digest is None:
            digest = hashlib.sha256()
            for chunk in self.chunks():
                digest.update(chunk)
            self._digest = digest.hexdigest()
        return self._digest


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _read(stream: Any, n: int) -> bytes:
    """Up to `n` bytes of `stream` (fewer only at its end); LocalFileError for text or for
    anything the stream raises."""
    parts: list[bytes] = []
    while n > 0:
        try:
            part = stream.read(n)
        except Exception as exc:
            raise LocalFileError(f"cannot read the file object: {_why(exc)}") from None
        if part is None:
            raise LocalFileError("the file object is non-blocking and had nothing to read")
        if not isinstance(part, bytes | bytearray):
            raise LocalFileError("the file object gives text; open it with 'rb'")
        if not part:
            break
        parts.append(bytes(part))
        n -= len(part)
    return b"".join(parts)


def data_uri(file: LocalFile, limit: int = DATA_URI_LIMIT) -> str:
    """``data:<media type>;base64,...`` for `file`; LocalFileError past `limit` bytes (a stream
    that cannot seek is read at most `limit` + 1 bytes)."""
    file.spool(limit)
    if file.size > limit:
        raise LocalFileError(
            f"{file.describe()} is {file.size:,} bytes, more than the {limit:,} bytes sent inline "
            'as a data URI (max_data_uri_bytes); upload it instead with Oxen(uploads="namespace/repo") '
            "(stored in an Oxen repository), or uploads=callable for your own storage"
        )
    return f"data:{file.media_type};base64,{base64.b64encode(file.read()).decode('ascii')}"


class Input:
    """The marker on a media input's strings: a local value becomes a checked :class:`LocalFile`;
    a string must be an http(s) URL or a data URI (:func:`not_a_url`), then is validated by
    `strings` (the schema's own checks on it)."""

    __slots__ = ("kind", "strings")

    def __init__(self, kind: str, strings: Any = str) -> None:
        self.kind = kind
        self.strings = strings

    def __repr__(self) -> str:
        return f"Input({self.kind!r})"

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        from pydantic_core import core_schema

        kind = self.kind

        def validate(value: Any, strings: core_schema.ValidatorFunctionWrapHandler) -> Any:
            if isinstance(value, str):
                problem = not_a_url(value)
                if problem is not None:
                    raise ValueError(problem)
            elif isinstance(value, LocalFile) or is_local(value):
                try:
                    return LocalFile.of(value, kind)
                except LocalFileError as exc:
                    raise ValueError(str(exc)) from None
            return strings(value)

        return core_schema.no_info_wrap_validator_function(
            validate,
            handler.generate_schema(self.strings),
            # as it is: a string stays a string, a LocalFile stays itself (no Python call)
            serialization=core_schema.simple_ser_schema("any"),
        )
