"""`oxgen.fetch` without a server: shapes, retries, backoff, progress, exit codes (httpx.MockTransport)."""

from __future__ import annotations

import asyncio
import io
import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from oxgen import fetch
from oxgen.cli import _Progress, run_fetch
from oxgen.fetch import FetchError, FetchFailed, RetryPolicy

FAST = RetryPolicy(attempts=4, backoff=0.001, max_backoff=0.004, max_retry_after=0.05)
SCHEMA = {"type": "object", "properties": {"prompt": {"type": "string"}}}


def model(model_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "request_schema": SCHEMA, **extra}


def run(handler: Callable[[httpx.Request], httpx.Response], **kw: Any) -> list[dict[str, Any]]:
    return asyncio.run(
        fetch.fetch_models(
            "http://api.test/api",
            "k",
            policy=FAST,
            transport=httpx.MockTransport(handler),
            progress=lambda done, total: None,
            **kw,
        )
    )


def serve(models: dict[str, Any], listing: Any = None) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer k"
        path = request.url.path
        if path == "/api/ai/models":
            return httpx.Response(
                200,
                json=listing
                if listing is not None
                else {"object": "list", "data": list(models.values())},
            )
        model_id = path.removeprefix("/api/ai/models/")
        return (
            httpx.Response(200, json=models[model_id])
            if model_id in models
            else httpx.Response(404, json={"error": {"message": f"Model not found: {model_id}"}})
        )

    return handler


def test_plain_fetch_keeps_list_order_and_normalises() -> None:
    got = run(serve({"b": model("b"), "a": model("a")}))
    assert [m["id"] for m in got] == ["b", "a"]
    assert got[0]["request_schema"] == SCHEMA


def test_tolerates_wild_shapes() -> None:
    wrapped = {"data": {"id": "w", "json_request_schema": SCHEMA, "surprise": [1, 2]}}
    listing = {"models": [{"name": "w"}, {"id": "plain"}]}
    models = {"w": wrapped, "plain": {"id": "plain", "object": "model"}}
    got = {m["id"]: m for m in run(serve(models, listing))}
    assert got["w"]["request_schema"] == SCHEMA and "json_request_schema" not in got["w"]
    assert got["w"]["surprise"] == [1, 2]
    assert got["plain"]["request_schema"] is None


def test_schema_only_in_the_list_is_kept() -> None:
    listing = {"object": "list", "data": [model("a")]}
    got = run(serve({"a": {"id": "a", "object": "model"}}, listing))
    assert got[0]["request_schema"] == SCHEMA


def test_ids_are_path_quoted() -> None:
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path)
        if request.url.path == "/api/ai/models":
            return httpx.Response(200, json={"data": [model("org/x y")]})
        return httpx.Response(200, json=model("org/x y"))

    run(handler)
    assert seen[1] == b"/api/ai/models/org%2Fx%20y"


def test_transient_failures_are_retried() -> None:
    calls: Counter[str] = Counter()
    inner = serve({"a": model("a"), "b": model("b"), "c": model("c")})

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        calls[path] += 1
        first = calls[path] == 1
        if path.endswith("/a") and first:
            return httpx.Response(429, headers={"Retry-After": "0"}, json={"error": "slow down"})
        if path.endswith("/b") and calls[path] <= 2:
            return httpx.Response(503, text="upstream down")
        if path.endswith("/c") and first:
            raise httpx.ConnectError("refused")
        if path == "/api/ai/models" and first:
            return httpx.Response(200, text="{garbled")
        return inner(request)

    assert [m["id"] for m in run(handler)] == ["a", "b", "c"]
    assert calls["/api/ai/models/b"] == 3 and calls["/api/ai/models"] == 2


def test_permanent_errors_are_not_retried_and_all_failures_are_reported() -> None:
    calls: Counter[str] = Counter()
    inner = serve({"a": model("a"), "b": model("b"), "c": model("c")})

    def handler(request: httpx.Request) -> httpx.Response:
        calls[request.url.path] += 1
        if request.url.path.endswith("/b"):
            return httpx.Response(404, json={"error": {"message": "Model not found: b"}})
        if request.url.path.endswith("/c"):
            return httpx.Response(
                500, json={"error": {"type": "unknown_error", "title": "t", "detail": "boom"}}
            )
        return inner(request)

    with pytest.raises(FetchFailed) as caught:
        run(handler)
    assert set(caught.value.failures) == {"b", "c"}
    assert "Model not found: b" in caught.value.failures["b"]
    assert (
        "boom" in caught.value.failures["c"]
        and "gave up after 4 attempts" in caught.value.failures["c"]
    )
    assert calls["/api/ai/models/b"] == 1 and calls["/api/ai/models/c"] == 4


def test_rejected_key_and_bad_listing() -> None:
    with pytest.raises(FetchError, match="API key was rejected"):
        run(
            lambda r: httpx.Response(
                401, json={"error": {"type": "unauthenticated", "detail": "no"}}
            )
        )
    with pytest.raises(FetchError, match="not shaped like"):
        run(lambda r: httpx.Response(200, json={"object": "list"}))
    with pytest.raises(FetchError, match="listed no models"):
        run(lambda r: httpx.Response(200, json={"data": []}))
    with pytest.raises(FetchError, match="more than once"):
        run(serve({"a": model("a")}, {"data": [model("a"), model("a")]}))


def test_mismatched_id_is_a_failure() -> None:
    with pytest.raises(FetchFailed) as caught:
        run(serve({"a": model("zzz")}, {"data": [model("a")]}))
    assert "answered with model 'zzz'" in caught.value.failures["a"]


def test_concurrency_is_bounded() -> None:
    active, peak = 0, 0
    models = {f"m{i}": model(f"m{i}") for i in range(30)}

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal active, peak
        if request.url.path == "/api/ai/models":
            return httpx.Response(200, json={"data": list(models.values())})
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.005)
        active -= 1
        return httpx.Response(200, json=models[request.url.path.rsplit("/", 1)[1]])

    got = asyncio.run(
        fetch.fetch_models(
            "http://t/api",
            "k",
            policy=FAST,
            concurrency=5,
            transport=httpx.MockTransport(handler),
            progress=lambda done, total: None,
        )
    )
    assert len(got) == 30 and peak == 5


def test_backoff_grows_with_jitter_and_honours_retry_after() -> None:
    policy = RetryPolicy(backoff=1.0, max_backoff=8.0, max_retry_after=30.0)
    rng = random.Random(0)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        delays = {policy.delay(attempt, None, rng) for _ in range(20)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays) and len(delays) > 1
    assert policy.delay(1, 5.0, rng) == 5.0
    assert policy.delay(1, 500.0, rng) == 30.0


def test_parse_retry_after() -> None:
    assert fetch.parse_retry_after("3") == 3.0
    assert fetch.parse_retry_after("0.5") == 0.5
    assert fetch.parse_retry_after(None) is None and fetch.parse_retry_after("soon") is None
    now = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)  # a clock given, not the machine's
    later = format_datetime(now + timedelta(seconds=10), usegmt=True)
    assert fetch.parse_retry_after(later, now=now.timestamp()) == 10.0
    assert fetch.parse_retry_after(later, now=now.timestamp() + 60) == 0.0  # passed: no wait


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal() -> None:
    quiet, loud = io.StringIO(), Tty()
    for stream in (quiet, loud):
        bar = _Progress(stream)
        bar.show(1, 2)
        bar.show(2, 2)
        bar.close()
    assert quiet.getvalue() == ""
    assert "2/2 models" in loud.getvalue() and loud.getvalue().endswith("\n")


def test_main_exit_2_without_key_or_with_bad_base(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OXEN_API_KEY", raising=False)
    assert run_fetch(base_url="http://127.0.0.1:1/api", out=tmp_path / "s") == 2
    assert "OXEN_API_KEY is not set" in capsys.readouterr().err
    monkeypatch.setenv("OXEN_API_KEY", "k")
    assert run_fetch(base_url="ftp://x", out=tmp_path / "s") == 2
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("keep me")
    assert run_fetch(base_url="http://127.0.0.1:1/api", out=tmp_path / "notes") == 2
    assert "not a snapshot folder" in capsys.readouterr().err
    assert (tmp_path / "notes" / "todo.txt").read_text() == "keep me"


def test_main_base_url_from_env_and_unreachable_server(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OXEN_API_KEY", "k")
    monkeypatch.setenv("OXEN_BASE_URL", "http://127.0.0.1:9/api")  # discard port: nothing listens
    code = run_fetch(base_url=None, out=tmp_path / "s", policy=FAST)
    err = capsys.readouterr().err
    assert code == 1 and "http://127.0.0.1:9/api/ai/models" in err and "nothing was written" in err
    assert not (tmp_path / "s").exists()
