"""``client.files``: local files to URLs, by the client's strategy (see ``_uploads``)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .._answers import connection_error
from .._exceptions import APIStatusError, ValidationError, status_error
from .._media import LocalFile, LocalFileError, check_all, data_uri, locate, url_of, with_urls
from .._request import RequestModel, dump
from .._synchronization import (
    AsyncKeyedLocks,
    async_call_store,
    async_iterate,
    async_run_blocking,
    async_sleep,
)
from .._types import OMIT, Progress
from .._uploads import (
    REPO_DESCRIPTION,
    Plan,
    already_there,
    create_body,
    missing_repo,
    raise_unless_missing,
    stored,
)

if TYPE_CHECKING:
    from .api import AsyncOxenBase

__all__ = ["AsyncFiles"]


class AsyncFiles:
    """``client.files``: local files to URLs for :class:`~oxen_inference.AsyncOxen` (see the
    module doc of ``_uploads``; on ``AsyncOxen``, files are read and hashed in worker threads)."""

    def __init__(self, client: AsyncOxenBase, uploads: Any, max_data_uri_bytes: int) -> None:
        self._client = client
        self.uploads = uploads
        self.max_data_uri_bytes = max_data_uri_bytes
        self._stored: dict[str, str] = {}  # "ns/repo:path" -> URL, what this client stored
        self._pending = AsyncKeyedLocks()  # one lock per content being stored

    async def url(self, file: LocalFile) -> str:
        """The URL for `file` by this client's strategy (a FileStore for ``to_body``)."""
        file = LocalFile.of(file)
        if self.uploads is None:
            return await async_run_blocking(data_uri, file, self.max_data_uri_bytes)
        if isinstance(self.uploads, str):
            return await self.upload(file, repo=self.uploads)
        return url_of(await async_call_store(self.uploads, file))

    async def data_uri(self, value: Any) -> str:
        """`value` (a path, bytes, a file object) as a ``data:`` URI, within ``max_data_uri_bytes``."""
        return await async_run_blocking(data_uri, LocalFile.of(value), self.max_data_uri_bytes)

    async def resolve(
        self, body: dict[str, Any] | Any, model_id: str | None = None
    ) -> dict[str, Any]:
        """`body` (a dict, or a request object) with every local file turned into a URL."""
        if isinstance(body, RequestModel):
            model_id = model_id or type(body).__name__
            body = dump(body)
        found = locate(body)  # one walk; nothing found on the common path
        if not found:
            return body
        model_id = model_id or str(body.get("model", ""))
        urls: dict[int, str] = {}
        for location, file, value in check_all(found, model_id):
            try:
                urls[id(value)] = await self.url(file)
            except LocalFileError as exc:
                raise ValidationError(model_id, [(location, str(exc))]) from None
        resolved: dict[str, Any] = with_urls(body, urls)
        return resolved

    async def upload(
        self, value: Any, *, repo: str | None = None, progress: Progress | None = None
    ) -> str:
        """Store `value` (a path, bytes, a file object) in the Oxen repository `repo` (default:
        the client's ``uploads``; it must exist, see :meth:`create_repo`) and return its URL.
        The same content is stored once. `progress(sent, total)` is called after each piece, or
        once with the full size when the content is there already."""
        target = repo if repo is not None else self.uploads
        if not isinstance(target, str):
            raise ValueError(
                'upload() needs repo="namespace/repo" (or AsyncOxen(uploads="namespace/repo"))'
            )
        file = LocalFile.of(value)
        base = str(self._client.base_url)
        plan = await async_run_blocking(Plan, base, target, file)  # hashes the file
        known = self._stored.get(plan.key)
        if known is None:
            async with self._pending.hold(plan.key):  # the same content: wait for the first
                known = self._stored.get(plan.key)
                if known is None:
                    return await self._store(plan, progress)
        already_there(plan, progress)
        return known

    async def _store(self, plan: Plan, progress: Progress | None) -> str:
        try:
            await self._client.request("HEAD", plan.route, extra_headers={"Accept": "*/*"})
            url = plan.url(None)
            already_there(plan, progress)
        except APIStatusError as exc:
            raise_unless_missing(exc)
            try:
                answered = await self._put(plan, progress)
            except APIStatusError as refused:
                raise missing_repo(plan, refused) from None
            url = plan.url(answered.get("file"))
        self._stored[plan.key] = url
        return url

    async def create_repo(
        self, repo: str | None = None, *, public: bool, description: str = REPO_DESCRIPTION
    ) -> bool:
        """Create the Oxen repository `repo` ("namespace/repo"; default: the client's
        ``uploads``) for input files: True when it was made, False when it existed already (as
        it is: this does not make an existing repository public). `public` must be given: model
        providers download inputs without a key, so they can only read a public repository."""
        target = repo if repo is not None else self.uploads
        if not isinstance(target, str):
            raise ValueError('create_repo() needs "namespace/repo" (or AsyncOxen(uploads=...))')
        try:
            await self._client.request(
                "POST", "/repos", json=create_body(target, public, description), unsafe=True
            )
        except APIStatusError as exc:
            if exc.status_code != 409:  # 409: it exists already
                raise
            return False
        return True

    async def _put(self, plan: Plan, progress: Progress | None) -> dict[str, Any]:
        """The multipart ``PUT``, streamed from disk, retried with a fresh body when it may be;
        only each phase is bounded (an upload takes as long as the file needs)."""
        import httpx

        client = self._client
        attempt = 0
        while True:
            url, headers, limit = client._prepare("PUT", plan.route, OMIT, plan.headers, None)
            content = async_iterate(plan.body(progress))
            request = client._http.build_request(
                "PUT", url, content=content, headers=headers, timeout=limit
            )
            client._log_request(request, attempt)
            started = time.monotonic()
            try:
                response = await client._http.send(request)
            except httpx.TransportError as exc:
                delay = client._next_delay(attempt, True, None, exc=exc)
                if delay is None:
                    raise connection_error(exc, request, attempt + 1) from exc
            else:
                client._log_response(response, started)
                if response.is_success:
                    return stored(response)
                delay = client._next_delay(
                    attempt, True, None, status=response.status_code, headers=response.headers
                )
                if delay is None:
                    raise status_error(response)
            await async_sleep(delay)
            attempt += 1
