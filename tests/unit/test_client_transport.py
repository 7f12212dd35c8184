"""The generated client's transport: retries, backoff, Retry-After, unsafe requests, deadlines,
error envelopes and redaction, over httpx.MockTransport (no server)."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import oxen_inference as ox
import pytest
from oxen_inference import _base_client as base
from oxen_inference import _limits, _retries

from tests.conftest import REPO

KEY = "sk-secret-key-123"
M = "luma-ray-v3-2-image-to-video"


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record retry sleeps instead of sleeping."""
    slept: list[float] = []
    monkeypatch.setattr("time.sleep", slept.append)
    return slept


def client(handler: Callable[[httpx.Request], httpx.Response], **kw: Any) -> ox.Oxen:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return ox.Oxen(
        api_key=KEY, base_url="https://api.test/api", http_client=http, events=False, **kw
    )


def sequence(
    *responses: httpx.Response | Exception,
) -> tuple[Callable[[httpx.Request], httpx.Response], list[httpx.Request]]:
    seen: list[httpx.Request] = []
    items = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = items.pop(0) if len(items) > 1 else items[0]
        if isinstance(item, Exception):
            raise item
        return item

    return handler, seen


OK_QUEUE = httpx.Response(200, json={"generations": [{"generation_id": "g1", "status": "queued"}]})
ENV_A = {
    "error": {"type": "invalid_params", "title": "Invalid parameters", "detail": "bad prompt"},
    "status": "error",
    "status_message": "invalid_params",
}


def test_get_retries_5xx_and_429_then_succeeds(no_sleep: list[float]) -> None:
    handler, seen = sequence(
        httpx.Response(500, json=ENV_A),
        httpx.Response(429, headers={"Retry-After": "2"}, json={}),
        httpx.Response(200, json={"object": "list", "data": []}),
    )
    assert client(handler).models.list() == []
    assert len(seen) == 3
    assert (
        no_sleep[0] < _retries.MAX_RETRY_DELAY and 2.0 <= no_sleep[1] < 2.1
    )  # Retry-After honoured


def test_retries_give_up_after_max_retries(no_sleep: list[float]) -> None:
    handler, seen = sequence(httpx.Response(503, json={"error": "down"}))
    with pytest.raises(ox.InternalServerError) as info:
        client(handler, max_retries=2).models.list()
    assert len(seen) == 3 and len(no_sleep) == 2
    assert info.value.status_code == 503 and info.value.message == "down"


def test_enqueue_not_retried_on_500_or_read_error() -> None:
    handler, seen = sequence(httpx.Response(500, json=ENV_A))
    with pytest.raises(ox.InternalServerError):
        client(handler).submit(M, prompt="p", input_image="https://e/x.png")
    assert len(seen) == 1  # a duplicate enqueue would be a duplicate bill
    handler, seen = sequence(httpx.ReadError("reset"))
    with pytest.raises(ox.APIConnectionError):
        client(handler).submit(M, prompt="p", input_image="https://e/x.png")
    assert len(seen) == 1
    handler, seen = sequence(httpx.ReadTimeout("slow"))
    with pytest.raises(ox.APITimeoutError):
        client(handler).generate(M, prompt="p", input_image="https://e/x.png")
    assert len(seen) == 1


def test_enqueue_retried_when_surely_not_processed() -> None:
    handler, seen = sequence(
        httpx.ConnectError("refused"),
        httpx.Response(429, json={}),
        httpx.Response(503, json={}),
        OK_QUEUE,
    )
    job = client(handler).submit(M, prompt="p", input_image="https://e/x.png")
    assert job.id == "g1" and len(seen) == 4


def test_backoff_grows_with_jitter_and_cap() -> None:
    delays = [_retries.backoff_delay(n) for n in range(10)]
    for n, d in enumerate(delays):
        nominal = min(_retries.MAX_RETRY_DELAY, _retries.INITIAL_RETRY_DELAY * 2**n)
        assert 0.75 * nominal <= d <= nominal
    assert max(delays) <= _retries.MAX_RETRY_DELAY


def test_retry_after_forms() -> None:
    assert _retries.parse_retry_after({"retry-after": "3"}) == 3.0
    assert _retries.parse_retry_after({"retry-after-ms": "250"}) == 0.25
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(1_000_010))
    assert _retries.parse_retry_after({"retry-after": date}, now=1_000_000) == pytest.approx(
        10, abs=1
    )
    assert _retries.parse_retry_after({"retry-after": "soon"}) is None
    assert _retries.parse_retry_after({}) is None
    assert (
        _retries.retry_delay(0, {"retry-after": "600"}) <= _retries.INITIAL_RETRY_DELAY
    )  # absurd: ignored


def test_deadline_stops_retries_and_clips_timeouts(no_sleep: list[float]) -> None:
    handler, seen = sequence(httpx.Response(429, headers={"Retry-After": "5"}, json={}))
    c = client(handler)
    with pytest.raises(ox.RateLimitError):
        c.request("GET", "/ai/queue", deadline=time.monotonic() + 1.0)
    assert len(seen) == 1 and no_sleep == []  # waiting 5 s would pass the deadline
    handler, seen = sequence(httpx.Response(200, json={}))
    c = client(handler)
    c.request("GET", "/ai/queue", deadline=time.monotonic() + 2.0)
    assert seen[0].extensions["timeout"]["read"] <= 2.0


def test_route_timeouts() -> None:
    handler, seen = sequence(httpx.Response(200, json={"videos": []}))
    client(handler).generate(M, prompt="p", input_image="https://e/x.png")
    assert seen[0].extensions["timeout"]["read"] >= 900  # blocking video routes take minutes
    client(handler).generate(M, prompt="p", input_image="https://e/x.png", timeout=3)
    assert 2.9 < seen[1].extensions["timeout"]["read"] <= 3  # what remains of the deadline
    client(handler).models.list()
    assert seen[2].extensions["timeout"]["read"] == _limits.DEFAULT_TIMEOUT.read


@pytest.mark.parametrize(
    ("status", "body", "cls", "message"),
    [
        (400, ENV_A, ox.BadRequestError, "Invalid parameters: bad prompt"),
        (
            401,
            {"error": {"type": "unauthenticated", "title": "Unauthenticated", "detail": "no key"}},
            ox.AuthenticationError,
            "Unauthenticated: no key",
        ),
        (403, {"error": "forbidden"}, ox.PermissionDeniedError, "forbidden"),
        (404, {"error": {"message": "Model not found: x"}}, ox.NotFoundError, "Model not found: x"),
        (422, {"error": {"message": "upstream 422"}}, ox.UnprocessableEntityError, "upstream 422"),
        (429, {"error": "slow down"}, ox.RateLimitError, "slow down"),
        (502, "Bad gateway text", ox.InternalServerError, "Bad gateway text"),
        (418, {"detail": "teapot"}, ox.APIStatusError, "teapot"),
    ],
)
def test_error_envelopes(
    status: int, body: object, cls: type[ox.APIStatusError], message: str
) -> None:
    response = (
        httpx.Response(status, json=body, headers={"x-request-id": "req-9"})
        if not isinstance(body, str)
        else httpx.Response(status, text=body)
    )
    handler, _ = sequence(response)
    with pytest.raises(cls) as info:
        client(handler, max_retries=0).models.get("x")
    err = info.value
    assert type(err) is cls and err.status_code == status and err.message == message
    assert err.body == body and err.request is not None and err.response.status_code == status
    if not isinstance(body, str):
        assert err.request_id == "req-9" and "req-9" in str(err)
    assert isinstance(err, ox.APIError) and isinstance(err, ox.OxenError)


def test_missing_key_is_a_clear_error_before_sending(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OXEN_API_KEY", raising=False)
    handler, seen = sequence(httpx.Response(200, json={}))
    c = ox.Oxen(
        base_url="https://api.test/api",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        events=False,
    )
    with pytest.raises(ox.MissingAPIKeyError, match="OXEN_API_KEY"):
        c.models.list()
    assert seen == []


def test_env_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OXEN_API_KEY", KEY)
    monkeypatch.setenv("OXEN_BASE_URL", "https://other.test/api/")
    handler, seen = sequence(httpx.Response(200, json={"data": []}))
    c = ox.Oxen(http_client=httpx.Client(transport=httpx.MockTransport(handler)), events=False)
    c.models.list()
    assert str(seen[0].url) == "https://other.test/api/ai/models"
    assert seen[0].headers["authorization"] == f"Bearer {KEY}"
    monkeypatch.delenv("OXEN_BASE_URL")
    assert str(ox.Oxen(events=False).base_url) == "https://hub.oxen.ai/api"


def test_key_never_in_repr_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    handler, _ = sequence(
        httpx.Response(500, json={"error": "boom"}), httpx.Response(401, json=ENV_A)
    )
    c = client(handler, max_retries=1)
    caplog.set_level(logging.DEBUG, logger="oxen_inference")
    with pytest.raises(ox.APIStatusError) as info:
        c.models.list()
    texts = [
        repr(c),
        str(c),
        str(info.value),
        repr(info.value),
        repr(info.value.request),
        caplog.text,
    ]
    assert "Authorization" in caplog.text or "authorization" in caplog.text  # headers are logged...
    assert base.REDACTED in caplog.text  # ...redacted
    for text in texts:
        assert KEY not in text
    assert base.redact_headers({"Authorization": "Bearer x", "X-Other": "1"}) == {
        "Authorization": base.REDACTED,
        "X-Other": "1",
    }


def test_oxen_log_env_enables_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    logger = logging.getLogger("oxen_inference")
    saved = (logger.handlers[:], logger.level)
    logger.handlers.clear()
    try:
        monkeypatch.setenv("OXEN_LOG", "debug")
        base.setup_logging()
        assert logger.level == logging.DEBUG and len(logger.handlers) == 1
    finally:
        logger.handlers[:] = saved[0]
        logger.setLevel(saved[1])


def test_key_only_sent_to_own_origin(tmp_path: object) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"x" * 100_000, headers={"content-length": "100000"})

    c = client(handler)
    progress: list[tuple[int, int | None]] = []
    from pathlib import Path

    out = c.download_url(
        "https://cdn.elsewhere.test/f/a.mp4",
        Path(str(tmp_path)),
        progress=lambda d, t: progress.append((d, t)),
    )
    assert out.name == "a.mp4" and out.stat().st_size == 100_000
    assert progress[-1] == (100_000, 100_000)
    c.download_url("https://api.test/files/b.png", Path(str(tmp_path)) / "b.png")
    assert "authorization" not in seen[0].headers
    assert seen[1].headers["authorization"] == f"Bearer {KEY}"
    assert not c.same_origin("http://api.test/files/x")  # other scheme: other origin
    assert [p.name for p in Path(str(tmp_path)).iterdir()] and not list(
        Path(str(tmp_path)).glob("*.part")
    )


def test_download_to_a_path_ending_in_a_slash_makes_the_directory(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pathlib import Path

    c = client(lambda request: httpx.Response(200, content=b"mp4"))
    monkeypatch.chdir(str(tmp_path))
    out = c.download_url("https://api.test/files/abc.mp4", "out/")  # as in the README quickstart
    assert out == Path("out/abc.mp4") and out.read_bytes() == b"mp4"
    assert c.download_url("https://api.test/files/abc.mp4", "plain") == Path("plain")
    assert Path("plain").read_bytes() == b"mp4"


# --- 2xx answers the client cannot read ----------------------------------------------------------

UNREADABLE = {
    "html": (b"<html><body>gateway</body></html>", "text/html"),
    "bad utf-8": (b'{"x": "\xff\xfe"}', "application/json"),
    "truncated": (b'{"generations": [{"generation_id": "g', "application/json"),
    "a string": (b'"ok"', "application/json"),
    "a number": (b"42", "application/json"),
    "empty": (b"", "application/json"),
}


def _chat_model() -> str:
    from oxen_inference import _registry

    return next(
        m
        for m in _registry.model_ids()
        if _registry.get(m).route == "/ai/chat/completions"  # type: ignore[union-attr]
    )


CALLS: dict[str, Callable[[ox.Oxen], object]] = {
    "submit": lambda c: c.submit_luma_ray_v3_2_image_to_video(
        prompt="p", input_image="https://e/x"
    ),
    "generate": lambda c: c.generate_luma_ray_v3_2_image_to_video(
        prompt="p", input_image="https://e/x"
    ),
    "status": lambda c: c.job("g1").status(),
    "cancel": lambda c: c.job("g1").cancel(),
    "models.list": lambda c: c.models.list(),
    "models.get": lambda c: c.models.get(M),
    "queue.list": lambda c: c.queue.list(),
    "generations.page": lambda c: c.generations.page(),
    "chat": lambda c: c.chat(_chat_model(), messages=[{"role": "user", "content": "hi"}]),
}


@pytest.mark.parametrize("body", UNREADABLE, ids=list(UNREADABLE))
@pytest.mark.parametrize("call", CALLS, ids=list(CALLS))
def test_an_answer_that_cannot_be_read_is_an_api_error_without_retries(
    call: str, body: str
) -> None:
    content, kind = UNREADABLE[body]
    handler, seen = sequence(httpx.Response(200, content=content, headers={"content-type": kind}))
    c = client(handler)
    with pytest.raises(ox.APIResponseValidationError) as info:
        CALLS[call](c)
    error = info.value
    assert isinstance(error, ox.OxenError) and error.status_code == 200
    assert len(seen) == 1  # the request went through: it is not sent again
    assert seen[0].url.path in str(error) and KEY not in str(error) + repr(error.body)
    if call == "submit":
        assert "client.queue.list()" in str(error)  # the jobs may exist


@pytest.mark.parametrize(
    "answer",
    [{"generations": []}, {"generations": "g1"}, {"generations": [{"id": "g1"}]}, [], {}],
    ids=["no rows", "a string", "no generation_id", "a list", "an empty object"],
)
def test_an_enqueue_answer_without_ids_names_what_is_missing(answer: object) -> None:
    handler, _ = sequence(httpx.Response(200, json=answer))
    with pytest.raises(ox.APIResponseValidationError, match="no generations with an id") as info:
        CALLS["submit"](client(handler))
    assert info.value.body == answer


async def test_the_async_client_reads_answers_the_same_way() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"<html/>", headers={"content-type": "text/html"})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    async with ox.AsyncOxen(
        api_key=KEY, base_url="https://api.test/api", http_client=http, events=False
    ) as c:
        with pytest.raises(ox.APIResponseValidationError, match=r"client\.queue\.list"):
            await c.submit_luma_ray_v3_2_image_to_video(prompt="p", input_image="https://e/x")
        with pytest.raises(ox.APIResponseValidationError, match="/ai/queue/g1"):
            await c.job("g1").status()
        with pytest.raises(ox.APIResponseValidationError, match="/ai/models"):
            await c.models.list()


def test_a_known_answer_shape_that_is_wrong_names_the_field() -> None:
    handler, _ = sequence(httpx.Response(200, json={"generation_id": 5, "status": "queued"}))
    with pytest.raises(ox.APIResponseValidationError, match="generation_id: "):
        client(handler).job("g1").status()


# --- values JSON cannot carry: refused before anything is sent --------------------------------------

KLEIN = "black-forest-labs-flux-2-klein-9b"
NOT_JSON: dict[str, tuple[str, dict[str, Any], str]] = {
    "NaN for a number": (KLEIN, {"guidance_scale": float("nan")}, "guidance_scale"),
    "infinity for a number": (KLEIN, {"guidance_scale": float("inf")}, "guidance_scale"),
    "NaN for an unknown model": ("no-such-model", {"strength": float("nan")}, "strength"),
    "NaN in extra_body": (KLEIN, {"extra_body": {"x": [1, float("-inf")]}}, "x.1"),
    "an object in extra_body": (KLEIN, {"extra_body": {"x": {"y": object()}}}, "x.y"),
    "a set for an unknown model": ("no-such-model", {"tags": {"a"}}, "tags"),
    "a tuple key in extra_body": (KLEIN, {"extra_body": {"x": {(1, 2): 1}}}, "x"),
}


@pytest.mark.parametrize("case", NOT_JSON, ids=list(NOT_JSON))
def test_a_value_json_cannot_carry_is_a_validation_error_before_sending(case: str) -> None:
    model_id, params, where = NOT_JSON[case]
    handler, seen = sequence(httpx.Response(200, json={}))
    c = client(handler)
    with pytest.raises(ox.ValidationError) as info:
        c.submit(model_id, prompt="p", **params)
    assert seen == [] and info.value.model_id == model_id
    assert where in [w for w, _ in info.value.errors], info.value.errors


async def test_the_async_client_and_chat_refuse_values_json_cannot_carry() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    async with ox.AsyncOxen(
        api_key=KEY, base_url="https://api.test/api", http_client=http, events=False
    ) as c:
        with pytest.raises(ox.ValidationError, match="JSON has no NaN"):
            await c.generate(KLEIN, prompt="p", extra_body={"x": float("nan")})
        with pytest.raises(ox.ValidationError, match="object values cannot be sent"):
            await c.chat(
                _chat_model(), messages=[{"role": "user", "content": "hi"}], extra=object()
            )
    assert sent == []


# --- ids in paths: one segment each, never another path ------------------------------------------

IDS = {
    "dot segments": ("../../repos/ns/repo", "/api/ai/queue/..%2F..%2Frepos%2Fns%2Frepo"),
    "a slash": ("a/b", "/api/ai/queue/a%2Fb"),
    "a query": ("a?b=1", "/api/ai/queue/a%3Fb%3D1"),
    "a fragment": ("a#x", "/api/ai/queue/a%23x"),
    "percent signs": ("%2e%2e", "/api/ai/queue/%252e%252e"),
    "a line break": ("a\r\nX-Injected: y", "/api/ai/queue/a%0D%0AX-Injected%3A%20y"),
}


@pytest.mark.parametrize("case", IDS, ids=list(IDS))
def test_a_generation_id_stays_one_path_segment(case: str) -> None:
    """An id from untrusted input (a webhook, a file) cannot send the key to another route:
    status() and cancel() reach /ai/queue/<that id> and nothing else."""
    generation_id, path = IDS[case]
    handler, seen = sequence(
        httpx.Response(200, json={"generation_id": generation_id, "status": "queued"}),
        httpx.Response(200, json={"status": "success", "generation_id": generation_id}),
    )
    job = client(handler).job(generation_id)
    assert job.status().generation_id == generation_id
    job.cancel()
    assert [(r.method, r.url.raw_path.decode()) for r in seen] == [("GET", path), ("DELETE", path)]
    assert all("x-injected" not in r.headers for r in seen)


@pytest.mark.parametrize("bad", ["", ".", "..", 5, None, ["m"]])
def test_what_is_no_id_is_refused_before_sending(bad: object) -> None:
    handler, seen = sequence(httpx.Response(200, json={}))
    c = client(handler)
    with pytest.raises(ox.ValidationError, match="generation_id"):
        c.job(bad)  # type: ignore[arg-type]
    with pytest.raises(ox.ValidationError, match="model_id"):
        c.models.get(bad)  # type: ignore[arg-type]
    if bad not in (".", ".."):  # those are strings a server could know as models
        with pytest.raises(ox.ValidationError, match="a model id is a non-empty string"):
            c.submit(bad, prompt="p")  # type: ignore[call-overload]
        with pytest.raises(ox.ValidationError, match="a model id is a non-empty string"):
            c.generate(bad, prompt="p")  # type: ignore[arg-type]
    assert seen == []


def test_a_model_id_is_one_path_segment_too() -> None:
    handler, seen = sequence(httpx.Response(200, json={"id": "x", "name": "x"}))
    client(handler).models.get("a/../../repos/x")
    assert seen[0].url.raw_path == b"/api/ai/models/a%2F..%2F..%2Frepos%2Fx"


# --- call controls from the caller: refused before anything is sent --------------------------------

BAD_CONTROLS: dict[str, tuple[dict[str, Any], str]] = {
    "a header value with CR LF": ({"extra_headers": {"X-A": "a\r\nX-B: b"}}, "extra_headers.X-A"),
    "a header value with NUL": ({"extra_headers": {"X-A": "a\x00"}}, "extra_headers.X-A"),
    "a non-ASCII header value": ({"extra_headers": {"X-A": "é"}}, "extra_headers.X-A"),
    "a header name with a space": ({"extra_headers": {"X A": "v"}}, "extra_headers"),
    "an empty header name": ({"extra_headers": {"": "v"}}, "extra_headers"),
    "a string timeout": ({"timeout": "5"}, "timeout"),
    "a zero timeout": ({"timeout": 0}, "timeout"),
    "a negative timeout": ({"timeout": -1}, "timeout"),
    "a NaN timeout": ({"timeout": float("nan")}, "timeout"),
    "an infinite timeout": ({"timeout": float("inf")}, "timeout"),
    "a bool timeout": ({"timeout": True}, "timeout"),
}


@pytest.mark.parametrize("case", BAD_CONTROLS, ids=list(BAD_CONTROLS))
def test_bad_call_controls_are_refused_before_sending(case: str) -> None:
    controls, where = BAD_CONTROLS[case]
    handler, seen = sequence(httpx.Response(200, json={}))
    c = client(handler)
    with pytest.raises(ox.ValidationError) as info:
        c.submit_luma_ray_v3_2_image_to_video(prompt="p", input_image="https://e/x", **controls)
    assert seen == [] and [w for w, _ in info.value.errors] == [where]
    with pytest.raises(ox.ValidationError):
        c.models.list(**controls)


@pytest.mark.parametrize("timeout", ["5", 0, -1.0, float("nan")])
def test_a_client_timeout_is_checked_when_the_client_is_made(timeout: object) -> None:
    with pytest.raises(ox.ValidationError, match="timeout"):
        ox.Oxen(api_key=KEY, timeout=timeout)  # type: ignore[arg-type]
    with pytest.raises(ox.ValidationError, match="timeout"):
        ox.AsyncOxen(api_key=KEY, timeout=timeout)  # type: ignore[arg-type]


def test_good_call_controls_still_go_through() -> None:
    handler, seen = sequence(*[httpx.Response(200, json={"object": "list", "data": []})] * 4)
    c = client(handler)
    for controls in (
        {"timeout": 2.5},
        {"timeout": None},
        {"timeout": httpx.Timeout(3.0)},
        {"extra_headers": {"X-Trace": "a\tb ~!"}},
    ):
        assert c.models.list(**controls) == []
    assert len(seen) == 4 and seen[-1].headers["x-trace"] == "a\tb ~!"


# --- base URLs and download URLs: checked, not retried in vain ---------------------------------------

BAD_URLS = {
    "no scheme": "hub.oxen.ai/api",
    "another scheme": "ftp://host/api",
    "no host": "http://",
    "only a port": "http://:80/api",
    "a query": "http://127.0.0.1:9/api?x=1",
    "a fragment": "http://127.0.0.1:9/api#x",
    "a leading space": " http://127.0.0.1:9/api",
    "a line break": "http://127.0.0.1:9/api\n",
    "a port that is no number": "http://host:8o/api",
    "a port out of range": "http://host:70000/api",
}


@pytest.mark.parametrize("case", BAD_URLS, ids=list(BAD_URLS))
def test_a_base_url_that_cannot_work_is_refused_when_the_client_is_made(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = BAD_URLS[case]
    with pytest.raises(ox.ValidationError, match="base_url"):
        ox.Oxen(api_key=KEY, base_url=url)
    with pytest.raises(ox.ValidationError, match="base_url"):
        ox.AsyncOxen(api_key=KEY, base_url=url)
    monkeypatch.setenv("OXEN_BASE_URL", url)
    with pytest.raises(ox.ValidationError, match="OXEN_BASE_URL"):
        ox.Oxen(api_key=KEY)


@pytest.mark.parametrize(
    "url",
    ["https://hub.oxen.ai/api", "http://127.0.0.1:8765/api/", "http://[::1]:8080/api", "HTTP://h"],
)
def test_good_base_urls_are_taken(url: str) -> None:
    made = str(ox.Oxen(api_key=KEY, base_url=url).base_url)
    assert made.rstrip("/") == url.rstrip("/").replace("HTTP://", "http://")


def test_a_download_url_that_is_not_http_is_refused_before_sending(tmp_path: object) -> None:
    handler, seen = sequence(httpx.Response(200, content=b"x"))
    c = client(handler)
    for url in ("ftp://host/a.mp4", "file:///etc/passwd", "/relative/a.mp4"):
        with pytest.raises(ox.ValidationError, match="url"):
            c.download_url(url, str(tmp_path))
    assert seen == []


# --- a server that is down: the error names where and how often it tried ------------------------


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A port on 127.0.0.1 held by a socket that is bound but not listening: every connection is
    refused, and no other process can take the port while the test runs."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


@pytest.mark.parametrize(("retries", "tries"), [(0, "1 attempt"), (2, "3 attempts")])
def test_a_server_that_is_down_is_named_with_the_attempts_made(
    refusing_port: int, no_sleep: list[float], retries: int, tries: str
) -> None:
    with ox.Oxen(
        api_key=KEY, base_url=f"http://127.0.0.1:{refusing_port}/api", max_retries=retries
    ) as down:
        for call in (
            down.models.list,
            lambda: down.submit(M, prompt="p", input_image="https://e/x.png"),  # unsafe: retried
        ):
            with pytest.raises(ox.APIConnectionError) as info:
                call()
            message = str(info.value)
            assert message.startswith(
                f"cannot connect to 127.0.0.1:{refusing_port} ({tries}): ConnectError: "
            ), message
            assert "Connection refused" in message and "\n" not in message
    assert len(no_sleep) == 2 * retries  # the retries did happen, between the attempts


async def test_the_async_client_names_them_too(
    refusing_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_retries, "backoff_delay", lambda attempt, **kw: 0.0)
    async with ox.AsyncOxen(
        api_key=KEY, base_url=f"http://127.0.0.1:{refusing_port}/api", max_retries=1
    ) as down:
        with pytest.raises(ox.APIConnectionError) as info:
            await down.models.list()
    assert str(info.value).startswith(f"cannot connect to 127.0.0.1:{refusing_port} (2 attempts)")


@pytest.mark.parametrize(
    ("failure", "error", "said"),
    [
        (httpx.ReadError("reset"), ox.APIConnectionError, "connection error with api.test:443"),
        (httpx.ReadTimeout("slow"), ox.APITimeoutError, "request to api.test:443 timed out"),
    ],
)
def test_errors_after_connecting_name_the_host_too(
    failure: Exception, error: type[Exception], said: str
) -> None:
    handler, seen = sequence(failure)
    with pytest.raises(error) as info:
        client(handler).submit(M, prompt="p", input_image="https://e/x.png")  # never retried
    assert str(info.value).startswith(f"{said} (1 attempt): {type(failure).__name__}")
    handler, seen = sequence(failure)
    with pytest.raises(error) as info:
        client(handler, max_retries=3).models.list()  # retried: four attempts
    assert str(info.value).startswith(f"{said} (4 attempts)") and len(seen) == 4


def test_the_deadline_backend_sits_where_httpcore_keeps_its_backend() -> None:
    """The blocking client's per-call deadlines hang on httpcore's private layout
    (``transport._pool._network_backend``, patched in one place: ``_deadline.install_deadlines``).
    When a new httpcore moves it, this fails rather than the deadlines quietly becoming per phase."""
    from oxen_inference import _deadline
    from oxen_inference._synchronization import DEADLINE

    transport = httpx.HTTPTransport()
    assert _deadline.install_deadlines(transport), (
        "httpcore no longer keeps its network backend at transport._pool._network_backend: "
        "update oxen_inference._deadline.install_deadlines"
    )
    backend = transport._pool._network_backend
    assert isinstance(backend, _deadline.DeadlineBackend) and backend._holder is DEADLINE
    client = ox.Oxen(api_key=KEY, base_url="https://api.test/api")
    made = client._http._transport  # the pool the client makes for itself has it too
    assert isinstance(made._pool._network_backend, _deadline.DeadlineBackend)  # type: ignore[attr-defined]
    client.close()
    assert not _deadline.install_deadlines(object())  # type: ignore[arg-type]  # elsewhere: left as is


def test_the_client_declares_httpcore_which_it_imports() -> None:
    text = (REPO / "generated" / "pyproject.toml").read_text(encoding="utf-8")
    assert '"httpcore>=1.0,<2"' in text
    assert "import httpcore" in (REPO / "generated" / "oxen_inference" / "_deadline.py").read_text()
