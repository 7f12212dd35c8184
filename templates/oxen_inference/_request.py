"""The base of every request class, and lookup of a model's class by id."""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from . import _registry
from ._exceptions import OxenError

if TYPE_CHECKING:
    from ._media import FileStore

__all__ = [
    "NoRequestSchemaError",
    "RequestModel",
    "UnknownModelError",
    "model_ids",
    "request_model",
    "to_body",
]


#: The default of an optional field without a schema default: it reads as None and is never sent.
#: Typed ``Any`` so a field keeps the exact type the schema allows (``None`` only if nullable).
UNSET: Any = None


class RequestModel(BaseModel):
    """Base of the generated request classes.

    Validation follows the model's JSON Schema exactly: no coercion (``"5"`` is not ``5``), null
    only where the schema allows it, additional properties only where it allows them. Fields
    accept their Python name or their wire name; :func:`to_body` gives back exactly what was set,
    under the wire names, with no defaults added.
    """

    model_config = ConfigDict(
        strict=True,
        extra="allow",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        defer_build=True,
        protected_namespaces=(),
        hide_input_in_errors=False,
    )


class UnknownModelError(OxenError, LookupError):
    """No model with this id is in the snapshot the client was generated from."""


class NoRequestSchemaError(OxenError, LookupError):
    """The model publishes no request schema (chat models take an OpenAI-style body)."""


def model_ids() -> list[str]:
    """Every model id the client knows, sorted."""
    return list(_registry.model_ids())


def request_model(model_id: str) -> type[RequestModel]:
    """The request class of `model_id` (imported on first use)."""
    entry = _registry.get(model_id)
    if entry is None:
        close = _registry.close_matches(model_id)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise UnknownModelError(f"unknown model {model_id!r}{hint}") from None
    if entry.class_name is None:
        raise NoRequestSchemaError(f"model {model_id!r} publishes no request schema")
    cls: type[RequestModel] = getattr(
        importlib.import_module(f"{__package__}.models.{entry.module}"), entry.class_name
    )
    return cls


def dump(request: RequestModel) -> dict[str, Any]:
    """The fields that were set, under their wire names; local files stay ``LocalFile`` objects."""
    return request.model_dump(by_alias=True, exclude_unset=True)


def to_body(
    request: RequestModel, *, files: Literal["data-uri"] | FileStore | None = None
) -> dict[str, Any]:
    """The JSON body for a request: the fields that were set, under their wire names.

    A media input given a local file (a path, bytes, a file object) holds a ``LocalFile``, which
    JSON cannot carry; `files` says how each becomes a URL: ``"data-uri"`` (inline, up to 10 MiB),
    or a callable ``(LocalFile) -> str``: your own storage, or ``client.files.url`` (the client's
    own strategy, uploads included). Without `files`, a request holding local files raises
    ``ValidationError`` (nothing is read or sent).
    """
    body = dump(request)
    from ._media import has_local

    if not has_local(body):
        return body
    from ._uploads import resolve_sync

    module = sys.modules.get(type(request).__module__)
    model_id = str(getattr(module, "MODEL_ID", type(request).__name__))
    return resolve_sync(body, files, model_id)
