"""``client.with_options(timeout=, max_retries=, default_headers=)``: a copy whose calls use its
own settings while it shares the original's connections, concurrency limit, event hub, uploads
and closing, sync and async, against the test kit's fake."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import oxen_inference as ox
import pytest
from oxen_inference.testing import OxenMock

IMAGE = "flux-2-pro"
VIDEO = "luma-ray-v3-2-image-to-video"
URL = "https://example.com/tiger.png"


@pytest.fixture
def fake() -> Iterator[OxenMock]:
    with OxenMock() as mock:
        yield mock


def test_the_copy_retries_as_told_and_the_original_is_unchanged(fake: OxenMock) -> None:
    client = fake.client
    client.generate_flux_2_pro(prompt="fox")  # the original's bound method is made first
    copy = client.with_options(max_retries=0, timeout=30)
    assert (copy.max_retries, copy.timeout) == (0, 30)
    assert client.max_retries == 3 and isinstance(client.timeout, ox.Omit)
    assert type(copy) is ox.Oxen
    fake.fail_requests(429, times=1, path="/ai/images/generate", retry_after=0)
    with pytest.raises(ox.RateLimitError):
        copy.generate_flux_2_pro(prompt="fox")  # its own method, with its own max_retries
    fake.fail_requests(429, times=1, path="/ai/images/generate", retry_after=0)
    assert client.generate_flux_2_pro(prompt="fox").urls  # the original retries
    fake.fail_requests(429, times=1, path="/ai/models", retry_after=0)
    assert copy.models.list(max_retries=1)  # a call's own max_retries still wins
    more = copy.with_options(max_retries=2)
    assert (more.max_retries, more.timeout) == (2, 30)  # a copy of a copy keeps the rest


def test_default_headers_go_with_every_api_request(fake: OxenMock) -> None:
    client = fake.client
    copy = client.with_options(default_headers={"X-App": "a", "X-Team": "t"})
    copy.generate(IMAGE, prompt="fox")
    copy.models.get(IMAGE, extra_headers={"X-Team": "call"})
    job = copy.submit(VIDEO, prompt="t", input_image=URL)
    job.status()
    generate, get, submit, status = (r for r in fake.requests if r.path != "/events")
    for request in (generate, submit, status):
        assert (request.headers["x-app"], request.headers["x-team"]) == ("a", "t")
    assert (get.headers["x-app"], get.headers["x-team"]) == ("a", "call")
    assert generate.headers["authorization"] == f"Bearer {fake.api_key}"
    deeper = copy.with_options(default_headers={"X-App": "b"})
    deeper.models.list()
    assert fake.requests[-1].headers["x-app"] == "b" and fake.requests[-1].headers["x-team"] == "t"
    client.models.list()
    assert "x-app" not in fake.requests[-1].headers  # the original sends none


def test_the_copy_shares_connections_slots_hub_and_uploads(fake: OxenMock) -> None:
    client = fake.client
    copy = client.with_options(timeout=60)
    assert copy._root is client and copy.with_options(max_retries=1)._root is client
    assert copy._root._http is client._http and copy._root._slots is client._slots
    job = copy.submit(VIDEO, prompt="t", input_image=URL)
    assert job.wait(timeout=20).succeeded
    other = client.submit(VIDEO, prompt="t", input_image=URL)
    assert other.wait(timeout=20).succeeded
    assert copy._hub is client._hub and copy.files is client.files
    streams = [r for r in fake.requests if r.method == "GET" and r.path == "/events"]
    assert len(streams) == 1  # one event stream serves both


def test_closing_the_copy_closes_the_original(fake: OxenMock) -> None:
    client = ox.Oxen(api_key="k", base_url="http://127.0.0.1:9/api")
    pool = client._http  # made on first use
    copy = client.with_options(max_retries=0)
    with copy:
        pass
    assert pool.is_closed
    with pytest.raises(ox.ClientClosedError):
        client.models.list()
    with pytest.raises(ox.ClientClosedError):
        copy.with_options(timeout=5).models.list()


def test_closing_the_original_closes_its_copies(fake: OxenMock) -> None:
    client = fake.client
    copy = client.with_options(max_retries=0)
    job = copy.submit_flux_2_pro(prompt="fox")
    client.close()
    for call in (copy.models.list, job.status, lambda: copy.submit_flux_2_pro(prompt="x")):
        with pytest.raises(ox.ClientClosedError):
            call()
    assert [r.path for r in fake.requests].count("/ai/queue") == 1


BROKEN: dict[str, tuple[dict[str, Any], type[Exception], str]] = {
    "negative retries": ({"max_retries": -1}, ValueError, "max_retries must be an int >= 0"),
    "bool retries": ({"max_retries": True}, ValueError, "max_retries must be an int >= 0"),
    "zero timeout": ({"timeout": 0}, ox.ValidationError, "timeout"),
    "a header with a line break": (
        {"default_headers": {"X-A": "a\r\nX-Evil: 1"}},
        ox.ValidationError,
        "default_headers.X-A",
    ),
    "a header name with a space": (
        {"default_headers": {"X A": "a"}},
        ox.ValidationError,
        "default_headers",
    ),
}


@pytest.mark.parametrize("case", BROKEN)
def test_broken_settings_are_refused(fake: OxenMock, case: str) -> None:
    options, error, where = BROKEN[case]
    with pytest.raises(error, match=where):
        fake.client.with_options(**options)
    assert fake.requests == []


def test_async_copies(fake: OxenMock) -> None:
    async def main() -> None:
        client = fake.async_client
        copy = client.with_options(max_retries=0, default_headers={"X-App": "async"})
        assert type(copy) is ox.AsyncOxen and copy._root is client
        fake.fail_requests(503, times=1, path="/ai/images/generate", retry_after=0)
        with pytest.raises(ox.InternalServerError):
            await copy.generate_flux_2_pro(prompt="fox")
        assert fake.requests[-1].headers["x-app"] == "async"
        job = await copy.submit_flux_2_pro(prompt="fox")
        assert (await job.wait(timeout=20)).succeeded
        assert copy._hub is client._hub
        raw = await copy.with_raw_response.models.get(IMAGE)
        assert raw.parse().id == IMAGE and raw.http_response.request.headers["x-app"] == "async"

    asyncio.run(main())


def test_the_copy_of_a_client_with_its_own_pool_makes_no_second_pool() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    http = httpx.Client(transport=httpx.MockTransport(answer))
    client = ox.Oxen(api_key="k", base_url="http://api.test/api", http_client=http)
    copy = client.with_options(default_headers={"X-A": "1"})
    copy.models.list()
    client.models.list()
    assert copy._root._http is http and len(seen) == 2 and seen[0].headers["x-a"] == "1"
    http.close()
