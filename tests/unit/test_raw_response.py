"""``client.with_raw_response.<call>(...)``: the HTTP answer (status, headers, request id, URL,
method) of any call, with ``parse()`` giving what the call returns, sync and async, against the
test kit's fake (behind a transport that adds a request id to each answer). The answer shown is
the call's own, never a request another task or thread sent meanwhile (the event hub's stream,
a concurrent call)."""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import oxen_inference as ox
import pytest
from oxen_inference.testing import OxenMock

IMAGE = "flux-2-pro"
VIDEO = "luma-ray-v3-2-image-to-video"
CHAT = "gpt-4o"
URL = "https://example.com/tiger.png"
MESSAGES = [{"role": "user", "content": "hi"}]

_ids = itertools.count(1)


class _Tagged(httpx.BaseTransport):
    """The fake, with an ``x-request-id`` on every answer (req-1, req-2, ...)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.headers["x-request-id"] = f"req-{next(_ids)}"
        return response


class _AsyncTagged(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        response.headers["x-request-id"] = f"req-{next(_ids)}"
        return response


@pytest.fixture
def fake() -> Iterator[OxenMock]:
    with OxenMock() as mock:
        yield mock


@pytest.fixture
def client(fake: OxenMock) -> Iterator[ox.Oxen]:
    http = httpx.Client(transport=_Tagged(fake.transport()))
    with ox.Oxen(api_key=fake.api_key, base_url=fake.base_url, http_client=http) as made:
        yield made
    http.close()


def _async_client(fake: OxenMock) -> ox.AsyncOxen:
    http = httpx.AsyncClient(transport=_AsyncTagged(fake.async_transport()))
    return ox.AsyncOxen(api_key=fake.api_key, base_url=fake.base_url, http_client=http)


def _answered(fake: OxenMock, raw: ox.APIResponse[Any], method: str, path: str) -> None:
    """`raw` is the answer to the last `method` `path` request the fake received."""
    assert (raw.method, raw.url.path) == (method, "/api" + path)
    assert raw.status_code == 200 and raw.http_response.status_code == 200
    assert raw.request_id is not None and raw.request_id.startswith("req-")
    assert raw.headers["x-request-id"] == raw.request_id
    assert [r for r in fake.requests if (r.method, r.path) == (method, path)]


def test_a_per_model_generate(fake: OxenMock, client: ox.Oxen) -> None:
    raw = client.with_raw_response.generate_flux_2_pro(prompt="fox", extra_headers={"X-T": "1"})
    _answered(fake, raw, "POST", "/ai/images/generate")
    answer = raw.parse()
    assert isinstance(answer, ox.GenerateResponse) and answer.urls
    assert raw.headers["content-type"].startswith("application/json")
    assert repr(raw).startswith("<APIResponse [200] POST http://")


def test_generic_calls_and_resources(fake: OxenMock, client: ox.Oxen, tmp_path: Path) -> None:
    raw = client.with_raw_response.generate(IMAGE, prompt="fox")
    _answered(fake, raw, "POST", "/ai/images/generate")
    listing = client.with_raw_response.models.list()
    _answered(fake, listing, "GET", "/ai/models")
    assert any(m.id == IMAGE for m in listing.parse())
    one = client.with_raw_response.models.get(IMAGE)
    assert one.parse().id == IMAGE and one.url.path == f"/api/ai/models/{IMAGE}"
    queue = client.with_raw_response.queue.list(status="all")
    _answered(fake, queue, "GET", "/ai/queue")
    assert queue.url.params["status"] == "all"
    page = client.with_raw_response.generations.page(1)
    _answered(fake, page, "GET", "/ai/generations")
    chat = client.with_raw_response.chat(CHAT, messages=MESSAGES)
    _answered(fake, chat, "POST", "/ai/chat/completions")
    assert chat.parse().choices


def test_a_submit_shows_the_enqueue_and_parses_to_a_job(fake: OxenMock, client: ox.Oxen) -> None:
    raw = client.with_raw_response.submit_flux_2_pro(prompt="fox")
    _answered(fake, raw, "POST", "/ai/queue")
    job = raw.parse()
    assert isinstance(job, ox.Job) and job.wait(timeout=10).succeeded
    several = client.with_raw_response.submit(IMAGE, prompt="fox", num_generations=2)
    assert len(several.parse()) == 2 and several.method == "POST"


def test_a_stream_is_shown_before_it_is_read(fake: OxenMock, client: ox.Oxen) -> None:
    raw = client.with_raw_response.chat(CHAT, messages=MESSAGES, stream=True)
    assert raw.status_code == 200 and raw.headers["content-type"].startswith("text/event-stream")
    with raw.parse() as stream:
        chunks = list(stream)
    assert chunks


def test_errors_are_raised_as_by_the_call_itself(fake: OxenMock, client: ox.Oxen) -> None:
    fake.fail_requests(404, path="/ai/models")
    with pytest.raises(ox.NotFoundError):
        client.with_raw_response.models.list(max_retries=0)
    with pytest.raises(ox.ValidationError):
        client.with_raw_response.generate_flux_2_pro(prompt=1)  # type: ignore[arg-type]
    assert len(fake.requests) == 1


UNUSABLE: dict[str, tuple[str, type[Exception], str]] = {
    "a setting": ("max_retries", AttributeError, "is not a call"),
    "a private name": ("_http", AttributeError, "_http"),
    "a lazy listing": ("generations.list", AttributeError, "yields many pages"),
    "an unknown model": ("generate_no_such_model", AttributeError, "generate_no_such_model"),
}


@pytest.mark.parametrize("case", UNUSABLE)
def test_what_is_no_call_is_refused(client: ox.Oxen, case: str) -> None:
    path, error, message = UNUSABLE[case]
    target: Any = client.with_raw_response
    with pytest.raises(error, match=message):
        for part in path.split("."):
            target = getattr(target, part)


def test_a_call_that_sends_nothing_has_no_raw_response(fake: OxenMock, client: ox.Oxen) -> None:
    with pytest.raises(ox.OxenError, match=r"job\(\) sent no API request"):
        client.with_raw_response.job("0" * 32)  # type: ignore[attr-defined]
    assert fake.requests == []


def test_concurrent_threads_each_get_their_own_answer(fake: OxenMock, client: ox.Oxen) -> None:
    seen: dict[int, ox.APIResponse[Any]] = {}
    start = threading.Barrier(8)

    def run(i: int) -> None:
        start.wait()
        if i % 2:
            seen[i] = client.with_raw_response.models.get(IMAGE)
        else:
            seen[i] = client.with_raw_response.queue.list(model=f"m{i}")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    for i, raw in seen.items():
        if i % 2:
            assert raw.url.path == f"/api/ai/models/{IMAGE}"
        else:
            assert raw.url.params["model"] == f"m{i}"
    assert len(seen) == 8 and len({r.request_id for r in seen.values()}) == 8


def test_async_calls(fake: OxenMock) -> None:
    async def main() -> None:
        async with _async_client(fake) as client:
            raw = await client.with_raw_response.generate_flux_2_pro(prompt="fox")
            _answered(fake, raw, "POST", "/ai/images/generate")
            assert raw.parse().urls
            # The enqueue starts the event hub's stream in a task of its own: the answer shown
            # is still the enqueue's.
            submitted = await client.with_raw_response.submit(VIDEO, prompt="t", input_image=URL)
            _answered(fake, submitted, "POST", "/ai/queue")
            job = submitted.parse()
            assert isinstance(job, ox.AsyncJob)
            assert (await job.wait(timeout=20)).succeeded
            listing, got = await asyncio.gather(
                client.with_raw_response.queue.list(model="x"),
                client.with_raw_response.models.get(IMAGE),
            )
            assert listing.url.params["model"] == "x" and listing.parse().generations == []
            assert got.parse().id == IMAGE and got.url.path.endswith(IMAGE)
            stream = await client.with_raw_response.chat(CHAT, messages=MESSAGES, stream=True)
            async with stream.parse() as chunks:
                assert [c async for c in chunks]

    asyncio.run(main())


def test_outside_a_raw_call_nothing_is_kept(client: ox.Oxen) -> None:
    from oxen_inference import _response

    client.models.list()
    assert _response._CAPTURE.get() is None


def test_requests_of_other_tasks_and_threads_are_not_the_answer(
    fake: OxenMock, client: ox.Oxen
) -> None:
    """A task or thread started during the call inherits its context (an event hub's stream,
    a helper with ``copy_context()``): what it sends is not the call's answer."""
    import contextvars

    from oxen_inference._response import RawResponses

    class Calls:
        def __init__(self, client: ox.Oxen, aclient: ox.AsyncOxen) -> None:
            self.client, self.aclient = client, aclient

        def sync(self) -> str:
            self.client.models.get(IMAGE)
            helper = threading.Thread(
                target=contextvars.copy_context().run, args=(self.client.queue.list,)
            )
            helper.start()
            helper.join(timeout=30)
            return "done"

        async def asynchronous(self) -> str:
            await self.aclient.models.get(IMAGE)
            await asyncio.create_task(self.aclient.queue.list())
            return "done"

    async def main() -> None:
        async with _async_client(fake) as aclient:
            calls = Calls(client, aclient)
            raw = await RawResponses(calls, asynchronous=True).asynchronous()
            assert raw.url.path.endswith(IMAGE) and raw.parse() == "done"
            assert fake.requests[-1].path == "/ai/queue"
            raw = RawResponses(calls, asynchronous=False).sync()
            assert raw.url.path.endswith(IMAGE) and raw.parse() == "done"
            assert fake.requests[-1].path == "/ai/queue"

    asyncio.run(main())
