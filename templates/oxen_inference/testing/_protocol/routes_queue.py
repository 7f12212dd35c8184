"""The async side: ``/ai/queue`` (enqueue, list, get, cancel), ``/ai/generations`` and ``/events``."""

from __future__ import annotations

import math

from .answers import Answer, EventStream, json_answer
from .body import count_field, int_query, model_field, namespace_field
from .catalog import QUEUE_MEDIA, split_body
from .errors import invalid, model_not_found, not_found
from .jobs import ACTIVE, STATUSES, Job
from .router import Context, Route


def enqueue(ctx: Context) -> Answer:
    """``POST /ai/queue``: checks only the envelope (model, `num_generations`); parameters are
    validated when each job runs, so a bad value ends the job `failed`, as on the real API."""
    state = ctx.state
    control, params = split_body(ctx.json)
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
    failure = state.failure_for(ctx.json)
    jobs = [
        state.jobs.enqueue(
            Job.new(ctx.owner, model_id, kind, dict(params), ctx.base_url, namespace),
            latency=state.config.latency,
            now=state.clock(),
            forced_error=failure,
        )
        for _ in range(count)
    ]
    state.jobs_created += count
    state.events.wake(ctx.owner)
    return json_answer({"generations": [{"generation_id": j.id, "status": j.status} for j in jobs]})


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


def list_queue(ctx: Context) -> Answer:
    """``GET /ai/queue``: active rows by default; `status`, `model`, `media_type`, `namespace`."""
    q = ctx.query
    media_type = q.get("media_type") or None
    if media_type is not None and media_type not in QUEUE_MEDIA:
        raise invalid(f"`media_type` must be image or video, got {media_type!r}")
    jobs = ctx.state.jobs.select(
        ctx.owner,
        statuses=_statuses(q.get("status")),
        model=q.get("model") or None,
        media_type=media_type,
        namespace=q.get("namespace") or None,
    )
    return json_answer({"count": len(jobs), "generations": [j.row() for j in jobs]})


def _job(ctx: Context) -> Job:
    job_id = ctx.params["generation_id"]
    job = ctx.state.jobs.find(ctx.owner, job_id)
    if job is None:
        raise not_found(f"Generation not found: {job_id}")
    return job


def get_job(ctx: Context) -> Answer:
    """``GET /ai/queue/{id}``: the row, also after the job ended."""
    return json_answer(_job(ctx).row())


def cancel_job(ctx: Context) -> Answer:
    """``DELETE /ai/queue/{id}``: cancels a queued or processing job (no event is sent)."""
    job = _job(ctx)
    if not ctx.state.jobs.cancel(job, ctx.state.clock()):
        raise invalid(
            f"generation {job.id} already ended ({job.status}); only queued or processing jobs can be cancelled",
            "Not cancellable",
        )
    return json_answer({"status": "success", "generation_id": job.id})


def generations(ctx: Context) -> Answer:
    """``GET /ai/generations?page=&page_size=``: every generation of the caller, newest first."""
    page = int_query(ctx.query, "page", 1, 1, 1_000_000)
    size = int_query(ctx.query, "page_size", 20, 1, 100)
    rows = ctx.state.jobs.history(ctx.owner)
    chunk = rows[(page - 1) * size : page * size]
    return json_answer(
        {
            "generations": [j.history_row() for j in chunk],
            "page": page,
            "page_size": size,
            "total_count": len(rows),
            "total_pages": max(1, math.ceil(len(rows) / size)),
        }
    )


def events(ctx: Context) -> EventStream:
    """``GET /events``: subscribed before the answer leaves, so an enqueue made after the headers
    arrive is always reported on this stream."""
    return EventStream(ctx.state.subscribe(ctx.owner))


ROUTES = [
    Route("POST", "/api/ai/queue", enqueue, "json"),
    Route("GET", "/api/ai/queue", list_queue),
    Route("GET", "/api/ai/queue/{generation_id}", get_job),
    Route("DELETE", "/api/ai/queue/{generation_id}", cancel_job),
    Route("GET", "/api/ai/generations", generations),
    Route("GET", "/api/events", events),
]
