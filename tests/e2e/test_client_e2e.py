"""The generated client against `oxgen mock-server`: every route, sync and async, the exact JSON
on the wire, waiting through events and through polling, cancel, download and each error."""

from __future__ import annotations

import asyncio
import json
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import oxen_inference as ox
import pytest

from oxgen.mock.testing import MockServer

I2V = "luma-ray-v3-2-image-to-video"
IMG = "https://example.com/tiger.png"
VID = "https://example.com/clip.mp4"

# The published Luma Ray 3.2 examples: (model, method kind, parameters) -> exactly these keys on the wire.
LUMA_EXAMPLES: list[tuple[str, dict[str, Any]]] = [
    (
        "luma-ray-v3-2-image-to-video",
        {"prompt": "The tiger turns its head toward the camera", "input_image": IMG},
    ),
    (
        "luma-ray-v3-2-image-to-video",
        {"prompt": "Slow push-in", "input_image": IMG, "duration": "10s", "resolution": "720p"},
    ),
    (
        "luma-ray-v3-2-text-to-video",
        {"prompt": "A majestic tiger prowling through snow", "aspect_ratio": "16:9"},
    ),
    (
        "luma-ray-v3-2-video-to-video",
        {"prompt": "Make it winter", "input_video": VID, "edit_strength": "adhere_1"},
    ),
    (
        "luma-ray-v3-2-reframe",
        {"prompt": "Keep the tiger centred", "input_video": VID, "aspect_ratio": "9:16"},
    ),
]


class Wire:
    """Requests the client put on the wire (recorded by an httpx event hook)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def hook(self, request: httpx.Request) -> None:
        self.requests.append(request)

    async def ahook(self, request: httpx.Request) -> None:
        self.requests.append(request)

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [
            json.loads(r.content)
            for r in self.requests
            if r.url.path == path and r.method == "POST"
        ]


@pytest.fixture
def wire() -> Wire:
    return Wire()


@pytest.fixture
def client(mock: MockServer, wire: Wire) -> Iterator[ox.Oxen]:
    http = httpx.Client(event_hooks={"request": [wire.hook]})
    with ox.Oxen(api_key=mock.api_key, base_url=mock.base_url, http_client=http) as c:
        yield c
    http.close()


@pytest.fixture
async def aclient(mock: MockServer, wire: Wire) -> Any:
    http = httpx.AsyncClient(event_hooks={"request": [wire.ahook]})
    async with ox.AsyncOxen(api_key=mock.api_key, base_url=mock.base_url, http_client=http) as c:
        yield c
    await http.aclose()


def method(model_id: str, kind: str) -> str:
    return f"{kind}_{model_id.replace('-', '_').replace('luma_ray_v3_2', 'luma_ray_v3_2')}"


@pytest.mark.parametrize(("model_id", "params"), LUMA_EXAMPLES)
def test_luma_examples_exact_wire_json(
    client: ox.Oxen, wire: Wire, mock: MockServer, model_id: str, params: dict[str, Any]
) -> None:
    job = getattr(client, method(model_id, "submit"))(**params)
    result = job.wait(timeout=10)
    assert result.status == "succeeded" and result.result_url
    assert wire.bodies("/api/ai/queue") == [{"model": model_id, **params}]
    answer = getattr(client, method(model_id, "generate"))(**params)
    assert answer.videos and answer.urls
    assert wire.bodies("/api/ai/videos/generate") == [{"model": model_id, **params}]
    stats = mock.stats()
    assert (
        stats["jobs_created"] == 1 and "GET /api/ai/queue/{generation_id}" not in stats["requests"]
    )  # waited by event


async def test_luma_examples_exact_wire_json_async(aclient: ox.AsyncOxen, wire: Wire) -> None:
    for model_id, params in LUMA_EXAMPLES:
        job = await getattr(aclient, method(model_id, "submit"))(**params)
        assert (await job.wait(timeout=10)).succeeded
        await getattr(aclient, method(model_id, "generate"))(**params)
    assert wire.bodies("/api/ai/queue") == [{"model": m, **p} for m, p in LUMA_EXAMPLES]
    assert wire.bodies("/api/ai/videos/generate") == [{"model": m, **p} for m, p in LUMA_EXAMPLES]


ROUTES: list[tuple[str, dict[str, Any], str | None]] = [
    ("black-forest-labs-flux-2-klein-9b", {"prompt": "a fox"}, "images"),
    ("bytedance-seedream-4", {"prompt": "make it blue"}, "images"),
    ("bytedance-seed-audio-1-0", {"prompt": "hello"}, None),
    ("gpt-4o", {"messages": [{"role": "user", "content": "hi"}]}, None),
]


def test_every_blocking_route_sync(client: ox.Oxen, mock: MockServer) -> None:
    for model_id, params, key in ROUTES:
        answer = getattr(client, method(model_id, "generate"))(**params)
        assert answer.model == model_id
        if key:
            assert getattr(answer, key)
    assert "Mock reply" in str(
        client.generate("gpt-4o", messages=[{"role": "user", "content": "x"}]).model_extra
    )
    requests = mock.stats()["requests"]
    for route in ("images/generate", "images/edit", "audio/speech", "chat/completions"):
        assert requests[f"POST /api/ai/{route}"] >= 1


async def test_every_blocking_route_async(aclient: ox.AsyncOxen) -> None:
    answers = await asyncio.gather(
        *[getattr(aclient, method(m, "generate"))(**p) for m, p, _ in ROUTES]
    )
    assert [a.model for a in answers] == [m for m, _, _ in ROUTES]


def test_resources_sync(client: ox.Oxen) -> None:
    models = client.models.list()
    assert len(models) > 100 and all(isinstance(m, ox.Model) for m in models)
    luma = client.models.get(I2V)
    assert luma.request_schema and "prompt" in luma.request_schema["properties"]
    assert any(m.id == I2V for m in client.models.search("luma"))
    jobs = client.submit(I2V, prompt="p", input_image=IMG, num_generations=3)
    assert len(jobs) == 3 and client.queue.list().count == 3
    for job in jobs:
        job.wait(timeout=10)
    assert client.queue.list().count == 0
    assert client.queue.list(status="succeeded", model=I2V).count == 3
    assert client.queue.list(status=["succeeded", "failed"]).count == 3
    history = list(client.generations.list(page_size=2))
    assert len(history) == 3 and history[0].generation_id in {j.id for j in jobs}
    assert client.generations.page(2, page_size=2).total_pages == 2
    assert client.job(jobs[0].id).status().status == "succeeded"


async def test_resources_async(aclient: ox.AsyncOxen, mock: MockServer) -> None:
    assert len(await aclient.models.list()) > 100
    assert (await aclient.models.get(I2V)).id == I2V
    job = await aclient.submit(I2V, prompt="p", input_image=IMG)
    await job.wait(timeout=10)
    items = [item async for item in aclient.generations.list(page_size=1)]
    assert [i.generation_id for i in items] == [job.id]
    assert (await aclient.queue.list(status="all")).count == 1
    before = mock.stats()["requests"]["GET /api/ai/generations"]
    async for _ in aclient.generations.list(page_size=1, limit=1):
        break
    assert mock.stats()["requests"]["GET /api/ai/generations"] == before + 1  # lazy pages


def test_wait_by_polling_when_events_are_off(mock: MockServer) -> None:
    mock.configure(latency=0.3)
    with ox.Oxen(api_key=mock.api_key, base_url=mock.base_url, events=False) as c:
        jobs = [c.submit(I2V, prompt="p", input_image=IMG) for _ in range(10)]
        assert all(j.wait(timeout=20).succeeded for j in jobs)
    stats = mock.stats()
    assert stats["requests"].get("GET /api/events", 0) == 0
    assert (
        stats["requests"].get("GET /api/ai/queue", 0)
        + stats["requests"].get("GET /api/ai/queue/{generation_id}", 0)
        < 30
    )


async def test_wait_survives_dropped_streams(aclient: ox.AsyncOxen, mock: MockServer) -> None:
    mock.configure(latency=0.5)
    jobs = [await aclient.submit(I2V, prompt="p", input_image=IMG) for _ in range(20)]
    waits = asyncio.gather(*[j.wait(timeout=20) for j in jobs])
    await asyncio.sleep(0.05)
    assert mock.drop_streams() >= 1
    results = await waits
    assert {r.status for r in results} == {"succeeded"}
    stats = mock.stats()
    assert stats["streams"]["opened"] >= 2
    assert (
        stats["requests"].get("GET /api/ai/queue/{generation_id}", 0) <= 5
    )  # reconciled by listing, not per job


def test_cancel_and_failure(client: ox.Oxen, mock: MockServer) -> None:
    mock.configure(latency=2.0)
    job = client.submit(I2V, prompt="p", input_image=IMG)
    assert job.cancel().status == "success"
    with pytest.raises(ox.GenerationFailedError) as info:
        job.wait(timeout=5)
    assert info.value.status == "cancelled" and info.value.generation_id == job.id
    assert client.job(job.id).wait(timeout=5, raise_on_failure=False).status == "cancelled"
    mock.configure(latency=0.05)
    bad = client.submit(
        I2V, prompt="p", input_image=IMG, extra_body={"duration": "7s"}
    )  # unchecked: fails on the server
    with pytest.raises(ox.GenerationFailedError) as info:
        bad.wait(timeout=10)
    assert info.value.generation_id == bad.id and "duration" in (info.value.error_message or "")
    assert bad.wait(raise_on_failure=False).status == "failed"


def test_wait_timeout_keeps_the_job(client: ox.Oxen, mock: MockServer) -> None:
    mock.configure(latency=1.0)
    job = client.submit(I2V, prompt="p", input_image=IMG)
    with pytest.raises(ox.WaitTimeoutError) as info:
        job.wait(timeout=0.2)
    assert info.value.generation_id == job.id and info.value.timeout == 0.2
    again = client.job(info.value.generation_id).wait(timeout=10)
    assert again.succeeded and mock.stats()["jobs_created"] == 1


def test_download(client: ox.Oxen, tmp_path: Path) -> None:
    job = client.submit(I2V, prompt="p", input_image=IMG)
    seen: list[tuple[int, int | None]] = []
    path = job.download(tmp_path, progress=lambda done, total: seen.append((done, total)))
    assert path.parent == tmp_path and path.suffix == ".mp4" and path.read_bytes()[4:8] == b"ftyp"
    assert seen[-1][0] == path.stat().st_size


async def test_download_async(aclient: ox.AsyncOxen, tmp_path: Path) -> None:
    job = await aclient.submit("black-forest-labs-flux-2-klein-9b", prompt="a fox")
    path = await job.download(tmp_path / "fox.png")
    assert path.read_bytes().startswith(b"\x89PNG")


@pytest.fixture
def umask() -> Iterator[Callable[[int], int]]:
    """Set the process umask for the test (restored after)."""
    previous = os.umask(0o022)
    try:
        yield os.umask
    finally:
        os.umask(previous)


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077, 0o000])
def test_a_download_honours_the_umask(
    client: ox.Oxen, tmp_path: Path, umask: Callable[[int], int], mask: int
) -> None:
    """A downloaded file gets the mode any program's new file gets (0o666 less the umask),
    not mkstemp's 0o600: a web server running as another user can serve it."""
    job = client.submit(I2V, prompt="p", input_image=IMG)
    job.wait(timeout=20)
    umask(mask)
    path = job.download(tmp_path / "out/")
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial file left


async def test_an_async_download_honours_the_umask(
    aclient: ox.AsyncOxen, tmp_path: Path, umask: Callable[[int], int]
) -> None:
    job = await aclient.submit("black-forest-labs-flux-2-klein-9b", prompt="a fox")
    await job.wait(timeout=20)
    umask(0o027)
    path = await job.download(tmp_path / "fox.png")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_bad_input_never_reaches_the_server(client: ox.Oxen, mock: MockServer) -> None:
    for call in (
        lambda: client.submit_luma_ray_v3_2_image_to_video(
            prompt="p",
            input_image=IMG,
            duration="7s",  # type: ignore[arg-type]
        ),
        lambda: client.generate(I2V, prompt="p", input_image=IMG, colour="red"),
        lambda: client.submit(I2V, prompt="p", input_image=IMG, num_generations=5),
        lambda: client.generate_luma_ray_v3_2_image_to_video(
            prompt="p",
            input_image=IMG,
            resolution="4k",  # type: ignore[arg-type]
        ),
    ):
        with pytest.raises(ox.ValidationError):
            call()
    assert mock.stats()["requests_total"] == 0


def test_each_exception(mock: MockServer) -> None:
    with ox.Oxen(api_key=mock.api_key, base_url=mock.base_url, max_retries=0) as c:
        with pytest.raises(ox.NotFoundError) as nf:
            c.job("no-such-id").status()
        assert "no-such-id" in nf.value.message and nf.value.type == "resource_not_found"
        with pytest.raises(ox.NotFoundError, match="Model not found"):
            c.submit("not-a-model", prompt="x")  # unknown ids go through to the server
        with pytest.raises(ox.BadRequestError):
            c.queue.list(status="bogus")
        mock.configure(fault_rate=1.0)
        with pytest.raises((ox.RateLimitError, ox.InternalServerError)):
            c.models.list()
        mock.configure(fault_rate=0.0)
        with pytest.raises(ox.AuthenticationError) as auth:
            c.models.list(extra_headers={"Authorization": "Basic x"})
        assert auth.value.status_code == 401 and auth.value.type == "unauthenticated"
    with pytest.raises(ox.APIConnectionError):
        ox.Oxen(api_key="k", base_url="http://127.0.0.1:9/api", max_retries=0).models.list()


async def test_200_concurrent_jobs_under_faults(mock: MockServer) -> None:
    mock.configure(fault_rate=0.2, latency=0.5, seed=7)
    async with ox.AsyncOxen(api_key=mock.api_key, base_url=mock.base_url, max_retries=10) as c:

        async def one(i: int) -> ox.GenerationResult:
            job = await c.submit(I2V, prompt=f"tiger {i}", input_image=IMG)
            return await job.wait(timeout=60)

        loop = asyncio.get_running_loop()
        started = loop.time()
        results = await asyncio.gather(*[one(i) for i in range(200)])
        elapsed = loop.time() - started
    assert len({r.generation_id for r in results}) == 200 and {r.status for r in results} == {
        "succeeded"
    }
    stats = mock.stats()
    assert stats["jobs_created"] == 200  # none lost, none enqueued twice
    waits = sum(
        n
        for k, n in stats["requests"].items()
        if k.startswith("GET /api/ai/queue") or k == "GET /api/events"
    )
    assert waits < 0.25 * 200 * max(elapsed, 1.0)  # far below one poll per job per second
