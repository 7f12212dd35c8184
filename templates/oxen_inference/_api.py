"""The generic surface of both clients: ``generate``, ``submit``, ``job``, downloads, resources.

``Oxen`` and ``AsyncOxen`` (in ``_client``) add one method per model on top, resolved lazily.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from functools import cache, cached_property
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self, overload

from . import _registry
from ._base_client import (
    CONNECT_TIMEOUT,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_RETRIES,
    AsyncAPIClient,
    SyncAPIClient,
    answer,
    check_url,
    overall_limit,
    read_json,
    segment,
    unexpected_answer,
)
from ._exceptions import ValidationError
from ._media import DATA_URI_LIMIT, check_settings
from ._params import body_for, check_model_id, route_for
from ._types import OMIT, Omit, Timeout

if TYPE_CHECKING:  # the rest is imported on first use, so that creating a client stays cheap
    import httpx

    from ._async.resources import AsyncGenerations, AsyncModels, AsyncQueue
    from ._batch import AsyncBatches, Batches
    from ._chat import AsyncChatStream, ChatCompletion, ChatMessageParam, ChatStream
    from ._events import AsyncEventHub, EventHub
    from ._jobs import AsyncJob, Job, Progress
    from ._media import Uploads
    from ._models import GenerateResponse
    from ._sync.resources import Generations, Models, Queue
    from ._uploads import AsyncFiles, Files

__all__ = ["AsyncOxenBase", "SyncOxenBase"]

EVENTS_IDLE_TIMEOUT = (
    45.0  # the event stream is dead after this long without a byte (keep-alives every 15 s)
)
CHAT_ROUTE = "/ai/chat/completions"
DOWNLOAD_IDLE_TIMEOUT = 60.0  # the longest wait for the next chunk of a download


@cache
def _job_classes() -> tuple[type[Job], type[AsyncJob]]:
    """``Job`` and ``AsyncJob``, imported by the first submit. A relative import inside a
    function costs about a microsecond on every call; this costs a cache hit."""
    from ._jobs import AsyncJob, Job

    return Job, AsyncJob


def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{name} must be a number of seconds > 0, got {value!r}")
    return float(value)


def _refuse_stream(
    model_id: str, route: str, params: Mapping[str, Any], extra_body: Mapping[str, Any] | None
) -> None:
    """``generate`` returns one answer: a chat stream goes through ``chat(..., stream=True)``."""
    if route == CHAT_ROUTE and (params.get("stream") or (extra_body or {}).get("stream")):
        raise ValidationError(
            model_id,
            [
                (
                    "stream",
                    "generate() cannot stream; call client.chat(model_id, messages=[...], "
                    "stream=True), which returns an iterator of ChatCompletionChunk",
                )
            ],
        )


def _check_queueable(model_id: str) -> None:
    check_model_id(model_id)
    entry = _registry.get(model_id)
    if entry is not None and entry.media is None:
        route = entry.route
        hint = f"; call generate() (POST {route})" if route else ""
        raise ValidationError(model_id, [("", f"the queue runs image and video models only{hint}")])


def _enqueued(response: httpx.Response) -> list[tuple[str, str]]:
    """``(generation_id, status)`` of each job the enqueue answered (status as the server said);
    an answer without them raises APIResponseValidationError (the jobs may exist all the same)."""
    hint = "; the jobs may have been created all the same: see client.queue.list()"
    payload = read_json(response, hint)
    rows = payload.get("generations") if isinstance(payload, dict) else None
    jobs = [
        (r["generation_id"], r["status"] if isinstance(r.get("status"), str) else "queued")
        for r in rows or []
        if isinstance(r, dict) and isinstance(r.get("generation_id"), str)
    ]
    if not jobs:
        raise unexpected_answer(response, payload, "no generations with an id in it" + hint)
    return jobs


def _download_limits(
    timeout: Timeout | Omit, idle_timeout: float
) -> tuple[httpx.Timeout, float | None]:
    """Per-phase limits of a download (each read waits at most `idle_timeout`) and its deadline."""
    import time

    import httpx

    idle = _positive("idle_timeout", idle_timeout)
    overall = None
    if not isinstance(timeout, Omit) and timeout is not None:
        overall = overall_limit(
            timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        )
    deadline = None if overall is None else time.monotonic() + overall
    return httpx.Timeout(idle, connect=min(CONNECT_TIMEOUT, idle)), deadline


class SyncOxenBase(SyncAPIClient):
    """Everything ``Oxen`` does except the per-model methods."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        http_client: httpx.Client | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        timeout: Timeout | Omit = OMIT,
        events: bool = True,
        events_idle_timeout: float = EVENTS_IDLE_TIMEOUT,
        uploads: Uploads = None,
        max_data_uri_bytes: int = DATA_URI_LIMIT,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
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
        )
        self._use_events = events
        self._events_idle_timeout = _positive("events_idle_timeout", events_idle_timeout)

    @cached_property
    def _hub(self) -> EventHub:
        """The shared event stream (or poller) serving every waiting job of this client."""
        from ._events import EventHub

        return EventHub(self, use_events=self._use_events, idle_timeout=self._events_idle_timeout)

    @cached_property
    def files(self) -> Files:
        """Local files to URLs: ``upload(path)``, ``data_uri(path)``, ``url`` (see ``uploads=``)."""
        from ._uploads import Files

        return Files(self, self._uploads, self._max_data_uri_bytes)

    @cached_property
    def models(self) -> Models:
        """The model catalog: ``list()``, ``get(id)``, ``search(q)``."""
        from ._sync.resources import Models

        return Models(self)

    @cached_property
    def queue(self) -> Queue:
        """The queue listing: ``list(status=..., model=..., ...)``."""
        from ._sync.resources import Queue

        return Queue(self)

    @cached_property
    def generations(self) -> Generations:
        """The paginated generation history: ``list()`` (lazy iterator), ``page(n)``."""
        from ._sync.resources import Generations

        return Generations(self)

    @cached_property
    def batches(self) -> Batches:
        """Batch runs that survive the process: ``run(inputs, out)``, ``check``, ``estimate``."""
        from ._batch import Batches

        return Batches(self)

    def generate(
        self,
        model_id: str,
        *,
        target_namespace: str | Omit = OMIT,
        response_format: Literal["url", "b64_json"] | Omit = OMIT,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> GenerateResponse:
        """Run `model_id` on its blocking route and return the answer (parameters checked first)."""
        return self._generate(
            model_id,
            params,
            target_namespace=target_namespace,
            response_format=response_format,
            timeout=timeout,
            extra_headers=extra_headers,
            extra_body=extra_body,
        )

    def _generate(
        self,
        model_id: str,
        params: Mapping[str, Any],
        *,
        target_namespace: str | Omit = OMIT,
        response_format: str | Omit = OMIT,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> GenerateResponse:
        route = route_for(model_id)
        _refuse_stream(model_id, route, params, extra_body)
        body = body_for(
            model_id,
            params,
            extra_body=extra_body,
            target_namespace=target_namespace,
            response_format=response_format,
        )
        body = self.files.resolve(body)  # local files (paths, bytes, file objects) -> URLs
        response = self.request(
            "POST", route, json=body, unsafe=True, timeout=timeout, extra_headers=extra_headers
        )
        from ._models import GenerateResponse

        return answer(response, GenerateResponse.model_validate)

    @overload
    def chat(
        self,
        model_id: str,
        *,
        messages: Sequence[ChatMessageParam],
        stream: Literal[False] = False,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> ChatCompletion: ...
    @overload
    def chat(
        self,
        model_id: str,
        *,
        messages: Sequence[ChatMessageParam],
        stream: Literal[True],
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> ChatStream: ...
    @overload
    def chat(
        self,
        model_id: str,
        *,
        messages: Sequence[ChatMessageParam],
        stream: bool,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> ChatCompletion | ChatStream: ...
    def chat(
        self,
        model_id: str,
        *,
        messages: Sequence[ChatMessageParam],
        stream: bool = False,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> ChatCompletion | ChatStream:
        """Chat with `model_id` (``POST /ai/chat/completions``, OpenAI-compatible).

        `messages` is the conversation (``[{"role": "user", "content": "..."}]``; a returned
        ``ChatMessage`` may be passed back); other OpenAI-style parameters (``temperature``,
        ``max_tokens``, ...) go in `params` and are sent as given. Without `stream`: a
        ``ChatCompletion``. With ``stream=True``: a ``ChatStream`` of ``ChatCompletionChunk``,
        ``with client.chat(...) as stream: for chunk in stream``.
        Errors mid-stream raise ``APIStreamError`` or ``APIConnectionError``; a stream is never
        retried once it has started. `timeout` bounds the wait for each chunk.
        """
        from ._chat import chat_sync

        return chat_sync(
            self,
            model_id,
            messages,
            params,
            stream=stream,
            timeout=timeout,
            extra_headers=extra_headers,
            extra_body=extra_body,
        )

    @overload
    def submit(
        self,
        model_id: str,
        *,
        num_generations: Omit = OMIT,
        target_namespace: str | Omit = OMIT,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> Job: ...
    @overload
    def submit(
        self,
        model_id: str,
        *,
        num_generations: int,
        target_namespace: str | Omit = OMIT,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> list[Job]: ...
    def submit(
        self,
        model_id: str,
        *,
        num_generations: int | Omit = OMIT,
        target_namespace: str | Omit = OMIT,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> Job | list[Job]:
        """Enqueue `model_id` (``POST /ai/queue``): a Job, or a list of them when `num_generations` is given."""
        return self._submit(
            model_id,
            params,
            num_generations=num_generations,
            target_namespace=target_namespace,
            timeout=timeout,
            extra_headers=extra_headers,
            extra_body=extra_body,
        )

    def _submit(
        self,
        model_id: str,
        params: Mapping[str, Any],
        *,
        num_generations: int | Omit = OMIT,
        target_namespace: str | Omit = OMIT,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> Job | list[Job]:
        _check_queueable(model_id)
        body = body_for(
            model_id,
            params,
            extra_body=extra_body,
            num_generations=num_generations,
            target_namespace=target_namespace,
        )
        body = self.files.resolve(body)  # local files (paths, bytes, file objects) -> URLs
        # The stream is open before the job exists, so no event can be missed; if it cannot be
        # opened, the enqueue goes ahead and the job's waiters are served by reconciliation.
        epoch = self._hub.start()
        response = self.request(
            "POST",
            "/ai/queue",
            json=body,
            unsafe=True,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        job = _job_classes()[0]
        jobs = [
            job(self, gid, epoch=epoch, model_id=model_id, status=status)
            for gid, status in _enqueued(response)
        ]
        return jobs[0] if isinstance(num_generations, Omit) else jobs

    def job(self, generation_id: str) -> Job:
        """A handle on an existing generation (e.g. one whose ``wait`` timed out)."""
        from ._jobs import Job

        segment(generation_id, "generation_id")  # refused here rather than at first use
        return Job(self, generation_id)

    def download_url(
        self,
        url: str,
        path: str | os.PathLike[str],
        *,
        progress: Progress | None = None,
        timeout: Timeout | Omit = OMIT,
        idle_timeout: float = DOWNLOAD_IDLE_TIMEOUT,
    ) -> Path:
        """Stream `url` to `path`, following redirects; the API key goes only to the API's own
        origin. `timeout` bounds the whole download (default: none), `idle_timeout` each read."""
        from ._jobs import download_sync

        check_url(url, "url", base=False)
        limits, deadline = _download_limits(timeout, idle_timeout)
        response = self.request(
            "GET",
            url,
            stream=True,
            timeout=limits,
            deadline=deadline,
            follow_redirects=True,
            extra_headers={"Accept": "*/*"},
        )
        return download_sync(response, url, path, progress, deadline)

    def close(self) -> None:
        """Stop the event stream and close the connections."""
        if "_hub" in self.__dict__:
            self._hub.close()
        super().close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


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
        )
        self._use_events = events
        self._events_idle_timeout = _positive("events_idle_timeout", events_idle_timeout)

    @cached_property
    def _hub(self) -> AsyncEventHub:
        """The shared event stream (or poller) serving every waiting job of this client."""
        from ._events import AsyncEventHub

        return AsyncEventHub(
            self, use_events=self._use_events, idle_timeout=self._events_idle_timeout
        )

    @cached_property
    def files(self) -> AsyncFiles:
        """Local files to URLs: ``upload(path)``, ``data_uri(path)``, ``url`` (see ``uploads=``)."""
        from ._uploads import AsyncFiles

        return AsyncFiles(self, self._uploads, self._max_data_uri_bytes)

    @cached_property
    def models(self) -> AsyncModels:
        """The model catalog: ``list()``, ``get(id)``, ``search(q)``."""
        from ._async.resources import AsyncModels

        return AsyncModels(self)

    @cached_property
    def queue(self) -> AsyncQueue:
        """The queue listing: ``list(status=..., model=..., ...)``."""
        from ._async.resources import AsyncQueue

        return AsyncQueue(self)

    @cached_property
    def generations(self) -> AsyncGenerations:
        """The paginated generation history: ``list()`` (lazy iterator), ``page(n)``."""
        from ._async.resources import AsyncGenerations

        return AsyncGenerations(self)

    @cached_property
    def batches(self) -> AsyncBatches:
        """Batch runs that survive the process: ``run(inputs, out)``, ``check``, ``estimate``."""
        from ._batch import AsyncBatches

        return AsyncBatches(self)

    async def generate(
        self,
        model_id: str,
        *,
        target_namespace: str | Omit = OMIT,
        response_format: Literal["url", "b64_json"] | Omit = OMIT,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
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
    ) -> GenerateResponse:
        route = route_for(model_id)
        _refuse_stream(model_id, route, params, extra_body)
        body = body_for(
            model_id,
            params,
            extra_body=extra_body,
            target_namespace=target_namespace,
            response_format=response_format,
        )
        body = await self.files.resolve(body)  # local files (paths, bytes, file objects) -> URLs
        response = await self.request(
            "POST", route, json=body, unsafe=True, timeout=timeout, extra_headers=extra_headers
        )
        from ._models import GenerateResponse

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
        from ._chat import chat_async

        return await chat_async(
            self,
            model_id,
            messages,
            params,
            stream=stream,
            timeout=timeout,
            extra_headers=extra_headers,
            extra_body=extra_body,
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
    ) -> AsyncJob | list[AsyncJob]:
        _check_queueable(model_id)
        body = body_for(
            model_id,
            params,
            extra_body=extra_body,
            num_generations=num_generations,
            target_namespace=target_namespace,
        )
        body = await self.files.resolve(body)  # local files (paths, bytes, file objects) -> URLs
        # The stream is open before the job exists, so no event can be missed; if it cannot be
        # opened, the enqueue goes ahead and the job's waiters are served by reconciliation.
        epoch = await self._hub.start()
        response = await self.request(
            "POST",
            "/ai/queue",
            json=body,
            unsafe=True,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        job = _job_classes()[1]
        jobs = [
            job(self, gid, epoch=epoch, model_id=model_id, status=status)
            for gid, status in _enqueued(response)
        ]
        return jobs[0] if isinstance(num_generations, Omit) else jobs

    def job(self, generation_id: str) -> AsyncJob:
        """A handle on an existing generation (e.g. one whose ``wait`` timed out)."""
        from ._jobs import AsyncJob

        segment(generation_id, "generation_id")  # refused here rather than at first use
        return AsyncJob(self, generation_id)

    async def download_url(
        self,
        url: str,
        path: str | os.PathLike[str],
        *,
        progress: Progress | None = None,
        timeout: Timeout | Omit = OMIT,
        idle_timeout: float = DOWNLOAD_IDLE_TIMEOUT,
    ) -> Path:
        """Stream `url` to `path`, following redirects; the API key goes only to the API's own
        origin. `timeout` bounds the whole download (default: none), `idle_timeout` each read."""
        from ._jobs import download_async

        check_url(url, "url", base=False)
        limits, deadline = _download_limits(timeout, idle_timeout)
        response = await self.request(
            "GET",
            url,
            stream=True,
            timeout=limits,
            deadline=deadline,
            follow_redirects=True,
            extra_headers={"Accept": "*/*"},
        )
        return await download_async(response, url, path, progress, deadline)

    async def close(self) -> None:
        """Stop the event stream and close the connections."""
        if "_hub" in self.__dict__:
            await self._hub.close()
        await super().close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
