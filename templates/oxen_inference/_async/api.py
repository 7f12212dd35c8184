"""The generic surface of both clients: ``generate``, ``chat``, ``submit``, ``job``, downloads,
and the resources (``models``, ``queue``, ``generations``, ``files``).

``Oxen`` and ``AsyncOxen`` (in ``_client``) add one method per model on top, resolved lazily. What
a call checks and makes of the answer is in ``_api``; the resources, the event hub, jobs and chat
are imported (and made) on first use, so that creating a client stays cheap.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from .._answers import answer, connection_error
from .._api import (
    CONNECT_WAIT,
    ENQUEUED_HINT,
    EVENTS_IDLE_TIMEOUT,
    check_queueable,
    connect_wait,
    enqueued,
    refuse_stream,
)
from .._bodies import DEFAULT_MAX_RESPONSE_BYTES, check_optional_cap, too_large
from .._checks import check_url, segment
from .._downloads import Partial, size_of, target
from .._exceptions import ResponseTooLargeError
from .._limits import DEFAULT_MAX_CONCURRENCY, DOWNLOAD_IDLE_TIMEOUT, download_limits, positive
from .._media import DATA_URI_LIMIT, check_settings
from .._params import body_for, route_for
from .._retries import DEFAULT_MAX_RETRIES
from .._synchronization import AsyncDeadline
from .._types import OMIT, Omit, Progress, Timeout
from .api_client import AsyncAPIClient

if TYPE_CHECKING:
    import httpx

    from .._chat import ChatCompletion, ChatMessageParam
    from .._media import Uploads
    from .._models import GenerateResponse
    from .chat import AsyncChatStream
    from .events import AsyncEventHub
    from .jobs import AsyncJob
    from .resources import AsyncGenerations, AsyncModels, AsyncQueue
    from .uploads import AsyncFiles

__all__ = ["AsyncOxenBase"]


class AsyncOxenBase(AsyncAPIClient):
    """Everything ``AsyncOxen`` does except the per-model methods."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        http_client: httpx.AsyncClient | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        timeout: Timeout | Omit = OMIT,
        events: bool = True,
        events_idle_timeout: float = EVENTS_IDLE_TIMEOUT,
        uploads: Uploads = None,
        max_data_uri_bytes: int = DATA_URI_LIMIT,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        check_settings(uploads, max_data_uri_bytes)
        self._uploads = uploads
        self._max_data_uri_bytes = max_data_uri_bytes
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            http_client=http_client,
            max_retries=max_retries,
            timeout=timeout,
            max_concurrency=max_concurrency,
            max_response_bytes=max_response_bytes,
        )
        self._use_events = events
        self._events_idle_timeout = positive("events_idle_timeout", events_idle_timeout)

    @cached_property
    def _hub(self) -> AsyncEventHub:
        """The shared event stream (or poller) serving every waiting job of this client."""
        if self._root is not self:  # a with_options copy: its original's
            return self._root._hub
        from .events import AsyncEventHub

        return AsyncEventHub(
            self, use_events=self._use_events, idle_timeout=self._events_idle_timeout
        )

    @cached_property
    def files(self) -> AsyncFiles:
        """Local files to URLs: ``upload(path)``, ``data_uri(path)``, ``url`` (see ``uploads=``)."""
        if self._root is not self:  # a with_options copy: its original's
            return self._root.files
        from .uploads import AsyncFiles

        return AsyncFiles(self, self._uploads, self._max_data_uri_bytes)

    @cached_property
    def models(self) -> AsyncModels:
        """The model catalog: ``list()``, ``get(id)``, ``search(q)``."""
        from .resources import AsyncModels

        return AsyncModels(self)

    @cached_property
    def queue(self) -> AsyncQueue:
        """The queue listing: ``list(status=..., model=..., ...)``."""
        from .resources import AsyncQueue

        return AsyncQueue(self)

    @cached_property
    def generations(self) -> AsyncGenerations:
        """The paginated generation history: ``list()`` (lazy iterator), ``page(n)``."""
        from .resources import AsyncGenerations

        return AsyncGenerations(self)

    async def generate(
        self,
        model_id: str,
        *,
        target_namespace: str | Omit = OMIT,
        response_format: Literal["url", "b64_json"] | Omit = OMIT,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        max_retries: int | None = None,
        **params: Any,
    ) -> GenerateResponse:
        """Run `model_id` on its blocking route and return the answer (parameters checked first)."""
        return await self._generate(
            model_id,
            params,
            target_namespace=target_namespace,
            response_format=response_format,
            timeout=timeout,
            extra_headers=extra_headers,
            extra_body=extra_body,
            extra_query=extra_query,
            max_retries=max_retries,
        )

    async def _generate(
        self,
        model_id: str,
        params: Mapping[str, Any],
        *,
        target_namespace: str | Omit = OMIT,
        response_format: str | Omit = OMIT,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        max_retries: int | None = None,
    ) -> GenerateResponse:
        route = route_for(model_id)
        refuse_stream(model_id, route, params, extra_body)
        body = body_for(
            model_id,
            params,
            extra_body=extra_body,
            target_namespace=target_namespace,
            response_format=response_format,
        )
        # the uploads of local files count too (no timeout at all: the common case, no call)
        deadline = None if timeout is OMIT and self.timeout is OMIT else self.deadline_of(timeout)
        body = await self.files.resolve(body, model_id, deadline=deadline)  # local files -> URLs
        response = await self.request(
            "POST",
            route,
            json=body,
            unsafe=True,
            timeout=timeout,
            extra_headers=extra_headers,
            deadline=deadline,
            extra_query=extra_query,
            max_retries=max_retries,
        )
        from .._models import GenerateResponse  # the answer classes, on first use

        return answer(response, GenerateResponse.model_validate)

    @overload
    async def chat(
        self,
        model_id: str,
        *,
        messages: Sequence[ChatMessageParam],
        stream: Literal[False] = False,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        max_retries: int | None = None,
        **params: Any,
    ) -> ChatCompletion: ...
    @overload
    async def chat(
        self,
        model_id: str,
        *,
        messages: Sequence[ChatMessageParam],
        stream: Literal[True],
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        max_retries: int | None = None,
        **params: Any,
    ) -> AsyncChatStream: ...
    @overload
    async def chat(
        self,
        model_id: str,
        *,
        messages: Sequence[ChatMessageParam],
        stream: bool,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        max_retries: int | None = None,
        **params: Any,
    ) -> ChatCompletion | AsyncChatStream: ...
    async def chat(
        self,
        model_id: str,
        *,
        messages: Sequence[ChatMessageParam],
        stream: bool = False,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        max_retries: int | None = None,
        **params: Any,
    ) -> ChatCompletion | AsyncChatStream:
        """Chat with `model_id` (``POST /ai/chat/completions``, OpenAI-compatible).

        `messages` is the conversation (``[{"role": "user", "content": "..."}]``; a returned
        ``ChatMessage`` may be passed back); other OpenAI-style parameters (``temperature``,
        ``max_tokens``, ...) go in `params` and are sent as given. Without `stream`: a
        ``ChatCompletion``. With ``stream=True``: a ``AsyncChatStream`` of ``ChatCompletionChunk``,
        ``async with await client.chat(...) as stream: async for chunk in stream``.
        Errors mid-stream raise ``APIStreamError`` or ``APIConnectionError``; a stream is never
        retried once it has started. `timeout` bounds the wait for each chunk.
        """
        from .chat import send_chat

        return await send_chat(
            self,
            model_id,
            messages,
            params,
            stream=stream,
            timeout=timeout,
            extra_headers=extra_headers,
            extra_body=extra_body,
            extra_query=extra_query,
            max_retries=max_retries,
        )

    @overload
    async def submit(
        self,
        model_id: str,
        *,
        num_generations: Omit = OMIT,
        target_namespace: str | Omit = OMIT,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        max_retries: int | None = None,
        **params: Any,
    ) -> AsyncJob: ...
    @overload
    async def submit(
        self,
        model_id: str,
        *,
        num_generations: int,
        target_namespace: str | Omit = OMIT,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        max_retries: int | None = None,
        **params: Any,
    ) -> list[AsyncJob]: ...
    async def submit(
        self,
        model_id: str,
        *,
        num_generations: int | Omit = OMIT,
        target_namespace: str | Omit = OMIT,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        max_retries: int | None = None,
        **params: Any,
    ) -> AsyncJob | list[AsyncJob]:
        """Enqueue `model_id` (``POST /ai/queue``): a job, or a list of them when `num_generations` is given."""
        return await self._submit(
            model_id,
            params,
            num_generations=num_generations,
            target_namespace=target_namespace,
            timeout=timeout,
            extra_headers=extra_headers,
            extra_body=extra_body,
            extra_query=extra_query,
            max_retries=max_retries,
        )

    async def _submit(
        self,
        model_id: str,
        params: Mapping[str, Any],
        *,
        num_generations: int | Omit = OMIT,
        target_namespace: str | Omit = OMIT,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        max_retries: int | None = None,
    ) -> AsyncJob | list[AsyncJob]:
        check_queueable(model_id)
        body = body_for(
            model_id,
            params,
            extra_body=extra_body,
            num_generations=num_generations,
            target_namespace=target_namespace,
        )
        # the uploads of local files count too (no timeout at all: the common case, no call)
        deadline = None if timeout is OMIT and self.timeout is OMIT else self.deadline_of(timeout)
        body = await self.files.resolve(body, model_id, deadline=deadline)  # local files -> URLs
        # The stream is open before the job exists, so no event can be missed; if it cannot be
        # opened, the enqueue goes ahead and the job's waiters are served by reconciliation.
        epoch = await self._hub.start(CONNECT_WAIT if deadline is None else connect_wait(deadline))
        try:
            response = await self.request(
                "POST",
                "/ai/queue",
                json=body,
                unsafe=True,
                timeout=timeout,
                extra_headers=extra_headers,
                deadline=deadline,
                extra_query=extra_query,
                max_retries=max_retries,
            )
        except ResponseTooLargeError as exc:
            raise ResponseTooLargeError(
                exc.message + ENQUEUED_HINT, response=exc.response, limit=exc.limit
            ) from None
        job = self._job_class
        jobs = [
            job(self, gid, epoch=epoch, model_id=model_id, status=status)
            for gid, status in enqueued(response)
        ]
        return jobs[0] if isinstance(num_generations, Omit) else jobs

    @cached_property
    def _job_class(self) -> type[AsyncJob]:
        from .jobs import AsyncJob

        return AsyncJob

    def job(self, generation_id: str) -> AsyncJob:
        """A handle on an existing generation (e.g. one whose ``wait`` timed out)."""
        segment(generation_id, "generation_id")  # refused here rather than at first use
        return self._job_class(self, generation_id)

    async def download_url(
        self,
        url: str,
        path: str | os.PathLike[str],
        *,
        progress: Progress | None = None,
        timeout: Timeout | Omit = OMIT,
        idle_timeout: float = DOWNLOAD_IDLE_TIMEOUT,
        max_bytes: int | None = None,
    ) -> Path:
        """Stream `url` to `path`, following redirects; the API key goes only to the API's own
        origin. `timeout` bounds the whole download (default: none), `idle_timeout` each read;
        `max_bytes` its size (default: none): past it, ResponseTooLargeError and no file."""
        check_url(url, "url", base=False)
        cap = check_optional_cap("max_bytes", max_bytes)
        limits, deadline = download_limits(timeout, idle_timeout)
        response = await self.request(
            "GET",
            url,
            stream=True,
            timeout=limits,
            deadline=deadline,
            follow_redirects=True,
            extra_headers={"Accept": "*/*"},
        )
        return await self._save(response, url, path, progress, deadline, cap)

    async def _save(
        self,
        response: httpx.Response,
        url: str,
        path: str | os.PathLike[str],
        progress: Progress | None,
        deadline: float | None,
        cap: int | None,
    ) -> Path:
        """Write the body to `path` (atomically); each read waits at most the idle timeout, the
        whole download ends by `deadline`, and holds at most `cap` bytes."""
        import httpx

        total, done = size_of(response), 0
        try:
            if cap is not None and total is not None and total > cap:
                raise too_large(response, cap, "max_bytes")
            partial = Partial(target(path, url))
        except BaseException:
            await response.aclose()
            raise
        try:
            async with AsyncDeadline(deadline, response.request, "download"):
                async for chunk in response.aiter_bytes(65536):
                    done += len(chunk)
                    if cap is not None and done > cap:
                        raise too_large(response, cap, "max_bytes")
                    partial.write(chunk)
                    if progress is not None:
                        progress(done, total)
            return partial.commit()
        except httpx.TransportError as exc:
            partial.abort()
            raise connection_error(exc, response.request) from exc
        except BaseException:
            partial.abort()
            raise
        finally:
            await response.aclose()

    async def close(self) -> None:
        """Stop the event stream, end every pending wait with ClientClosedError, close the
        connections. Every later call raises ClientClosedError; closing twice is fine. A
        ``with_options`` copy closes its original (they share all of it)."""
        if self._root is not self:
            await self._root.close()
            return
        if "_hub" in self.__dict__:
            await self._hub.close()
        await super().close()

    aclose = close  # async only

    def _after_fork(self) -> None:
        """In a forked child (see ``_fork``): a new event hub and new upload bookkeeping."""
        super()._after_fork()
        for made in ("_hub", "files"):
            self.__dict__.pop(made, None)
