"""Reading request bodies defensively: JSON objects only, bounded size, clear 4xx otherwise.

:class:`JsonBody` takes the body as it arrives (``feed``) and parses it once it is complete
(``parse``); the size bound is checked on the declared length first, then on what arrives.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .errors import (
    UNSUPPORTED_MEDIA_TYPE,
    ApiError,
    envelope_a,
    invalid,
    too_large,
)


def _no_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; Python's parser accepts them unless told otherwise, and a
    # stored NaN could not be sent back.
    raise ValueError(f"{name} is not a JSON value")


def media_type_of(headers: Mapping[str, str]) -> str:
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def incomplete() -> ApiError:
    """The client went away before its whole body arrived."""
    return invalid("the client went away before sending the whole body", "Incomplete body")


class JsonBody:
    """A JSON object body: refused early for another content type (415) or a declared size over
    `limit` (413), refused while arriving once over `limit`, parsed by :meth:`parse`."""

    def __init__(self, headers: Mapping[str, str], limit: int) -> None:
        media_type = media_type_of(headers)
        if media_type and media_type != "application/json" and not media_type.endswith("+json"):
            raise ApiError(
                415,
                envelope_a(
                    UNSUPPORTED_MEDIA_TYPE,
                    "Unsupported content type",
                    f"send a JSON object with Content-Type: application/json, not {media_type!r}",
                ),
            )
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise too_large(limit)
        self.limit = limit
        self.size = 0
        self.chunks: list[bytes] = []

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise too_large(self.limit)
        self.chunks.append(chunk)

    def parse(self) -> dict[str, Any]:
        """The body as a JSON object, or an ApiError (400) saying what is wrong."""
        return parse_object(b"".join(self.chunks))


def parse_object(raw: bytes) -> dict[str, Any]:
    """`raw` as a JSON object of Unicode text, or an ApiError (400) saying what is wrong."""
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
        raise invalid(
            f"the request body must be a JSON object, not {type(value).__name__}", "Invalid body"
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


def int_query(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(f"query parameter `{name}` must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise invalid(f"query parameter `{name}` must be from {low} to {high}, got {value}")
    return value
