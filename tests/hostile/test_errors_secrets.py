"""Exceptions and the API key: every error the client raises pickles without the key and
unpickles to the same type and message (so it crosses ``ProcessPoolExecutor`` and
``multiprocessing.Pool``); a traceback rendered with its locals (``pytest -l``, Sentry, rich)
never shows the key; a server that echoes the key in its answer does not get it printed."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import pickle
import traceback
from collections.abc import Callable
from typing import Any

import oxen_inference as ox
import pytest

from tests.hostile.rawhttp import Conn, Request, serve

KEY = "sk-" + "SECRET0123456789abcdef"
I2V = "luma-ray-v3-2-image-to-video"
IMG = "https://example.com/tiger.png"
CHAT = "gpt-4o"
HI = [{"role": "user", "content": "hi"}]


def _echo(status: int, ctype: str = "application/json") -> Callable[[Request, Conn], bool]:
    """Answers `status`, its body quoting the Authorization header it got (a careless server)."""

    def handler(request: Request, conn: Conn) -> bool:
        auth = request.headers.get("authorization", "")
        if ctype == "application/json":
            body = (
                b'{"error": {"message": "key refused: '
                + auth.encode()
                + b'", "echo": {"headers": {"Authorization": "'
                + auth.encode()
                + b'"}}}}'
            )
        else:
            body = f"<html>bad gateway for {auth}</html>".encode()
        conn.reply(status, body, {"Content-Type": ctype, "X-Request-Id": "req-1"})
        return False

    return handler


def _hang_up(request: Request, conn: Conn) -> bool:
    return False


def _trickle(request: Request, conn: Conn) -> bool:
    conn.trickle(b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100, 0.3)
    return False


def _chat_error(request: Request, conn: Conn) -> bool:
    auth = request.headers.get("authorization", "")
    conn.head(200, {"Content-Type": "text/event-stream", "Connection": "close"})
    conn.send(b'data: {"error": {"message": "bad key ' + auth.encode() + b'"}}\n\n')
    return False


def _errors(server_url: str, handler_name: str) -> ox.OxenError:
    """The error one call raises against the server (a handler of this module)."""
    client = ox.Oxen(api_key=KEY, base_url=server_url, max_retries=0, events=False)
    calls: dict[str, Callable[[], Any]] = {
        "chat": lambda: list(client.chat(CHAT, messages=HI, stream=True)),
        "timeout": lambda: client.models.list(timeout=0.5),
        "nan": lambda: client.submit(
            I2V,
            prompt="p",
            input_image=IMG,
            extra_body={"x": float("nan")},
            extra_headers={"X-Trace": "1"},
        ),
        "header": lambda: client.models.list(extra_headers={"X-Bad": "a\r\nb"}),
        "wait": lambda: client.job("g1").wait(timeout=0.3),
    }
    try:
        calls.get(handler_name, lambda: client.models.list())()
    except ox.OxenError as exc:
        return exc
    finally:
        client.close()
    raise AssertionError("no error")


CASES: dict[str, tuple[Callable[[Request, Conn], bool], str, type[ox.OxenError]]] = {
    "400 echoing the key": (_echo(400), "list", ox.BadRequestError),
    "401 echoing the key": (_echo(401), "list", ox.AuthenticationError),
    "403 echoing the key": (_echo(403), "list", ox.PermissionDeniedError),
    "404 echoing the key": (_echo(404), "list", ox.NotFoundError),
    "422 echoing the key": (_echo(422), "list", ox.UnprocessableEntityError),
    "429 echoing the key": (_echo(429), "list", ox.RateLimitError),
    "502 html echoing the key": (_echo(502, "text/html"), "list", ox.InternalServerError),
    "418 echoing the key": (_echo(418), "list", ox.APIStatusError),
    "2xx html echoing the key": (_echo(200, "text/html"), "list", ox.APIResponseValidationError),
    "chat error echoing the key": (_chat_error, "chat", ox.APIStreamError),
    "hang-up": (_hang_up, "list", ox.APIConnectionError),
    "trickle": (_trickle, "timeout", ox.APITimeoutError),
    "NaN in the body": (_hang_up, "nan", ox.ValidationError),
    "a header with CR LF": (_hang_up, "header", ox.ValidationError),
    "wait time-out": (_hang_up, "wait", ox.WaitTimeoutError),
}


def _made(case: str) -> ox.OxenError:
    handler, call, kind = CASES[case]
    with serve(handler) as server:
        error = _errors(server.api, call)
    assert type(error) is kind, repr(error)
    return error


def _render(error: BaseException, *, with_locals: bool) -> str:
    """What an error tracker shows: the message, repr, the traceback (chained causes included),
    with every frame's locals when asked."""
    tb = traceback.TracebackException.from_exception(error, capture_locals=with_locals)
    return "\n".join([str(error), repr(error), *tb.format()])


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_an_error_shows_no_key_anywhere(case: str) -> None:
    error = _made(case)
    # The frames that parsed an answer quoting the key hold what the server sent; every other
    # frame, and every error, holds the key only in a masked form.
    echoed = "echoing" in case
    assert KEY not in _render(error, with_locals=not echoed)
    assert KEY not in repr(getattr(error, "body", None))
    assert KEY not in getattr(error, "message", "")
    if echoed:
        assert "<redacted>" in str(error) or "<redacted>" in repr(error.body)  # type: ignore[attr-defined]


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_an_error_pickles_without_the_key_and_comes_back_the_same(case: str) -> None:
    error = _made(case)
    data = pickle.dumps(error)
    assert KEY.encode() not in data
    back = pickle.loads(data)
    assert type(back) is type(error) and str(back) == str(error) and back.args == error.args
    for name in ("status_code", "request_id", "body", "type", "generation_id", "errors"):
        assert getattr(back, name, None) == getattr(error, name, None), name


def test_errors_made_without_a_server_pickle_too() -> None:
    row = ox.GenerationResult(generation_id="g1", status="failed", error_message="boom")
    errors: list[ox.OxenError] = [
        ox.GenerationFailedError(row),
        ox.MissingAPIKeyError("no key"),
        ox.InvalidAPIKeyError("the key holds a line break"),
        ox.UnknownModelError("unknown model 'x'"),
        ox.NoRequestSchemaError("model 'x' publishes no request schema"),
        ox.ClientClosedError("the client is closed"),
        ox.APIConnectionError(),
        ox.APITimeoutError(),
        ox.OxenError("plain"),
    ]
    for error in errors:
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is type(error) and str(back) == str(error)
    failed = pickle.loads(pickle.dumps(errors[0]))
    assert (
        isinstance(failed, ox.GenerationFailedError) and failed.generation.error_message == "boom"
    )


def _raise_in_a_worker(url: str) -> None:
    ox.Oxen(api_key=KEY, base_url=url, max_retries=0, events=False).models.get("nope")


def _not_found(request: Request, conn: Conn) -> bool:
    conn.reply(404, {"error": {"type": "resource_not_found", "detail": "Model not found"}})
    return False


def test_an_error_crosses_a_process_pool() -> None:
    with serve(_not_found) as server:
        with concurrent.futures.ProcessPoolExecutor(1) as pool:
            error = pool.submit(_raise_in_a_worker, server.api).exception(timeout=60)
        with multiprocessing.get_context("fork").Pool(1) as mp:
            pending = mp.apply_async(_raise_in_a_worker, (server.api,))
            with pytest.raises(ox.NotFoundError, match="Model not found"):
                pending.get(timeout=60)
    assert type(error) is ox.NotFoundError and "Model not found" in str(error)
    assert error.status_code == 404


def test_a_bearer_credential_is_scrubbed_even_when_it_is_not_ours() -> None:
    """Another credential echoed back (a proxy's, an older key) is recognised by its ``Bearer``
    form; the rest of the message stays."""

    def handler(request: Request, conn: Conn) -> bool:
        conn.reply(400, {"error": {"message": "token Bearer abc.def-ghi/+= refused, try again"}})
        return False

    with serve(handler) as server:
        client = ox.Oxen(api_key=KEY, base_url=server.api, max_retries=0, events=False)
        with client, pytest.raises(ox.BadRequestError) as info:
            client.models.list()
    assert str(info.value) == "400: token Bearer <redacted> refused, try again"


@pytest.mark.parametrize("depth", [500, 900, 5000, 100_000])
@pytest.mark.parametrize(
    ("status", "kind"), [(400, ox.BadRequestError), (200, ox.APIResponseValidationError)]
)
def test_an_answer_nested_too_deep_is_an_error_that_pickles(
    depth: int, status: int, kind: type[ox.OxenError]
) -> None:
    """JSON nested as deep as Python's parser goes (or deeper) ends in the usual typed error, one
    that still prints and pickles: the body is not kept past 64 levels."""
    body = b'{"error": {"message": "too deep"}, "data": ' + b"[" * depth + b"]" * depth + b"}"

    def handler(request: Request, conn: Conn) -> bool:
        conn.reply(status, body, {"Content-Type": "application/json"})
        return False

    with serve(handler) as server:
        client = ox.Oxen(api_key=KEY, base_url=server.api, max_retries=0, events=False)
        with client, pytest.raises(kind) as info:
            client.models.list()
    error = info.value
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is kind and str(back) == str(error)
    assert len(repr(error)) < 2000 and len(str(error)) < 2000
    if status == 400:
        assert "too deep" in str(error)  # the server's message, or the start of its text
