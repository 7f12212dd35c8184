"""Reading request bodies defensively: JSON objects only, bounded size, clear 4xx otherwise."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import ClientDisconnect, Request

from .errors import (
    INVALID_PARAMS,
    PAYLOAD_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    ApiError,
    envelope_a,
    invalid,
)


def owner(request: Request) -> str:
    """The caller's bearer token (set by the gate): jobs and events are scoped to it."""
    return str(request.scope["oxen.owner"])


def _too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        envelope_a(
            PAYLOAD_TOO_LARGE,
            "Request body too large",
            f"request bodies are limited to {limit} bytes",
        ),
    )


def _no_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; Python's parser accepts them unless told otherwise, and a
    # stored NaN could not be sent back.
    raise ValueError(f"{name} is not a JSON value")


async def read_json_object(request: Request, limit: int) -> dict[str, Any]:
    """The body as a JSON object, or an ApiError (400, 413 or 415) saying what is wrong."""
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise ApiError(
            415,
            envelope_a(
                UNSUPPORTED_MEDIA_TYPE,
                "Unsupported content type",
                f"send a JSON object with Content-Type: application/json, not {media_type!r}",
            ),
        )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
    except ClientDisconnect:
        raise invalid(
            "the client went away before sending the whole body", "Incomplete body"
        ) from None
    raw = b"".join(chunks)
    if not raw.strip():
        raise invalid("the request body is empty; send a JSON object", "Empty body")
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise invalid("the request body is not UTF-8 text", "Malformed JSON") from None
    except json.JSONDecodeError as exc:
        raise invalid(
            f"the request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            "Malformed JSON",
        ) from None
    except RecursionError:
        raise invalid("the request body is nested too deeply", "Malformed JSON") from None
    except ValueError as exc:  # e.g. an integer literal beyond Python's digit limit
        raise invalid(f"the request body cannot be read: {exc}", "Malformed JSON") from None
    try:
        # Everything the mock stores may be sent back (job rows echo their parameters), so only
        # Unicode text is accepted: a lone surrogate (`"\\ud800"`) could not be encoded later.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise invalid(
            "the request body holds a lone surrogate (a \\uD800-\\uDFFF escape without its pair),"
            " which is not Unicode text",
            "Malformed JSON",
        ) from None
    except (RecursionError, ValueError):
        raise invalid("the request body is nested too deeply", "Malformed JSON") from None
    if not isinstance(value, dict):
        raise ApiError(
            400,
            envelope_a(
                INVALID_PARAMS,
                "Invalid body",
                f"the request body must be a JSON object, not {type(value).__name__}",
            ),
        )
    return value


def model_field(body: dict[str, Any]) -> str:
    model = body.get("model")
    if model is None:
        raise invalid("`model` is required: the id of the model to run")
    if not isinstance(model, str) or not model:
        raise invalid("`model` must be a non-empty string")
    return model


def namespace_field(body: dict[str, Any]) -> str | None:
    value = body.get("target_namespace")
    if value is not None and not isinstance(value, str):
        raise invalid("`target_namespace` must be a string")
    return value


def count_field(body: dict[str, Any], name: str = "num_generations") -> int:
    value = body.get(name, 1)
    if value is None:
        return 1
    # JSON Schema counts 3.0 as the integer 3, and so does Oxen's validation.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 4:
        raise invalid(f"`{name}` must be an integer from 1 to 4, got {json.dumps(value)[:40]}")
    return value


def int_query(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(f"query parameter `{name}` must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise invalid(f"query parameter `{name}` must be from {low} to {high}, got {value}")
    return value
