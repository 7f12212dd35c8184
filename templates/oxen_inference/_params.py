"""Turning a call's keyword arguments into the JSON body, checked before anything is sent.

Known models with a schema are validated through their request class
(parameter names turned into wire names, ``request_model(id).model_validate(body)``, then
``to_body``): only what the caller set is sent, under the wire names. Unknown parameter names are refused even where the schema would let
extra properties through; ``extra_body`` is merged last, unchecked. Models the snapshot knows
without a schema (chat) send their parameters as given. Model ids the snapshot does not know are
sent unchecked to the queue (the server may know newer models than this client); a blocking call
needs their route, so it refuses them (``UnknownModelError`` with close matches).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol

import pydantic

from . import _registry
from ._exceptions import ValidationError
from ._request import MISSING, RequestModel, UnknownModelError, request_model, wire_names
from ._types import OMIT, Omit, ServerDefault

if TYPE_CHECKING:
    pass

__all__ = ["MAX_GENERATIONS", "body_for", "query_params", "route_for"]

MAX_GENERATIONS = 4
RESPONSE_FORMATS = ("url", "b64_json")
_NOT_GIVEN = frozenset({Omit, ServerDefault})  # what `is_given` refuses, as exact types
_NOT_HELD = object()


def check_model_id(model_id: object) -> None:
    """ValidationError unless `model_id` is a non-blank string; asked before any registry lookup
    (``generate`` and ``submit`` alike)."""
    if type(model_id) is not str or not model_id.strip():
        raise ValidationError(
            "", [("model", f"a model id is a non-empty string, not {model_id!r}")]
        )


def query_params(**params: object) -> dict[str, str]:
    """Query parameters that were given; lists are joined with commas."""
    out: dict[str, str] = {}
    for key, value in params.items():
        if isinstance(value, Omit) or value is None:
            continue
        out[key] = ",".join(value) if isinstance(value, (list, tuple)) else str(value)
    return out


def route_for(model_id: str) -> str:
    """The blocking route of `model_id`; UnknownModelError if the snapshot does not know it."""
    check_model_id(model_id)
    entry = _registry.get(model_id)
    if entry is None:
        close = _registry.close_matches(model_id)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise UnknownModelError(f"unknown model {model_id!r}{hint}")
    route = entry.route
    if route is None:
        raise ValidationError(
            model_id, [("", "this model has no inference route (embedding models cannot be run)")]
        )
    return route


def queue_media(model_id: str) -> str | None:
    entry = _registry.get(model_id)
    return None if entry is None else entry.media


class _Validator(Protocol):
    def validate_python(self, input: Any, /) -> Any: ...


class _Checker(NamedTuple):
    """What checking a model's parameters needs, worked out once per model (on every call's
    path, the lookups would cost more than the validation itself)."""

    cls: type[RequestModel]
    validator: _Validator  # pydantic-core's SchemaValidator (or pydantic's plugin wrapper)
    names: dict[str, str]  # every accepted key (Python name and wire name) -> wire name
    attrs: dict[str, str]  # wire name -> the field's attribute


_CHECKERS: dict[str, _Checker] = {}
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _checker(model_id: str) -> _Checker:
    found = _CHECKERS.get(model_id)
    if found is None:
        cls = request_model(model_id)
        cls.model_rebuild()  # classes are built on first use (defer_build): build it now
        names = wire_names(cls)
        attrs = {names[name]: name for name in cls.model_fields}
        found = _CHECKERS[model_id] = _Checker(cls, cls.__pydantic_validator__, names, attrs)
    return found


def _location(loc: tuple[int | str, ...], names: Mapping[str, str]) -> str:
    parts = [str(p) for p in loc]
    if parts:
        parts[0] = names.get(parts[0], parts[0])
    return ".".join(parts)


def allowed_values(cls: type[pydantic.BaseModel], name: str) -> list[Any] | None:
    """The values a field's Literal type allows (None if it is not an enumeration)."""
    info = cls.model_fields.get(name)
    if info is None:
        return None
    annotation: Any = info.annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None) and a is not MISSING]
        annotation = args[0] if len(args) == 1 else None
    if typing.get_origin(annotation) is Literal:
        return list(typing.get_args(annotation))
    return None


def _message(error: Mapping[str, Any]) -> str:
    msg = str(error.get("msg", "invalid"))
    msg = msg.removeprefix("Value error, ")
    if error.get("type") == "missing":
        return "required, not given"
    if "input" in error and error.get("type") not in ("missing", "value_error"):
        msg += f" (got {error['input']!r})"
    return msg


def _is_tag(part: int | str) -> bool:
    """A union member's tag in an error's location (``list[function-wrap[validate()]]``), not a
    field name or an index."""
    return isinstance(part, str) and "[" in part and part.endswith("]")


def _without_branches(errors: list[Any]) -> list[dict[str, Any]]:
    """pydantic's errors as a user reads them: union members' tags left out of the locations,
    and a nullable field's ``null`` member left out when another member says what is wrong
    (``input_image.0: no such file``, not also ``expected null, got [...]``)."""
    out = []
    for error in errors:
        loc = tuple(error["loc"])
        if len(loc) > 1 and any(_is_tag(p) for p in loc[1:]):
            if _message(error).startswith("expected null,") and any(
                e is not error and e["loc"][:1] == loc[:1] for e in errors
            ):
                continue
            error = {**error, "loc": (loc[0], *(p for p in loc[1:] if not _is_tag(p)))}
        out.append(error)
    return out


def _explain(checker: _Checker, error: Mapping[str, Any]) -> tuple[str, str]:
    """(wire location, message); a message about an enumerated field always lists its values."""
    loc = tuple(error["loc"])
    message = _message(error)
    if len(loc) == 1 and "one of" not in message:
        field = checker.attrs.get(str(loc[0]))
        allowed = allowed_values(checker.cls, field) if field else None
        if allowed:
            message += "; allowed: " + ", ".join(repr(v) for v in allowed)
    return _location(loc, checker.names), message


def validate(model_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The checked model parameters of `model_id` as they go on the wire."""
    entry = _registry.get(model_id)
    if entry is None:
        import logging  # imported here, not with the package

        logging.getLogger(__package__).debug(
            "model %r is not in this client's snapshot: parameters sent unchecked", model_id
        )
        return dict(params)
    if not entry.has_schema:
        return dict(params)
    checker = _checker(model_id)
    names = checker.names
    wire: dict[str, Any] = {}
    for key, value in params.items():
        name = names.get(key)
        if name is None or name in wire:
            break
        wire[name] = value
    else:  # the common case: every key known, none given twice
        return _checked(model_id, checker, wire)
    unknown = [k for k in params if k not in names]
    if unknown:
        allowed = sorted(set(names.values()))
        errors = []
        import difflib  # only for the error message

        for key in unknown:
            close = difflib.get_close_matches(key, list(names), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            errors.append((key, f"unknown parameter{hint} (parameters: {', '.join(allowed)})"))
        raise ValidationError(model_id, errors)
    wire = {}
    for key, value in params.items():
        if names[key] in wire:
            raise ValidationError(model_id, [(names[key], f"given twice (as {key!r})")])
        wire[names[key]] = value
    return _checked(model_id, checker, wire)


def _checked(model_id: str, checker: _Checker, wire: dict[str, Any]) -> dict[str, Any]:
    """``dump(cls.model_validate(wire))``: pydantic-core called directly (the same defaults)."""
    try:
        request = checker.validator.validate_python(wire)
    except pydantic.ValidationError as exc:
        errors = _without_branches(exc.errors())
        raise ValidationError(model_id, [_explain(checker, e) for e in errors]) from exc
    # When every value given is a scalar that validation kept as it was (same type, equal), the
    # dump would be `wire` itself: the set fields, under their wire names, unchanged.
    held = request.__dict__
    attrs = checker.attrs
    for name, value in wire.items():
        kind = type(value)
        if kind not in _SCALARS:
            break
        kept = held.get(attrs.get(name, ""), _NOT_HELD)
        if type(kept) is not kind or kept != value:
            break
    else:
        return wire
    # dump(request): local files stay LocalFile objects (the client resolves them)
    body: dict[str, Any] = request.__pydantic_serializer__.to_python(
        request, by_alias=True, exclude_unset=True
    )
    return body


def body_for(
    model_id: str,
    params: Mapping[str, Any],
    *,
    extra_body: Mapping[str, Any] | None,
    num_generations: int | Omit = OMIT,
    target_namespace: str | Omit = OMIT,
    response_format: str | Omit = OMIT,
) -> dict[str, Any]:
    """``{"model": id, **checked params, **given controls, **extra_body}``."""
    given = {k: v for k, v in params.items() if type(v) not in _NOT_GIVEN}
    body: dict[str, Any] = {"model": model_id}
    body.update(validate(model_id, given))
    errors: list[tuple[str, str]] = []
    if not isinstance(num_generations, Omit):
        if (
            isinstance(num_generations, bool)
            or not isinstance(num_generations, int)
            or not 1 <= num_generations <= MAX_GENERATIONS
        ):
            errors.append(
                (
                    "num_generations",
                    f"must be an integer from 1 to {MAX_GENERATIONS} (got {num_generations!r})",
                )
            )
        body["num_generations"] = num_generations
    if not isinstance(target_namespace, Omit):
        if not isinstance(target_namespace, str) or not target_namespace:
            errors.append(
                ("target_namespace", f"must be a non-empty string (got {target_namespace!r})")
            )
        body["target_namespace"] = target_namespace
    if not isinstance(response_format, Omit):
        if response_format not in RESPONSE_FORMATS:
            errors.append(
                ("response_format", f"must be one of 'url', 'b64_json' (got {response_format!r})")
            )
        body["response_format"] = response_format
    if errors:
        raise ValidationError(model_id, errors)
    if extra_body:
        body.update(extra_body)
    return body
