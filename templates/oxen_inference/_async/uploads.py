"""``client.files``: local files to URLs, by the client's strategy (see ``_uploads``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._exceptions import APIStatusError, ValidationError
from .._media import LocalFile, LocalFileError, data_uri
from .._request import RequestModel, dump
from .._resolve import check_all, inline_all, locate, url_of, with_urls
from .._synchronization import (
    AsyncKeyedLocks,
    async_call_store,
    async_iterate,
    async_run_blocking,
)
from .._types import OMIT, Omit, Progress, Timeout
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

    async def url(self, file: LocalFile, *, deadline: float | None = None) -> str:
        """The URL for `file` by this client's strategy (a FileStore for ``to_body``); an upload
        ends by `deadline` (a ``time.monotonic()`` instant)."""
        file = LocalFile.of(file)
        if self.uploads is None:
            return await async_run_blocking(data_uri, file, self.max_data_uri_bytes)
        if isinstance(self.uploads, str):
            return await self._upload(file, self.uploads, None, deadline)
        return url_of(await async_call_store(self.uploads, file))

    async def data_uri(self, value: Any) -> str:
        """`value` (a path, bytes, a file object) as a ``data:`` URI, within ``max_data_uri_bytes``."""
        return await async_run_blocking(data_uri, LocalFile.of(value), self.max_data_uri_bytes)

    async def resolve(
        self,
        body: dict[str, Any] | Any,
        model_id: str | None = None,
        *,
        deadline: float | None = None,
    ) -> dict[str, Any]:
        """`body` (a dict, or a request object) with every local file turned into a URL; the
        uploads end by `deadline` (the call's, a ``time.monotonic()`` instant)."""
        if isinstance(body, RequestModel):
            model_id = model_id or type(body).__name__
            body = dump(body)
        found = locate(body)  # one walk; nothing found on the common path
        if not found:
            return body
        model_id = model_id or str(body.get("model", ""))
        files = check_all(found, model_id)
        urls: dict[int, str] = {}
        if self.uploads is None:  # inline, all of the request's files within one cap
            urls = await async_run_blocking(inline_all, files, self.max_data_uri_bytes, model_id)
        for location, file, value in files if self.uploads is not None else ():
            try:
                urls[id(value)] = await self.url(file, deadline=deadline)
            except LocalFileError as exc:
                raise ValidationError(model_id, [(location, str(exc))]) from None
        resolved: dict[str, Any] = with_urls(body, urls)
        return resolved

    async def upload(
        self,
        value: Any,
        *,
        repo: str | None = None,
        progress: Progress | None = None,
        timeout: Timeout | Omit = OMIT,
    ) -> str:
        """Store `value` (a path, bytes, a file object) in the Oxen repository `repo` (default:
        the client's ``uploads``; it must exist, see :meth:`create_repo`) and return its URL.
        The same content is stored once. `progress(sent, total)` is called after each piece, or
        once with the full size when the content is there already. `timeout` bounds the whole
        upload (default: the client's ``timeout``, else each request by its own limits)."""
        target = repo if repo is not None else self.uploads
        if not isinstance(target, str):
            raise ValueError(
                'upload() needs repo="namespace/repo" (or AsyncOxen(uploads="namespace/repo"))'
            )
        deadline = self._client.deadline_of(timeout)
        return await self._upload(LocalFile.of(value), target, progress, deadline)

    async def _upload(
        self, file: LocalFile, target: str, progress: Progress | None, deadline: float | None
    ) -> str:
        self._client._check_open()
        base = str(self._client.base_url)
        plan = await async_run_blocking(Plan, base, target, file)  # hashes the file
        known = self._stored.get(plan.key)
        if known is None:
            async with self._pending.hold(plan.key):  # the same content: wait for the first
                known = self._stored.get(plan.key)
                if known is None:
                    return await self._store(plan, progress, deadline)
        already_there(plan, progress)
        return known

    async def _store(self, plan: Plan, progress: Progress | None, deadline: float | None) -> str:
        try:
            await self._client.request(
                "HEAD", plan.route, extra_headers={"Accept": "*/*"}, deadline=deadline
            )
            url = plan.url(None)
            already_there(plan, progress)
        except APIStatusError as exc:
            raise_unless_missing(exc)
            try:
                answered = await self._put(plan, progress, deadline)
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

    async def _put(
        self, plan: Plan, progress: Progress | None, deadline: float | None
    ) -> dict[str, Any]:
        """The multipart ``PUT``, streamed from disk (a fresh stream for each attempt), retried
        when the server surely did not store it, ended by `deadline` like any request."""
        response = await self._client.request(
            "PUT",
            plan.route,
            content=lambda: async_iterate(plan.body(progress)),
            extra_headers=plan.headers,
            unsafe=True,
            deadline=deadline,
        )
        return stored(response)
