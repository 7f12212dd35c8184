"""What an answer becomes: its JSON, a typed object, or a typed error (``OxenError``) naming the
request; and what a transport failure becomes (``APIConnectionError``, ``APITimeoutError``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ._exceptions import APIConnectionError, APIResponseValidationError, APITimeoutError

if TYPE_CHECKING:
    import httpx

__all__ = ["answer", "connection_error", "read_json", "unexpected_answer"]

_T = TypeVar("_T")


def connection_error(
    exc: httpx.TransportError, request: httpx.Request, attempts: int = 1
) -> APIConnectionError:
    """The error for a request that got no answer: it names the host and port tried and how
    many attempts were made (`attempts`: the first try and its retries)."""
    import httpx

    url = request.url
    host = f"[{url.host}]" if ":" in url.host else url.host
    where = f"{host}:{url.port or (443 if url.scheme == 'https' else 80)}"
    tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            f"request to {where} timed out ({tries}): {type(exc).__name__}", request=request
        )
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, httpx.ConnectError):
        return APIConnectionError(f"cannot connect to {where} ({tries}): {detail}", request=request)
    return APIConnectionError(f"connection error with {where} ({tries}): {detail}", request=request)


def read_json(response: httpx.Response, hint: str = "") -> Any:
    """The JSON of a 2xx answer (read); APIResponseValidationError when it is not JSON, its
    message ending with `hint`."""
    try:
        return response.json()
    except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError, too deep
        kind = response.headers.get("content-type", "no content type")
        raise APIResponseValidationError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code} with a body that is not JSON ({kind}): "
            f"{response.text!r:.200}{hint}",
            response=response,
            body=response.text[:1000],
        ) from None


def answer(response: httpx.Response, parse: Callable[[Any], _T]) -> _T:
    """`parse` (a model's ``model_validate``) applied to a 2xx answer's JSON; an answer that it
    refuses raises APIResponseValidationError naming the first problem."""
    payload = read_json(response)
    try:
        return parse(payload)
    except (ValueError, RecursionError) as exc:  # pydantic's ValidationError is a ValueError
        raise unexpected_answer(response, payload, exc) from exc


def unexpected_answer(
    response: httpx.Response, payload: Any, why: BaseException | str
) -> APIResponseValidationError:
    """The error for a 2xx answer whose JSON is not what the client expects."""
    errors = getattr(why, "errors", None)
    if callable(errors):  # a pydantic ValidationError: its first problem, located
        first = errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        why = f"{where}: {first['msg']}" if where else str(first["msg"])
    return APIResponseValidationError(
        f"unexpected answer to {response.request.method} {response.request.url.path} "
        f"({response.status_code}): {why}; the answer: {payload!r:.200}",
        response=response,
        body=payload,
    )
