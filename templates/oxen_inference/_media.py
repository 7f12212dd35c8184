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
its file name) show a known image, video or audio format of the kind the parameter takes. It
becomes a :class:`LocalFile`. Before sending, the client turns each one into a URL by its
strategy (see ``_uploads``): a ``data:`` URI by default (at most ``max_data_uri_bytes``), an
upload to an Oxen repository with ``uploads="namespace/repo"``, or your own ``uploads=callable``.
``to_body(request, files=...)`` does the same for a request object, explicitly.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import stat
from collections.abc import Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, TypeAlias

from ._exceptions import ValidationError

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
    "check_all",
    "check_settings",
    "data_uri",
    "is_local",
    "locate",
    "parse_repo",
    "resolve",
    "url_of",
    "with_urls",
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


class LocalFileError(ValueError):
    """A local file that cannot be used: missing, unreadable, empty, of an unknown or wrong kind,
    or too large to inline. The client reports it as a ``ValidationError`` naming the parameter."""


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
    an iterator of them, :meth:`sha256` the hex digest (read once and kept).
    """

    __slots__ = (
        "_data",
        "_digest",
        "_start",
        "_stream",
        "kind",
        "media_type",
        "name",
        "path",
        "size",
    )

    def __init__(
        self,
        *,
        kind: str,
        media_type: str,
        size: int,
        name: str | None,
        path: Path | None = None,
        data: bytes | None = None,
        stream: BinaryIO | None = None,
        start: int = 0,
    ) -> None:
        self.kind = kind
        self.media_type = media_type
        self.size = size
        self.name = name
        self.path = path
        self._data = data
        self._stream = stream
        self._start = start
        self._digest: str | None = None

    def __repr__(self) -> str:
        return f"LocalFile({self.describe()}, {self.media_type}, {self.size} bytes)"

    def describe(self) -> str:
        """How error messages name the file."""
        if self.path is not None:
            return repr(str(self.path))
        return repr(self.name) if self.name else f"<{self.size} bytes>"

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
        seekable = getattr(stream, "seekable", None)
        try:
            if callable(seekable) and seekable():
                start = stream.tell()
                size = stream.seek(0, os.SEEK_END) - start
                stream.seek(start)
                head = stream.read(_HEAD)
                stream.seek(start)
                if not isinstance(head, bytes):
                    raise LocalFileError("the file object gives text; open it with 'rb'")
                return cls._made(kind, head, size, name, stream=stream, start=start)
            data = stream.read()  # not seekable (a pipe): read once, kept in memory
        except OSError as exc:
            raise LocalFileError(f"cannot read the file object: {exc}") from None
        if not isinstance(data, bytes):
            raise LocalFileError("the file object gives text; open it with 'rb'")
        return cls._made(kind, data[:_HEAD], len(data), name, data=data)

    @classmethod
    def _made(cls, kind: str, head: bytes, size: int, name: str | None, **source: Any) -> LocalFile:
        what = (
            repr(str(source["path"]))
            if source.get("path")
            else repr(name)
            if name
            else "the bytes given"
        )
        if size <= 0:
            raise LocalFileError(f"{what} is empty")
        media_type = sniff(head) or _by_name(name)
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
        return cls(kind=kind, media_type=media_type, size=size, name=name, **source)

    def open(self) -> BinaryIO:
        """A binary stream of the file from its start (a file object you passed, rewound)."""
        if self.path is not None:
            return self.path.open("rb")
        if self._data is not None:
            return io.BytesIO(self._data)
        assert self._stream is not None
        self._stream.seek(self._start)
        return self._stream

    def chunks(self, size: int = CHUNK) -> Iterator[bytes]:
        """The file's bytes in pieces of at most `size` (never the whole file at once)."""
        if self._data is not None:
            for i in range(0, len(self._data), size):
                yield self._data[i : i + size]
            return
        stream = self.open()
        try:
            left = self.size
            while left > 0:
                chunk = stream.read(min(size, left))
                if not chunk:
                    raise LocalFileError(f"{self.describe()} changed while it was read")
                left -= len(chunk)
                yield chunk
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


def data_uri(file: LocalFile, limit: int = DATA_URI_LIMIT) -> str:
    """``data:<media type>;base64,...`` for `file`; LocalFileError past `limit` bytes."""
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


# -- finding and replacing local files in a body -----------------------------------------------


_PLAIN = frozenset({str, int, float, bool, type(None)})


def locate(body: Any) -> list[tuple[str, Any]]:
    """(location, value) of every local file in a JSON-like body, in one walk: LocalFile objects,
    and raw paths, bytes or file objects (in parameters the client could not check: unknown
    models, ``extra_body``). On every call's path, so plain loops and exact type checks first."""
    found: list[tuple[str, Any]] = []
    _locate(body, (), found)
    return found


def _locate(value: Any, path: tuple[str | int, ...], found: list[tuple[str, Any]]) -> None:
    kind = type(value)
    if kind is dict or kind is list:
        for key, item in value.items() if kind is dict else enumerate(value):
            if type(item) not in _PLAIN:
                _locate(item, (*path, key), found)
    elif isinstance(value, LocalFile) or is_local(value):
        found.append((".".join(str(p) for p in path), value))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _locate(item, (*path, key), found)
    elif isinstance(value, tuple | list):
        for i, item in enumerate(value):
            _locate(item, (*path, i), found)


def check_all(found: list[tuple[str, Any]], model_id: str) -> list[tuple[str, LocalFile, Any]]:
    """The located files, each checked (``LocalFile.of``): (location, LocalFile, the value given).
    All are checked before any is read or sent; a file that cannot be used is a ValidationError
    naming its place."""
    files = []
    for location, value in found:
        try:
            files.append((location, LocalFile.of(value), value))
        except LocalFileError as exc:
            raise ValidationError(model_id, [(location, str(exc))]) from None
    return files


def url_of(url: object) -> str:
    """What a storage callable returned, when it is a URL string; LocalFileError otherwise."""
    if not isinstance(url, str) or not url:
        raise LocalFileError(f"the uploads callable returned {url!r}, not a URL string")
    return url


def with_urls(value: Any, urls: Mapping[int, str]) -> Any:
    """`value` with each local file (by ``id``) replaced by its URL; the rest shared, not copied."""
    if id(value) in urls and (isinstance(value, LocalFile) or is_local(value)):
        return urls[id(value)]
    if isinstance(value, Mapping):
        return {k: with_urls(v, urls) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [with_urls(v, urls) for v in value]
    return value


def resolve(
    body: dict[str, Any], store: Literal["data-uri"] | FileStore | None, model_id: str
) -> dict[str, Any]:
    """`body` with every local file replaced by the URL `store` gives (``"data-uri"``: inline);
    without a store, a body holding a local file is a ValidationError (nothing is read)."""
    found = locate(body)
    if not found:
        return body
    if store is None:
        raise ValidationError(
            model_id,
            [
                (
                    found[0][0],
                    "holds a local file, which JSON cannot carry: resolve it with "
                    'to_body(request, files="data-uri"), files=client.files.url or '
                    "files=your_callable",
                )
            ],
        )
    urls: dict[int, str] = {}
    for location, file, value in check_all(found, model_id):
        try:
            urls[id(value)] = url_of(data_uri(file) if store == "data-uri" else store(file))
        except LocalFileError as exc:
            raise ValidationError(model_id, [(location, str(exc))]) from None
    result: dict[str, Any] = with_urls(body, urls)
    return result
