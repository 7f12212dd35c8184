"""Per-call options every API call takes, sync and async, against the test kit's fake:
``extra_query`` (added to the URL's query, over the call's own parameters) and ``max_retries``
(this call's retries, over the client's), with a table of broken values refused before
anything is sent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import oxen_inference as ox
import pytest
from oxen_inference.testing import OxenMock

IMAGE = "flux-2-pro"
VIDEO = "luma-ray-v3-2-image-to-video"
CHAT = "gpt-4o"
URL = "https://example.com/tiger.png"
MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture
def fake() -> Iterator[OxenMock]:
    with OxenMock() as mock:
        yield mock


def _job(client: Any) -> Any:
    return client.job("0" * 32)


# Every call that sends one API request: (name, the call with `options`, method, path).
SYNC_CALLS: dict[str, tuple[Callable[[ox.Oxen, dict[str, Any]], Any], str, str]] = {
    "generate": (lambda c, o: c.generate(IMAGE, prompt="fox", **o), "POST", "/ai/images/generate"),
    "generate_<model>": (
        lambda c, o: c.generate_flux_2_pro(prompt="fox", **o),
        "POST",
        "/ai/images/generate",
    ),
    "submit": (lambda c, o: c.submit(IMAGE, prompt="fox", **o), "POST", "/ai/queue"),
    "submit_<model>": (lambda c, o: c.submit_flux_2_pro(prompt="fox", **o), "POST", "/ai/queue"),
    "chat": (lambda c, o: c.chat(CHAT, messages=MESSAGES, **o), "POST", "/ai/chat/completions"),
    "models.list": (lambda c, o: c.models.list(**o), "GET", "/ai/models"),
    "models.get": (lambda c, o: c.models.get(IMAGE, **o), "GET", f"/ai/models/{IMAGE}"),
    "models.search": (lambda c, o: c.models.search("flux", **o), "GET", "/ai/models/search"),
    "queue.list": (lambda c, o: c.queue.list(**o), "GET", "/ai/queue"),
    "generations.page": (lambda c, o: c.generations.page(1, **o), "GET", "/ai/generations"),
}


def _last(fake: OxenMock, method: str, path: str) -> Any:
    return [r for r in fake.requests if (r.method, r.path) == (method, path)][-1]


@pytest.mark.parametrize("name", SYNC_CALLS)
def test_extra_query_reaches_the_url_of_every_call(fake: OxenMock, name: str) -> None:
    call, method, path = SYNC_CALLS[name]
    call(fake.client, {"extra_query": {"trace": "t1", "n": 2, "flag": True}})
    query = _last(fake, method, path).query
    assert query["trace"] == "t1" and query["n"] == "2" and query["flag"] == "true"


@pytest.mark.parametrize("name", SYNC_CALLS)
def test_extra_query_reaches_the_url_of_every_async_call(fake: OxenMock, name: str) -> None:
    call, method, path = SYNC_CALLS[name]

    async def main() -> None:
        result = call(fake.async_client, {"extra_query": {"trace": "a1"}})  # type: ignore[arg-type]
        await result

    asyncio.run(main())
    assert _last(fake, method, path).query["trace"] == "a1"


def test_extra_query_goes_over_the_calls_own_parameters(fake: OxenMock) -> None:
    fake.client.queue.list(status="failed", extra_query={"status": "all", "x": ["1", "2"]})
    request = _last(fake, "GET", "/ai/queue")
    assert request.query["status"] == "all"
    page = fake.client.generations.page(2, page_size=5, extra_query={"page_size": 7})
    assert page is not None
    assert _last(fake, "GET", "/ai/generations").query == {"page": "2", "page_size": "7"}


def test_extra_query_on_job_status_and_cancel(fake: OxenMock) -> None:
    fake.configure(latency=30)
    job = fake.client.submit(VIDEO, prompt="a tiger", input_image=URL, duration="5s")
    job.status(extra_query={"a": "1"})
    assert _last(fake, "GET", f"/ai/queue/{job.id}").query == {"a": "1"}
    job.cancel(extra_query={"b": "2"}, max_retries=0)
    assert _last(fake, "DELETE", f"/ai/queue/{job.id}").query == {"b": "2"}


BROKEN_QUERIES: dict[str, tuple[Any, str]] = {
    "a dict value": ({"x": {"y": 1}}, "extra_query.x"),
    "an object value": ({"x": object()}, "extra_query.x"),
    "bytes": ({"x": b"1"}, "extra_query.x"),
    "a list holding a dict": ({"x": ["1", {}]}, "extra_query.x"),
    "an empty name": ({"": "1"}, "extra_query"),
    "a non-string name": ({1: "1"}, "extra_query"),
}


@pytest.mark.parametrize("name", BROKEN_QUERIES)
def test_a_query_a_url_cannot_carry_is_refused_before_sending(fake: OxenMock, name: str) -> None:
    query, where = BROKEN_QUERIES[name]
    with pytest.raises(ox.ValidationError) as caught:
        fake.client.models.list(extra_query=query)
    assert caught.value.errors[0][0] == where
    assert fake.requests == []


def test_per_call_max_retries_overrides_the_clients(fake: OxenMock) -> None:
    client = fake.client
    assert client.max_retries == 3
    fake.fail_requests(429, times=1, path="/ai/models", retry_after=0)
    with pytest.raises(ox.RateLimitError):
        client.models.list(max_retries=0)  # no retry: the one 429 is the answer
    assert len(fake.requests) == 1

    fake.fail_requests(429, times=5, path="/ai/queue", method="POST", retry_after=0)
    job = client.submit(IMAGE, prompt="fox", max_retries=5)  # 5 refusals, then the enqueue
    assert job.id and len([r for r in fake.requests if r.path == "/ai/queue"]) == 6
    fake.fail_requests(429, times=4, path="/ai/images/generate", retry_after=0)
    with pytest.raises(ox.RateLimitError):
        client.generate_flux_2_pro(prompt="fox")  # the client's 3 retries are not enough
    assert client.generate_flux_2_pro(prompt="fox", max_retries=1).urls  # the 4th refusal, then ok


def test_per_call_max_retries_async(fake: OxenMock) -> None:
    async def main() -> None:
        client = fake.async_client
        fake.fail_requests(503, times=2, path="/ai/chat/completions", retry_after=0)
        with pytest.raises(ox.InternalServerError):
            await client.chat(CHAT, messages=MESSAGES, max_retries=0)
        fake.fail_requests(429, times=4, path="/ai/images/generate", retry_after=0)
        answer = await client.generate_flux_2_pro(prompt="fox", max_retries=4)
        assert answer.urls

    asyncio.run(main())
    generate = [r.status for r in fake.requests if r.path == "/ai/images/generate"]
    assert generate == [429, 429, 429, 429, 200]


BROKEN_RETRIES: list[Any] = [-1, True, 1.5, "3", None.__class__]


@pytest.mark.parametrize("value", BROKEN_RETRIES, ids=repr)
def test_a_broken_max_retries_is_refused(fake: OxenMock, value: Any) -> None:
    with pytest.raises(ValueError, match="max_retries must be an int >= 0"):
        fake.client.models.list(max_retries=value)
    with pytest.raises(ValueError, match="max_retries must be an int >= 0"):
        ox.Oxen(api_key="k", max_retries=value)
    assert fake.requests == []


def test_the_controls_are_in_every_generated_signature() -> None:
    import inspect

    for method in (ox.Oxen.generate, ox.AsyncOxen.submit, ox.Oxen.chat):
        parameters = inspect.signature(method).parameters
        assert {"extra_query", "max_retries", "extra_headers", "timeout"} <= set(parameters)
    client = ox.Oxen(api_key="k")
    for name in ("generate_flux_2_pro", "submit_flux_2_pro"):
        parameters = inspect.signature(getattr(client, name)).parameters
        assert parameters["extra_query"].default is None
        assert parameters["max_retries"].default is None
