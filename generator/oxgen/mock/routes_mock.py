"""Mock-only endpoints (not part of Oxen's API) and the result files.

- ``GET /_mock/stats``: counters (requests per route, faults, jobs, streams, events) and settings.
- ``POST /_mock/reset``: forget jobs, files and counters; restore the start-up settings; reseed.
- ``POST /_mock/config``: change settings, e.g. ``{"fault_rate": 0.2, "latency": 0.1}``.
- ``POST /_mock/events/drop``: drop every open event stream now (to test reconnects).
- ``POST /_mock/events/stall``: make every open event stream go silent (to test idle timeouts).
- ``GET /files/{id}.{png|mp4|wav}``: a result; no key needed, never faulted.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import media
from .body import read_json_object
from .errors import invalid, not_found
from .routes_models import state_of


async def stats(request: Request) -> JSONResponse:
    return JSONResponse(state_of(request).stats())


async def reset(request: Request) -> JSONResponse:
    state = state_of(request)
    state.reset()
    return JSONResponse({"status": "success", "config": state.config.as_dict()})


async def configure(request: Request) -> JSONResponse:
    state = state_of(request)
    changes = await read_json_object(request, state.config.max_body_bytes)
    try:
        state.config.update(changes)
    except ValueError as exc:
        raise invalid(str(exc), "Invalid settings") from None
    if "seed" in changes:
        state.faults.reset()
    return JSONResponse({"status": "success", "config": state.config.as_dict()})


async def drop_streams(request: Request) -> JSONResponse:
    return JSONResponse({"dropped": state_of(request).events.drop_all()})


async def stall_streams(request: Request) -> JSONResponse:
    return JSONResponse({"stalled": state_of(request).events.stall_all()})


async def result_file(request: Request) -> Response:
    name = request.path_params["name"]
    stem, _, ext = name.rpartition(".")
    if ext not in media.CONTENT_TYPES or name not in state_of(request).jobs.files:
        raise not_found(
            f"File not found: {name} (result files live as long as the mock server's state)"
        )
    return Response(
        media.content(ext),
        media_type=media.CONTENT_TYPES[ext],
        headers={
            "Cache-Control": "private, max-age=3600",
            "Content-Disposition": f'inline; filename="{stem}.{ext}"',
        },
    )


ROUTES = [
    Route("/_mock/stats", stats, methods=["GET"]),
    Route("/_mock/reset", reset, methods=["POST"]),
    Route("/_mock/config", configure, methods=["POST"]),
    Route("/_mock/events/drop", drop_streams, methods=["POST"]),
    Route("/_mock/events/stall", stall_streams, methods=["POST"]),
    Route("/files/{name}", result_file, methods=["GET"]),
]
