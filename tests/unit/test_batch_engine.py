"""What a failed enqueue means to a batch run: stop, send again later, fail the input, or settle
the doubt by listing (a table over the errors the client raises)."""

from __future__ import annotations

import httpx
import pytest
from oxen_inference._batch_engine import verdict
from oxen_inference._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    OxenError,
    status_error,
)

REQUEST = httpx.Request("POST", "https://api.test/api/ai/queue")


def _status(code: int) -> BaseException:
    response = httpx.Response(code, json={"error": {"message": "no"}}, request=REQUEST)
    response.read()
    return status_error(response)


def _connection(cause: BaseException, timeout: bool = False) -> BaseException:
    kind = APITimeoutError if timeout else APIConnectionError
    exc = kind("connection error", request=REQUEST)
    exc.__cause__ = cause
    return exc


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (_status(401), "fatal"),
        (_status(403), "fatal"),
        (_status(429), "retry"),
        (_status(503), "retry"),
        (_status(400), "refused"),
        (_status(404), "refused"),
        (_status(413), "refused"),
        (_status(422), "refused"),
        (_status(500), "doubt"),  # the jobs may exist: an enqueue is never retried blindly
        (_status(502), "doubt"),
        (_status(504), "doubt"),
        (_connection(httpx.ConnectError("refused")), "retry"),  # nothing reached the server
        (_connection(httpx.ConnectTimeout("slow"), timeout=True), "retry"),
        (_connection(httpx.PoolTimeout("busy"), timeout=True), "retry"),
        (_connection(httpx.ReadTimeout("no answer"), timeout=True), "doubt"),
        (_connection(httpx.RemoteProtocolError("cut")), "doubt"),
        (_connection(httpx.WriteError("broken")), "doubt"),
        (APITimeoutError("request timed out (deadline)", request=REQUEST), "doubt"),
        (
            APIResponseValidationError(
                "garbage", response=httpx.Response(200, request=REQUEST), body=None
            ),
            "doubt",
        ),
        (OxenError("anything else"), "doubt"),
        (RuntimeError("a bug"), "doubt"),
    ],
)
def test_what_a_failed_enqueue_means(exc: BaseException, expected: str) -> None:
    assert verdict(exc) == expected
