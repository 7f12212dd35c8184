"""Raw responses: ``client.with_raw_response.<call>(...)`` makes the call as usual and returns an
``APIResponse``: the HTTP answer (status, headers, request id) and, by ``parse()``, what the
call itself returns.

How: the view sets a context variable to a fresh ``Capture`` around the call, and the request
loop hands every 2xx response it returns to ``record()``. The capture keeps the last one sent by
the caller's own task (in an event loop) or thread: an event hub's task started during the call
inherits the variable but is not the caller. A call that sends several requests (local files
uploaded first, then the enqueue) shows the last one, the call's own.
"""

from __future__ import annotations

import functools
import inspect
import sys
import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._exceptions import OxenError, request_id_of

if TYPE_CHECKING:
    import httpx

__all__ = ["APIResponse", "RawResponses", "record"]

_T = TypeVar("_T")


def _caller() -> object:
    """Who is making a call: the running task inside an event loop, else the thread."""
    asyncio = sys.modules.get("asyncio")  # never imported here: a blocking program has none
    if asyncio is not None:
        try:
            task = asyncio.current_task()
        except RuntimeError:  # no running event loop in this thread
            task = None
        if task is not None:
            return task
    return threading.get_ident()


class _Capture:
    __slots__ = ("owner", "response")

    def __init__(self) -> None:
        self.owner = _caller()
        self.response: httpx.Response | None = None


_CAPTURE: ContextVar[_Capture | None] = ContextVar("oxen_inference_raw", default=None)


def record(response: httpx.Response) -> None:
    """Called by the request loop with each 2xx response it returns (nearly free outside a
    ``with_raw_response`` call)."""
    capture = _CAPTURE.get()
    if capture is not None and capture.owner == _caller():
        capture.response = response


class APIResponse(Generic[_T]):
    """What the API answered to one call made through ``client.with_raw_response``.

    ``status_code``, ``headers``, ``request_id``, ``url``, ``method`` describe the HTTP answer
    (``http_response`` is the ``httpx.Response`` itself); ``parse()`` returns what the call
    returns (on ``AsyncOxen`` too, without ``await``: the call has already been awaited). For a
    stream (``chat(..., stream=True)``), ``parse()`` is the stream, still to be read.
    """

    __slots__ = ("_parsed", "http_response")

    http_response: httpx.Response

    def __init__(self, http_response: httpx.Response, parsed: _T) -> None:
        self.http_response = http_response
        self._parsed = parsed

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def request_id(self) -> str | None:
        """The server's request id (``x-request-id`` and the like), None when it sent none."""
        return request_id_of(self.http_response.headers)

    @property
    def url(self) -> httpx.URL:
        return self.http_response.request.url

    @property
    def method(self) -> str:
        return self.http_response.request.method

    def parse(self) -> _T:
        """What the call returns (a ``GenerateResponse``, a ``Job``, a list of models, ...)."""
        return self._parsed

    def __repr__(self) -> str:
        return f"<APIResponse [{self.status_code}] {self.method} {self.url}>"


def _answer(capture: _Capture, value: _T, name: str) -> APIResponse[_T]:
    if capture.response is None:
        raise OxenError(f"{name}() sent no API request: there is no raw response to show")
    return APIResponse(capture.response, value)


class RawResponses:
    """``client.with_raw_response``: the client's calls (``generate_<model>``, ``submit``,
    ``chat``, ``models.list``, ...), each returning an :class:`APIResponse` instead."""

    __slots__ = ("_asynchronous", "_path", "_target")

    def __init__(self, target: object, *, asynchronous: bool, path: str = "") -> None:
        self._target = target
        self._asynchronous = asynchronous
        self._path = path

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        value = getattr(self._target, name)
        path = f"{self._path}{name}"
        if inspect.isgeneratorfunction(value) or inspect.isasyncgenfunction(value):
            raise AttributeError(
                f"with_raw_response.{path}() yields many pages, not one answer "
                "(use with_raw_response.generations.page(n))"
            )
        if callable(value):
            return self._wrap(value, path)
        if type(value).__module__.startswith(f"{__package__}."):  # a resource: client.models
            return RawResponses(value, asynchronous=self._asynchronous, path=f"{path}.")
        raise AttributeError(f"with_raw_response.{path} is not a call")

    def __dir__(self) -> list[str]:
        return [n for n in dir(self._target) if not n.startswith("_")]

    def __repr__(self) -> str:
        return f"<with_raw_response of {self._target!r}>"

    def _wrap(self, function: Callable[..., Any], name: str) -> Callable[..., Any]:
        if self._asynchronous:

            async def acall(*args: Any, **kwargs: Any) -> APIResponse[Any]:
                capture = _Capture()
                token = _CAPTURE.set(capture)
                try:
                    value = await function(*args, **kwargs)
                finally:
                    _CAPTURE.reset(token)
                return _answer(capture, value, name)

            return functools.update_wrapper(acall, function)

        def call(*args: Any, **kwargs: Any) -> APIResponse[Any]:
            capture = _Capture()
            token = _CAPTURE.set(capture)
            try:
                value = function(*args, **kwargs)
            finally:
                _CAPTURE.reset(token)
            return _answer(capture, value, name)

        return functools.update_wrapper(call, function)
