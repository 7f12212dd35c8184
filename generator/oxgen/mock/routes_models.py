"""``/api/ai/models``: the catalog, filtered and searched, and single model objects."""

from __future__ import annotations

import json
from typing import Any, cast

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .errors import invalid, model_not_found
from .state import MockState


class CatalogResponse(JSONResponse):
    """Model objects as JSON with every non-ASCII character escaped: a catalog may hold a lone
    surrogate (legal in JSON text as ``"\\ud800"``), which has no UTF-8 form to send raw."""

    def render(self, content: Any) -> bytes:
        return json.dumps(
            content, ensure_ascii=True, allow_nan=False, separators=(",", ":")
        ).encode("ascii")


def state_of(request: Request) -> MockState:
    return cast(MockState, request.app.state.mock)


def _listing(models: list[dict[str, Any]]) -> JSONResponse:
    return CatalogResponse({"object": "list", "data": models})


async def list_models(request: Request) -> JSONResponse:
    """``GET /ai/models[?developer_name=&action=]``"""
    q = request.query_params
    return _listing(
        state_of(request).catalog.listing(
            developer_name=q.get("developer_name"), action=q.get("action")
        )
    )


async def search_models(request: Request) -> JSONResponse:
    """``GET /ai/models/search?search=q``"""
    query = request.query_params.get("search", request.query_params.get("q"))
    if query is None:
        raise invalid("query parameter `search` is required, e.g. /ai/models/search?search=luma")
    return _listing(state_of(request).catalog.search(query))


async def get_model(request: Request) -> JSONResponse:
    """``GET /ai/models/{id}``: the bare model object, `request_schema` included."""
    model_id = request.path_params["model_id"]
    model = state_of(request).catalog.get(model_id)
    if model is None:
        raise model_not_found(model_id)
    return CatalogResponse(model)


ROUTES = [
    Route("/api/ai/models", list_models, methods=["GET"]),
    Route("/api/ai/models/search", search_models, methods=["GET"]),
    Route("/api/ai/models/{model_id:path}", get_model, methods=["GET"]),
]
