"""A request's local files to URLs: finding them in a body (``locate``), checking them all before
any is read (``check_all``), turning them into ``data:`` URIs within one cap for the whole request
(``inline_all``), or into what a storage callable gives, and putting the URLs in their places
(``with_urls``). ``to_body(request, files=...)`` goes through :func:`resolve`; the clients' own
``client.files`` through the same pieces (``_async/uploads.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from ._exceptions import ValidationError
from ._media import DATA_URI_LIMIT, LocalFile, LocalFileError, data_uri, is_local

if TYPE_CHECKING:
    from ._media import FileStore

__all__ = ["check_all", "inline_all", "locate", "resolve", "url_of", "with_urls"]

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
    files = check_all(found, model_id)
    if store == "data-uri":
        urls = inline_all(files, DATA_URI_LIMIT, model_id)
    else:
        urls = {}
        for location, file, value in files:
            try:
                urls[id(value)] = url_of(store(file))
            except LocalFileError as exc:
                raise ValidationError(model_id, [(location, str(exc))]) from None
    result: dict[str, Any] = with_urls(body, urls)
    return result


def inline_all(
    files: list[tuple[str, LocalFile, Any]], limit: int, model_id: str
) -> dict[int, str]:
    """Each file as a ``data:`` URI (by the ``id`` of the value given), all of them together
    within `limit` bytes: the sizes known without reading are added up first (each reference
    counts: the body carries each copy), so that nothing is read when they are already too many;
    a stream that cannot seek is then read at most as far as what is left allows, plus one byte.
    ValidationError naming the places otherwise."""
    known = [(location, file.known_size) for location, file, _ in files]
    total = sum(size for _, size in known if size is not None)
    if total > limit:
        places = ", ".join(location for location, size in known if size) or "body"
        raise ValidationError(
            model_id,
            [
                (
                    places,
                    f"{total:,} bytes, more than the {limit:,} bytes that one request sends "
                    "inline as data URIs (max_data_uri_bytes: all its local files together); "
                    'upload them instead with Oxen(uploads="namespace/repo"), or '
                    "uploads=callable for your own storage",
                )
            ],
        )
    urls: dict[int, str] = {}
    left = limit - total
    for location, file, value in files:
        try:
            if file.known_size is None:  # a stream: what the others leave, at most
                urls[id(value)] = data_uri(file, left)
                left -= file.size
            else:
                urls[id(value)] = data_uri(file, limit)
        except LocalFileError as exc:
            raise ValidationError(model_id, [(location, str(exc))]) from None
    return urls
