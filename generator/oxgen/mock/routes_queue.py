"""The async side: ``/ai/queue`` (enqueue, list, get, cancel), ``/ai/generations`` and ``/events``."""

from __future__ import annotations

import math

from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .body import (
    count_field,
    int_query,
    model_field,
    namespace_field,
    owner,
    read_json_object,
)
from .catalog import split_body
from .errors import invalid, model_not_found, not_found
from .events import EventBroker, Subscriber, stream
from .jobs import ACTIVE, STATUSES, Job
from .routes_generate import base_of
from .routes_models import state_of

QUEUE_MEDIA = ("image", "video")


async def enqueue(request: Request) -> JSONResponse:
    """``POST /ai/queue``: checks only the envelope (model, `num_generations`); parameters are
    validated when each job runs, so a bad value ends the job `failed`, as on the real API."""
    state = state_of(request)
    body = await read_json_object(request, state.config.max_body_bytes)
    control, params = split_body(body)
    model_id = model_field(control)
    if state.catalog.get(model_id) is None:
        raise model_not_found(model_id)
    kind = state.catalog.media(model_id)
    if kind not in QUEUE_MEDIA:
        route = state.catalog.route(model_id)
        raise invalid(
            f"the queue runs image and video models only; {model_id} makes {kind or 'nothing'}"
            + (f" (call POST {route})" if route else ""),
            "Model not queueable",
        )
    count, namespace = count_field(control), namespace_field(control)
    jobs = [
        state.jobs.enqueue(
            owner=owner(request),
            model=model_id,
            media_type=kind,
            params=dict(params),
            namespace=namespace,
            base_url=base_of(request),
            latency=state.config.latency,
        )
        for _ in range(count)
    ]
    state.jobs_created += count
    return JSONResponse(
        {"generations": [{"generation_id": j.id, "status": j.status} for j in jobs]}
    )


def _statuses(raw: str | None) -> tuple[str, ...]:
    if raw is None or raw == "":
        return ACTIVE
    if raw == "all":
        return STATUSES
    wanted = tuple(s.strip() for s in raw.split(",") if s.strip())
    bad = [s for s in wanted if s not in STATUSES]
    if bad:
        raise invalid(
            f"unknown status {bad[0]!r}; use one or more (comma-separated) of {', '.join(STATUSES)} or all"
        )
    return wanted


async def list_queue(request: Request) -> JSONResponse:
    """``GET /ai/queue``: active rows by default; `status`, `model`, `media_type`, `namespace`."""
    q = request.query_params
    media_type = q.get("media_type") or None
    if media_type is not None and media_type not in QUEUE_MEDIA:
        raise invalid(f"`media_type` must be image or video, got {media_type!r}")
    jobs = state_of(request).jobs.select(
        owner(request),
        statuses=_statuses(q.get("status")),
        model=q.get("model") or None,
        media_type=media_type,
        namespace=q.get("namespace") or None,
    )
    return JSONResponse({"count": len(jobs), "generations": [j.row() for j in jobs]})


def _job(request: Request) -> Job:
    job_id = request.path_params["generation_id"]
    job = state_of(request).jobs.find(owner(request), job_id)
    if job is None:
        raise not_found(f"Generation not found: {job_id}")
    return job


async def get_job(request: Request) -> JSONResponse:
    """``GET /ai/queue/{id}``: the row, also after the job ended."""
    return JSONResponse(_job(request).row())


async def cancel_job(request: Request) -> JSONResponse:
    """``DELETE /ai/queue/{id}``: cancels a queued or processing job (no event is sent)."""
    job = _job(request)
    if not state_of(request).jobs.cancel(job):
        raise invalid(
            f"generation {job.id} already ended ({job.status}); only queued or processing jobs can be cancelled",
            "Not cancellable",
        )
    return JSONResponse({"status": "success", "generation_id": job.id})


async def generations(request: Request) -> JSONResponse:
    """``GET /ai/generations?page=&page_size=``: every generation of the caller, newest first."""
    page = int_query(request, "page", 1, 1, 1_000_000)
    size = int_query(request, "page_size", 20, 1, 100)
    rows = state_of(request).jobs.history(owner(request))
    chunk = rows[(page - 1) * size : page * size]
    return JSONResponse(
        {
            "generations": [j.history_row() for j in chunk],
            "page": page,
            "page_size": size,
            "total_count": len(rows),
            "total_pages": max(1, math.ceil(len(rows) / size)),
        }
    )


class _EventStream(StreamingResponse):
    """An SSE response that unsubscribes even when the client leaves before the body starts."""

    def __init__(self, request: Request, sub: Subscriber) -> None:
        state = state_of(request)
        self.broker: EventBroker = state.events
        self.sub = sub
        super().__init__(
            stream(state.events, sub, lambda: state.config.keepalive),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.broker.unsubscribe(self.sub)


async def events(request: Request) -> StreamingResponse:
    """``GET /events``: subscribed before the response headers leave, so an enqueue made after the
    headers arrive is always reported on this stream."""
    state = state_of(request)
    sub = state.events.subscribe(
        owner(request), state.faults.stream_drop_after(), state.faults.stream_stall_after()
    )
    return _EventStream(request, sub)


ROUTES = [
    Route("/api/ai/queue", enqueue, methods=["POST"]),
    Route("/api/ai/queue", list_queue, methods=["GET"]),
    Route("/api/ai/queue/{generation_id}", get_job, methods=["GET"]),
    Route("/api/ai/queue/{generation_id}", cancel_job, methods=["DELETE"]),
    Route("/api/ai/generations", generations, methods=["GET"]),
    Route("/api/events", events, methods=["GET"]),
]
