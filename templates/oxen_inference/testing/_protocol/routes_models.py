"""The catalog (``/api/ai/models``) and the result files (``/files/{id}.{png|mp4|wav}``)."""

from __future__ import annotations

from typing import Any

from . import media
from .answers import Answer, json_answer
from .errors import invalid, model_not_found, not_found
from .router import Context, Route


def _listing(models: list[dict[str, Any]]) -> Answer:
    # Every non-ASCII character escaped: a catalog may hold a lone surrogate.
    return json_answer({"object": "list", "data": models}, ascii_only=True)


def list_models(ctx: Context) -> Answer:
    """``GET /ai/models[?developer_name=&action=]``"""
    q = ctx.query
    catalog = ctx.state.catalog
    return _listing(catalog.listing(developer_name=q.get("developer_name"), action=q.get("action")))


def search_models(ctx: Context) -> Answer:
    """``GET /ai/models/search?search=q``"""
    query = ctx.query.get("search", ctx.query.get("q"))
    if query is None:
        raise invalid("query parameter `search` is required, e.g. /ai/models/search?search=luma")
    return _listing(ctx.state.catalog.search(query))


def get_model(ctx: Context) -> Answer:
    """``GET /ai/models/{id}``: the bare model object, `request_schema` included."""
    model_id = ctx.params["model_id"]
    model = ctx.state.catalog.get(model_id)
    if model is None:
        raise model_not_found(model_id)
    return json_answer(model, ascii_only=True)


def result_file(ctx: Context) -> Answer:
    """A result: no key needed, never faulted; it lives as long as the state."""
    name = ctx.params["name"]
    stem, _, ext = name.rpartition(".")
    if ext not in media.CONTENT_TYPES or name not in ctx.state.jobs.files:
        raise not_found(
            f"File not found: {name} (result files live as long as the mock server's state)"
        )
    return Answer(
        200,
        media.content(ext),
        {
            "Content-Type": media.CONTENT_TYPES[ext],
            "Cache-Control": "private, max-age=3600",
            "Content-Disposition": f'inline; filename="{stem}.{ext}"',
        },
    )


ROUTES = [
    Route("GET", "/api/ai/models", list_models),
    Route("GET", "/api/ai/models/search", search_models),
    Route("GET", "/api/ai/models/{model_id:path}", get_model),
    Route("GET", "/files/{name}", result_file),
]
