"""The fake's catalog: the models this package was generated for, with their request schemas,
their parameters checked by the package's own request classes (the same check the client makes
before sending, so a request the fake refuses is one the client would refuse too, unless it came
through ``extra_body`` or another HTTP client)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .. import _registry
from ._protocol import Catalog
from ._protocol import catalog as routes

# What a model takes and makes, as the catalog's `capabilities` say, from its route.
_CAPABILITIES: dict[str | None, tuple[list[str], list[str]]] = {
    routes.VIDEO: (["text"], ["video"]),
    routes.IMAGE_GENERATE: (["text"], ["image"]),
    routes.IMAGE_EDIT: (["text", "image"], ["image"]),
    routes.SPEECH: (["text"], ["audio"]),
    routes.TRANSCRIPTION: (["audio"], ["text"]),
    routes.CHAT: (["text"], ["text"]),
    None: (["text"], ["embedding"]),
}


def _model_object(entry: _registry.Entry) -> dict[str, Any]:
    schema: dict[str, Any] | None = None
    if entry.has_schema:
        from .._request import request_model

        schema = request_model(entry.model_id).model_json_schema()
        schema.pop("$schema", None)
    inputs, outputs = _CAPABILITIES.get(entry.route, _CAPABILITIES[None])
    return {
        "id": entry.model_id,
        "object": "model",
        "display_name": entry.model_id,
        "model_type": "base",
        "endpoint": entry.route,
        "capabilities": {"input": list(inputs), "output": list(outputs)},
        "request_schema": schema,
    }


class _Models(Mapping[str, dict[str, Any]]):
    """The package's models by id, each model object made on first use."""

    def __init__(self) -> None:
        self._ids = _registry.model_ids()
        self._made: dict[str, dict[str, Any]] = {}

    def __getitem__(self, model_id: str) -> dict[str, Any]:
        made = self._made.get(model_id)
        if made is None:
            entry = _registry.get(model_id)
            if entry is None:
                raise KeyError(model_id)
            made = self._made[model_id] = _model_object(entry)
        return made

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


class _Routes(Mapping[str, str | None]):
    def __getitem__(self, model_id: str) -> str | None:
        entry = _registry.get(model_id)
        if entry is None:
            raise KeyError(model_id)
        return entry.route

    def __iter__(self) -> Iterator[str]:
        return iter(_registry.model_ids())

    def __len__(self) -> int:
        return len(_registry.model_ids())


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc)


def check(model_id: str, model: dict[str, Any], params: dict[str, Any]) -> list[str]:
    """Problems with `params` as the model's request class sees them, each naming its field."""
    import pydantic

    from .._request import NoRequestSchemaError, request_model

    try:
        cls = request_model(model_id)
    except NoRequestSchemaError:
        return []
    try:
        cls.model_validate(params)
    except pydantic.ValidationError as exc:
        return [
            f"{_where(e['loc'])}: {e['msg']}" if e["loc"] else e["msg"]
            for e in exc.errors(include_url=False)
        ]
    return []


def package_catalog() -> Catalog:
    """Every model of this package, routed as its client methods route them."""
    return Catalog(_Models(), _Routes(), check)
