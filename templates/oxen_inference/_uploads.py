"""Turning local files into URLs before a request is sent: ``client.files`` and its strategies.

- **data URI** (default): ``data:image/png;base64,...`` inline in the JSON body, for files up to
  ``max_data_uri_bytes`` (10 MiB by default). Past it, a ``ValidationError`` names the parameter and
  the upload option. Oxen's docs accept data URIs but do not recommend them for production.
- **upload** (``Oxen(uploads="namespace/repo")``): the file is stored in that Oxen repository and
  its ``/file/`` URL is sent (``{base_url}/repos/{namespace}/{repo}/file/main/inputs/<sha256>.<ext>``).
  The repository must exist and be public (providers download inputs without a key); the client
  never creates one by itself: ``client.files.create_repo("namespace/repo", public=True)`` does,
  as an explicit choice, and an upload into a missing repository raises ``NotFoundError`` saying
  so. The path is the content's SHA-256, so the same file is stored once: before uploading,
  the client asks whether that path exists (``HEAD``), and remembers what it stored. The upload is
  a multipart ``PUT`` streamed from disk in 1 MiB pieces (never the whole file in memory), with
  a commit message naming this client.
- **your own storage** (``uploads=callable``): ``callable(local_file) -> url`` for each file
  (``AsyncOxen`` also takes an ``async`` callable; a plain one runs in a worker thread).

``client.files.upload(value, repo=..., progress=...)`` and ``client.files.data_uri(value)`` do one
file explicitly (per call, whatever the client's setting); ``client.files.url`` is the client's
strategy as a callable, for ``to_body(request, files=client.files.url)``;
``client.files.create_repo(repo, public=...)`` creates the repository uploads go to.
"""

from __future__ import annotations

import inspect
import secrets
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

from ._exceptions import APIStatusError, NotFoundError, ValidationError, status_error
from ._media import (
    FileStore,
    LocalFile,
    LocalFileError,
    data_uri,
    find,
    has_local,
    parse_repo,
    replace,
)
from ._types import OMIT
from ._version import USER_AGENT

if TYPE_CHECKING:
    import asyncio

    import httpx

    from ._api import AsyncOxenBase, SyncOxenBase
    from ._jobs import Progress

__all__ = ["AsyncFiles", "Files", "resolve_async", "resolve_sync"]

BRANCH = "main"
FOLDER = "inputs"
REPO_DESCRIPTION = f"Input files uploaded by {USER_AGENT} for Oxen model inference"


def _located(body: Mapping[str, Any]) -> list[tuple[str, LocalFile | Any]]:
    return list(find(body))


def _fail(model_id: str, location: str, exc: Exception) -> ValidationError:
    return ValidationError(model_id, [(location, str(exc))])


def _url_of(location: str, url: object) -> str:
    if not isinstance(url, str) or not url:
        raise LocalFileError(f"the uploads callable returned {url!r}, not a URL string")
    return url


def resolve_sync(
    body: dict[str, Any], store: Literal["data-uri"] | FileStore | None, model_id: str
) -> dict[str, Any]:
    """`body` with every local file replaced by the URL `store` gives (all checked first)."""
    found = _located(body)
    if not found:
        return body
    if store is None:
        location = found[0][0]
        raise ValidationError(
            model_id,
            [
                (
                    location,
                    "holds a local file, which JSON cannot carry: resolve it with "
                    'to_body(request, files="data-uri"), files=client.files.url or '
                    "files=your_callable",
                )
            ],
        )
    files: list[tuple[str, LocalFile, Any]] = []
    for location, value in found:
        try:
            files.append((location, LocalFile.of(value), value))
        except LocalFileError as exc:
            raise _fail(model_id, location, exc) from None
    urls: dict[int, str] = {}
    for location, file, value in files:
        try:
            url = data_uri(file) if store == "data-uri" else store(file)
            urls[id(value)] = _url_of(location, url)
        except LocalFileError as exc:
            raise _fail(model_id, location, exc) from None
    result: dict[str, Any] = replace(body, urls)
    return result


async def resolve_async(
    body: dict[str, Any],
    store: Callable[[LocalFile], Awaitable[str] | str],
    model_id: str,
) -> dict[str, Any]:
    """:func:`resolve_sync` for asyncio: a plain `store` runs in a worker thread."""
    import asyncio

    found = _located(body)
    if not found:
        return body
    files: list[tuple[str, LocalFile, Any]] = []
    for location, value in found:
        try:
            files.append((location, LocalFile.of(value), value))
        except LocalFileError as exc:
            raise _fail(model_id, location, exc) from None
    urls: dict[int, str] = {}
    for location, file, value in files:
        try:
            if inspect.iscoroutinefunction(store):
                url: object = await store(file)
            else:
                url = await asyncio.to_thread(store, file)
                if inspect.isawaitable(url):
                    url = await url
            urls[id(value)] = _url_of(location, url)
        except LocalFileError as exc:
            raise _fail(model_id, location, exc) from None
    result: dict[str, Any] = replace(body, urls)
    return result


class _Plan:
    """One upload: where the file goes, the multipart framing around its bytes."""

    def __init__(self, client: SyncOxenBase | AsyncOxenBase, repo: str, file: LocalFile) -> None:
        self.namespace, self.name = parse_repo(repo)
        self.file = file
        self.path = f"{FOLDER}/{file.sha256()}{file.extension}"
        self.route = f"/repos/{self.namespace}/{self.name}/file/{BRANCH}/{self.path}"
        self.key = f"{self.namespace}/{self.name}:{self.path}"
        self.base = str(client.base_url)
        boundary = secrets.token_hex(16)
        message = (
            f"Add {self.path} ({file.media_type}, {file.size} bytes), uploaded by {USER_AGENT}"
        )
        fields = {"message": message, "name": USER_AGENT.split("/", 1)[0]}
        head = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        )
        filename = self.path.rsplit("/", 1)[-1]
        head += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f"Content-Type: {file.media_type}\r\n\r\n"
        ).encode()
        self.head = head
        self.tail = f"\r\n--{boundary}--\r\n".encode()
        self.headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(head) + file.size + len(self.tail)),
        }

    def url(self, stored: object) -> str:
        """The /file/ URL of what the server stored (its answer's path, else ours)."""
        path = stored.get("path") if isinstance(stored, dict) else None
        if not isinstance(path, str) or not path or ".." in path.split("/"):
            path = self.path
        return f"{self.base}/repos/{self.namespace}/{self.name}/file/{BRANCH}/{path.lstrip('/')}"

    def body(self, progress: Progress | None) -> Iterator[bytes]:
        yield self.head
        done, total = 0, self.file.size
        for chunk in self.file.chunks():
            done += len(chunk)
            yield chunk
            if progress is not None:
                progress(done, total)
        yield self.tail


def _already_there(plan: _Plan, progress: Progress | None) -> None:
    """Content the repository holds already costs no upload: `progress` hears once that all of
    it is there, as it would at the end of an upload."""
    if progress is not None:
        progress(plan.file.size, plan.file.size)


def _create_body(repo: str, public: object, description: str) -> dict[str, Any]:
    """The ``POST /repos`` body for `repo`; `public` must be said, True or False."""
    if not isinstance(public, bool):
        raise TypeError(
            "create_repo() needs public=True (model providers download inputs without a key, "
            "so uploads need a public repository) or public=False"
        )
    namespace, name = parse_repo(repo)
    return {"namespace": namespace, "name": name, "description": description, "is_public": public}


def _missing_repo(plan: _Plan, exc: APIStatusError) -> APIStatusError:
    """A 404 answer to an upload: the repository (or its branch) is not there. The client never
    creates one by itself; the error says why and how."""
    if exc.status_code != 404:
        return exc
    repo = f"{plan.namespace}/{plan.name}"
    return NotFoundError(
        f"cannot upload to {repo} ({exc.message}): the client never creates a repository by "
        f"itself. Create it once, public so that model providers can download the inputs "
        f"without a key: client.files.create_repo({repo!r}, public=True)",
        response=exc.response,
        body=exc.body,
        type=exc.type,
    )


def _exists(exc: APIStatusError) -> bool:
    if exc.status_code in (404, 405):
        return False
    raise exc


class Files:
    """``client.files``: local files to URLs for :class:`~oxen_inference.Oxen` (see the module doc)."""

    def __init__(self, client: SyncOxenBase, uploads: Any, max_data_uri_bytes: int) -> None:
        self._client = client
        self.uploads = uploads
        self.max_data_uri_bytes = max_data_uri_bytes
        self._stored: dict[str, str] = {}  # "ns/repo:path" -> URL, what this client stored
        self._lock = threading.Lock()
        self._pending: dict[str, threading.Lock] = {}  # one lock per content being stored

    def url(self, file: LocalFile) -> str:
        """The URL for `file` by this client's strategy (a FileStore for ``to_body``)."""
        file = LocalFile.of(file)
        if self.uploads is None:
            return data_uri(file, self.max_data_uri_bytes)
        if isinstance(self.uploads, str):
            return self.upload(file, repo=self.uploads)
        return _url_of("", self.uploads(file))

    def data_uri(self, value: Any) -> str:
        """`value` (a path, bytes, a file object) as a ``data:`` URI, within ``max_data_uri_bytes``."""
        return data_uri(LocalFile.of(value), self.max_data_uri_bytes)

    def resolve(self, body: dict[str, Any] | Any, model_id: str | None = None) -> dict[str, Any]:
        """`body` (a dict, or a request object) with every local file turned into a URL."""
        if type(body) is dict and not has_local(body):
            return body
        from ._request import RequestModel, dump

        if isinstance(body, RequestModel):
            return self.resolve(dump(body), model_id or str(type(body).__name__))
        return resolve_sync(body, self.url, model_id or str(body.get("model", "")))

    def upload(
        self, value: Any, *, repo: str | None = None, progress: Progress | None = None
    ) -> str:
        """Store `value` (a path, bytes, a file object) in the Oxen repository `repo` (default:
        the client's ``uploads``; it must exist, see :meth:`create_repo`) and return its URL.
        The same content is stored once. `progress(sent, total)` is called after each piece, or
        once with the full size when the content is there already."""
        target = repo if repo is not None else self.uploads
        if not isinstance(target, str):
            raise ValueError(
                'upload() needs repo="namespace/repo" (or Oxen(uploads="namespace/repo"))'
            )
        plan = _Plan(self._client, target, LocalFile.of(value))
        known = self._stored.get(plan.key)
        if known is None:
            with self._lock:  # threads uploading the same content wait for the first one
                lock = self._pending.setdefault(plan.key, threading.Lock())
            with lock:
                known = self._stored.get(plan.key)
                if known is None:
                    return self._store(plan, progress)
        _already_there(plan, progress)
        return known

    def _store(self, plan: _Plan, progress: Progress | None) -> str:
        client = self._client
        try:
            client.request("HEAD", plan.route, extra_headers={"Accept": "*/*"})
            url = plan.url(None)
            _already_there(plan, progress)
        except APIStatusError as exc:
            _exists(exc)
            try:
                stored = self._put(plan, progress)
            except APIStatusError as refused:
                raise _missing_repo(plan, refused) from None
            url = plan.url(stored.get("file"))
        self._stored[plan.key] = url
        return url

    def create_repo(
        self, repo: str | None = None, *, public: bool, description: str = REPO_DESCRIPTION
    ) -> bool:
        """Create the Oxen repository `repo` ("namespace/repo"; default: the client's
        ``uploads``) for input files: True when it was made, False when it existed already (as
        it is: this does not make an existing repository public). `public` must be given: model
        providers download inputs without a key, so they can only read a public repository."""
        target = repo if repo is not None else self.uploads
        if not isinstance(target, str):
            raise ValueError('create_repo() needs "namespace/repo" (or Oxen(uploads=...))')
        try:
            self._client.request(
                "POST", "/repos", json=_create_body(target, public, description), unsafe=True
            )
        except APIStatusError as exc:
            if exc.status_code != 409:  # 409: it exists already
                raise
            return False
        return True

    def _put(self, plan: _Plan, progress: Progress | None) -> dict[str, Any]:
        import httpx

        client = self._client
        attempt = 0
        while True:
            url, headers, limit = client._prepare("PUT", plan.route, OMIT, plan.headers, None)
            request = client._http.build_request(
                "PUT", url, content=plan.body(progress), headers=headers, timeout=limit
            )
            client._log_request(request, attempt)
            started = time.monotonic()
            try:
                response = client._http.send(request)
            except httpx.TransportError as exc:
                delay = client._next_delay(attempt, True, None, exc=exc)
                if delay is None:
                    from ._base_client import connection_error

                    raise connection_error(exc, request, attempt + 1) from exc
            else:
                client._log_response(response, started)
                if response.is_success:
                    return _answer(response)
                delay = client._next_delay(
                    attempt, True, None, status=response.status_code, headers=response.headers
                )
                if delay is None:
                    raise status_error(response)
            time.sleep(delay)
            attempt += 1


class AsyncFiles:
    """``client.files`` for :class:`~oxen_inference.AsyncOxen`: the same, with ``await``."""

    def __init__(self, client: AsyncOxenBase, uploads: Any, max_data_uri_bytes: int) -> None:
        self._client = client
        self.uploads = uploads
        self.max_data_uri_bytes = max_data_uri_bytes
        self._stored: dict[str, str] = {}
        self._pending: dict[str, asyncio.Lock] = {}

    async def url(self, file: LocalFile) -> str:
        """The URL for `file` by this client's strategy."""
        import asyncio

        file = LocalFile.of(file)
        if self.uploads is None:
            return await asyncio.to_thread(data_uri, file, self.max_data_uri_bytes)
        if isinstance(self.uploads, str):
            return await self.upload(file, repo=self.uploads)
        if inspect.iscoroutinefunction(self.uploads):
            return _url_of("", await self.uploads(file))
        url = await asyncio.to_thread(self.uploads, file)
        return _url_of("", await url if inspect.isawaitable(url) else url)

    async def data_uri(self, value: Any) -> str:
        """`value` as a ``data:`` URI, within ``max_data_uri_bytes``."""
        import asyncio

        return await asyncio.to_thread(data_uri, LocalFile.of(value), self.max_data_uri_bytes)

    async def resolve(
        self, body: dict[str, Any] | Any, model_id: str | None = None
    ) -> dict[str, Any]:
        """`body` (a dict, or a request object) with every local file turned into a URL."""
        if type(body) is dict and not has_local(body):
            return body
        from ._request import RequestModel, dump

        if isinstance(body, RequestModel):
            return await self.resolve(dump(body), model_id or str(type(body).__name__))
        return await resolve_async(body, self.url, model_id or str(body.get("model", "")))

    async def upload(
        self, value: Any, *, repo: str | None = None, progress: Progress | None = None
    ) -> str:
        """Store `value` in the Oxen repository `repo` (default: the client's ``uploads``)."""
        import asyncio

        target = repo if repo is not None else self.uploads
        if not isinstance(target, str):
            raise ValueError(
                'upload() needs repo="namespace/repo" (or AsyncOxen(uploads="namespace/repo"))'
            )
        file = LocalFile.of(value)
        plan = await asyncio.to_thread(_Plan, self._client, target, file)  # hashes the file
        known = self._stored.get(plan.key)
        if known is None:
            # Tasks uploading the same content (a batch sharing one reference image) wait for the first.
            async with self._pending.setdefault(plan.key, asyncio.Lock()):
                known = self._stored.get(plan.key)
                if known is None:
                    return await self._store(plan, progress)
        _already_there(plan, progress)
        return known

    async def _store(self, plan: _Plan, progress: Progress | None) -> str:
        client = self._client
        try:
            await client.request("HEAD", plan.route, extra_headers={"Accept": "*/*"})
            url = plan.url(None)
            _already_there(plan, progress)
        except APIStatusError as exc:
            _exists(exc)
            try:
                stored = await self._put(plan, progress)
            except APIStatusError as refused:
                raise _missing_repo(plan, refused) from None
            url = plan.url(stored.get("file"))
        self._stored[plan.key] = url
        return url

    async def create_repo(
        self, repo: str | None = None, *, public: bool, description: str = REPO_DESCRIPTION
    ) -> bool:
        """Create the Oxen repository `repo` for input files (see :meth:`Files.create_repo`)."""
        target = repo if repo is not None else self.uploads
        if not isinstance(target, str):
            raise ValueError('create_repo() needs "namespace/repo" (or AsyncOxen(uploads=...))')
        try:
            await self._client.request(
                "POST", "/repos", json=_create_body(target, public, description), unsafe=True
            )
        except APIStatusError as exc:
            if exc.status_code != 409:
                raise
            return False
        return True

    async def _put(self, plan: _Plan, progress: Progress | None) -> dict[str, Any]:
        import asyncio

        import httpx

        client = self._client
        attempt = 0
        while True:
            url, headers, limit = client._prepare("PUT", plan.route, OMIT, plan.headers, None)
            request = client._http.build_request(
                "PUT", url, content=_in_thread(plan.body(progress)), headers=headers, timeout=limit
            )
            client._log_request(request, attempt)
            started = time.monotonic()
            try:
                response = await client._http.send(request)
            except httpx.TransportError as exc:
                delay = client._next_delay(attempt, True, None, exc=exc)
                if delay is None:
                    from ._base_client import connection_error

                    raise connection_error(exc, request, attempt + 1) from exc
            else:
                client._log_response(response, started)
                if response.is_success:
                    return _answer(response)
                delay = client._next_delay(
                    attempt, True, None, status=response.status_code, headers=response.headers
                )
                if delay is None:
                    raise status_error(response)
            await asyncio.sleep(delay)
            attempt += 1


async def _in_thread(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """An iterator of file pieces read in a worker thread, so disk reads never block the loop."""
    import asyncio

    done = object()
    while True:
        chunk = await asyncio.to_thread(next, chunks, done)
        if chunk is done:
            return
        assert isinstance(chunk, bytes)
        yield chunk


def _answer(response: httpx.Response) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}
