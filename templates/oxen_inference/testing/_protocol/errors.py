"""Oxen's two error envelopes, and the exception the handlers raise to answer with one.

Envelope A (most errors)::

    {"error": {"type": t, "title": ..., "detail": ...}, "status": "error", "status_message": t}

Envelope B (unknown model)::

    {"error": {"message": "Model not found: x"}}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .answers import Answer, json_answer

UNAUTHENTICATED = "unauthenticated"
INVALID_PARAMS = "invalid_params"
NOT_FOUND = "resource_not_found"
UNKNOWN_ERROR = "unknown_error"
RATE_LIMITED = "rate_limited"
UNAVAILABLE = "service_unavailable"
METHOD_NOT_ALLOWED = "method_not_allowed"
PAYLOAD_TOO_LARGE = "payload_too_large"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
CONFLICT = "conflict"
FORBIDDEN = "forbidden"


def envelope_a(type_: str, title: str, detail: str) -> dict[str, Any]:
    return {
        "error": {"type": type_, "title": title, "detail": detail},
        "status": "error",
        "status_message": type_,
    }


def envelope_b(message: str) -> dict[str, Any]:
    return {"error": {"message": message}}


class ApiError(Exception):
    """An error answer: raise it anywhere in a handler; the exchange answers with it."""

    def __init__(
        self, status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})

    def answer(self) -> Answer:
        return json_answer(self.body, self.status, self.headers)


def error(status: int, type_: str, title: str, detail: str) -> ApiError:
    return ApiError(status, envelope_a(type_, title, detail))


def invalid(detail: str, title: str = "Invalid parameters") -> ApiError:
    return error(400, INVALID_PARAMS, title, detail)


def not_found(detail: str) -> ApiError:
    return error(404, NOT_FOUND, "Resource not found", detail)


def model_not_found(model_id: str) -> ApiError:
    return ApiError(404, envelope_b(f"Model not found: {model_id}"))


def forbidden(detail: str) -> ApiError:
    return error(403, FORBIDDEN, "Forbidden", detail)


def too_large(limit: int, what: str = "request bodies") -> ApiError:
    return error(
        413, PAYLOAD_TOO_LARGE, "Request body too large", f"{what} are limited to {limit} bytes"
    )


def unauthenticated(detail: str) -> ApiError:
    return ApiError(
        401,
        envelope_a(UNAUTHENTICATED, "Unauthenticated", detail),
        headers={"WWW-Authenticate": 'Bearer realm="oxen-mock"'},
    )
