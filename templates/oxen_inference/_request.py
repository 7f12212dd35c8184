"""The base of every request class, and lookup of a model's class by id."""

from __future__ import annotations

import importlib
from typing import Any

from pydantic import BaseModel, ConfigDict

from ._exceptions import OxenError
from ._registry import MODELS

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
    return sorted(MODELS)


def request_model(model_id: str) -> type[RequestModel]:
    """The request class of `model_id` (imported on first use)."""
    try:
        module, class_name = MODELS[model_id][:2]
    except KeyError:
        import difflib  # only for the error message

        close = difflib.get_close_matches(model_id, MODELS, n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise UnknownModelError(f"unknown model {model_id!r}{hint}") from None
    if module is None or class_name is None:
        raise NoRequestSchemaError(f"model {model_id!r} publishes no request schema")
    cls: type[RequestModel] = getattr(
        importlib.import_module(f"{__package__}.models.{module}"), class_name
    )
    return cls


def to_body(request: RequestModel) -> dict[str, Any]:
    """The JSON body for a request: the fields that were set, under their wire names."""
    return request.model_dump(by_alias=True, exclude_unset=True)
