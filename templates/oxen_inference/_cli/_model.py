"""What the command line knows of a model: how it runs, and each parameter's JSON types, media
kind, default and allowed values, read from the model's request class and its JSON Schema.

Imported by the commands that name a model; it loads pydantic and the one model's module.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from typing import Any

from .. import _registry
from .._schema_types import is_list, schema_types, takes
from .._schema_types import resolve as _resolve
from ._common import PROG, UsageError

CHAT_ROUTE = "/ai/chat/completions"
NO_DEFAULT: Any = object()
JSON_TYPES = ("string", "integer", "number", "boolean", "array", "object", "null")


@dataclass(frozen=True)
class Param:
    """One parameter of a model, under its wire name."""

    name: str
    types: frozenset[str]  # JSON types it takes; empty when the schema does not say
    media: str | None = None  # "image", "video", "audio", ...: a media input (a URL or a file)
    required: bool = False
    default: Any = NO_DEFAULT
    enum: tuple[Any, ...] | None = None
    description: str = ""
    schema: dict[str, Any] = field(default_factory=dict)

    @property
    def is_list(self) -> bool:
        """A list (or a list or null): several ``key=`` words collect into it."""
        return is_list(self.types)

    def takes(self, value: Any) -> bool:
        """Whether the value's JSON type is one this parameter takes (anything when unknown)."""
        return takes(self.types, value)


@dataclass(frozen=True)
class ModelInfo:
    model_id: str
    route: str | None
    media: str | None  # "image" | "video" when it runs on the queue
    params: dict[str, Param] | None  # None: the model publishes no schema (sent as given)
    names: dict[str, str] = field(default_factory=dict)  # Python and wire names -> wire name
    summary: str = ""

    @property
    def kind(self) -> str:
        """How ``run`` runs it: "queue", "chat", "blocking", or "none" (no route at all)."""
        if self.media:
            return "queue"
        if self.route == CHAT_ROUTE:
            return "chat"
        return "blocking" if self.route else "none"


def unknown_model(model_id: str) -> UsageError:
    close = _registry.close_matches(model_id)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return UsageError(f"unknown model {model_id!r}{hint} ('{PROG} models list' lists them)")


def _media_kind(annotation: Any, metadata: list[Any]) -> str | None:
    from .._media import Input

    stack = [*metadata, annotation]
    while stack:
        item = stack.pop()
        if isinstance(item, Input):
            return item.kind
        stack.extend(typing.get_args(item))
    return None


def _summary(module: Any) -> str:
    doc = (getattr(module, "__doc__", None) or "").strip()
    first, _, rest = doc.partition("\n")
    title = first.removeprefix("Request class and client methods for ").split(" (model id", 1)[0]
    blurb = rest.strip().split("\n\n", 1)[0].strip()
    return f"{title}: {blurb}" if blurb else title


def params_of(schema: dict[str, Any], media: dict[str, str] | None = None) -> dict[str, Param]:
    """Every parameter of a request schema, in the schema's order (``x-order`` when it has one)."""
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return {}
    required = set(schema.get("required") or [])

    def merged(name: str) -> dict[str, Any]:
        """The property with its $ref followed, its own keywords (x-order, description) kept."""
        raw = properties[name]
        node = _resolve(raw, schema)
        own = {k: v for k, v in raw.items() if k != "$ref"} if isinstance(raw, dict) else {}
        return {**node, **own} if isinstance(node, dict) else own

    nodes = {name: merged(name) for name in properties}

    def place(name: str) -> tuple[int, int]:
        at = nodes[name].get("x-order")
        return (0, at) if type(at) is int else (1, 0)

    params = {}
    for name in sorted(properties, key=place):  # stable: the rest keep their order
        node = nodes[name]
        enum = node.get("enum")
        params[name] = Param(
            name=name,
            types=frozenset(schema_types(node, schema)),
            media=(media or {}).get(name),
            required=name in required,
            default=node.get("default", NO_DEFAULT),
            enum=tuple(enum) if isinstance(enum, list) else None,
            description=str(node.get("description") or ""),
            schema=node,
        )
    return params


def model_info(model_id: str) -> ModelInfo:
    """The facts of a model this client knows; UsageError (with close matches) otherwise."""
    entry = _registry.get(model_id)
    if entry is None:
        raise unknown_model(model_id)
    if entry.class_name is None:
        return ModelInfo(model_id, entry.route, entry.media, None)
    import sys

    from .. import request_model

    cls = request_model(model_id)
    media: dict[str, str] = {}
    names: dict[str, str] = {}
    for name, info in cls.model_fields.items():
        wire = info.validation_alias if isinstance(info.validation_alias, str) else name
        names[name] = names[wire] = wire
        kind = _media_kind(info.annotation, info.metadata)
        if kind is not None:
            media[wire] = kind
    schema = cls.model_json_schema()
    params = params_of(schema, media)
    summary = _summary(sys.modules[cls.__module__])
    return ModelInfo(model_id, entry.route, entry.media, params, names, summary)
