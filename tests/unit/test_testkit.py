"""The client's test kit, ``oxen_inference.testing``: the fake Oxen with the generated client
wired to it (sync and async), its knobs (failing jobs, forced and seeded faults, dropped and
stalled streams, latency against timeouts), the record of requests, uploads, closing, and a
plugin that costs nothing to load. No socket is opened: the fake is reached through httpx
transports."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

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


def test_sync_client_generates_submits_waits_downloads(fake: OxenMock, tmp_path: Path) -> None:
    client = fake.client
    answer = client.generate(IMAGE, prompt="a red fox")
    assert answer.urls and answer.urls[0].startswith("http://oxen.test/files/")
    job = client.submit(VIDEO, prompt="a tiger", input_image=URL, duration="5s")
    done = job.wait(timeout=10)
    assert done.succeeded and done.result_url and done.result_url.endswith(".mp4")
    saved = job.download(tmp_path / "out.mp4")
    assert saved.read_bytes()[4:8] == b"ftyp"
    row = job.status()
    assert row.status == "succeeded" and row.prompt == "a tiger"
    assert (row.model_extra or {})["duration"] == "5s"  # rows carry the request's parameters
    assert fake.stats()["jobs"]["succeeded"] == 1


def test_recorded_requests(fake: OxenMock) -> None:
    fake.client.generate(IMAGE, prompt="fox", extra_headers={"X-Trace": "t1"})
    first = fake.requests[0]
    assert (first.method, first.path, first.status) == ("POST", "/ai/images/generate", 200)
    assert first.json == {"model": IMAGE, "prompt": "fox"}
    assert first.headers["authorization"] == f"Bearer {fake.api_key}"
    assert first.headers["x-trace"] == "t1"
    assert json.loads(first.content) == first.json
    with httpx.Client(transport=fake.transport(), base_url=fake.base_url) as raw:
        raw.get("/ai/queue", params={"status": "failed"}, headers={"Authorization": "Bearer k"})
        raw.post("/ai/queue", content=b"{nope", headers={"Authorization": "Bearer k"})
    listing, broken = fake.requests[-2:]
    assert listing.query == {"status": "failed"} and listing.json is None
    assert broken.json is None and broken.content == b"{nope" and broken.status == 400


async def test_async_client(fake: OxenMock) -> None:
    client = fake.async_client
    jobs = await asyncio.gather(*(client.submit(IMAGE, prompt=f"fox {i}") for i in range(5)))
    done = await asyncio.gather(*(job.wait(timeout=10) for job in jobs))
    assert {d.status for d in done} == {"succeeded"}
    assert (await client.generate(IMAGE, prompt="x")).urls
    await client.close()
    posts = [r for r in fake.requests if r.method == "POST"]
    assert sorted(r.json["prompt"] for r in posts[:5]) == [f"fox {i}" for i in range(5)]


async def test_the_async_event_stream_is_woken_by_other_threads() -> None:
    """The fake's event stream on an event loop is woken by whichever thread changes it: a job
    submitted by a blocking client on another thread, then streams dropped from a thread, reach
    the reader at once, long before the stream's keep-alive (60 s) would have woken it."""
    with OxenMock(latency=0.01, keepalive=60) as fake:
        headers = {"Authorization": f"Bearer {fake.api_key}"}
        async with (
            httpx.AsyncClient(transport=fake.async_transport(), base_url=fake.base_url) as http,
            http.stream("GET", "/events", headers=headers, timeout=None) as stream,
            asyncio.timeout(20),
        ):
            lines = stream.aiter_lines()
            submit = threading.Thread(
                target=fake.client.submit, args=(IMAGE,), kwargs={"prompt": "x"}
            )
            submit.start()
            async for line in lines:  # the job's events reach this stream too
                if line.startswith("data:") and "succeeded" in line:
                    break
            submit.join()
            drop = threading.Thread(target=fake.drop_streams)
            drop.start()
            assert [line async for line in lines if line.startswith("data:")] == []  # it ended
            drop.join()
        assert fake.stats()["streams"]["dropped"] >= 1  # this one, and the blocking client's
        fake.client.close()


def test_failure_rules_fail_jobs_and_blocking_calls(fake: OxenMock) -> None:
    fake.fail_jobs(lambda body: "forbidden" in body.get("prompt", ""), "content policy violation")
    bad = fake.client.submit(IMAGE, prompt="something forbidden")
    with pytest.raises(ox.GenerationFailedError, match="content policy violation"):
        bad.wait(timeout=10)
    assert fake.client.submit(IMAGE, prompt="fine").wait(timeout=10).succeeded
    with pytest.raises(ox.BadRequestError, match="content policy violation"):
        fake.client.generate(IMAGE, prompt="forbidden too")


def test_fail_one_job_by_id(fake: OxenMock) -> None:
    fake.configure(latency=0.5)
    job = fake.client.submit(IMAGE, prompt="x")
    fake.fail_job(job.id, "upstream 422: bad aspect ratio")
    with pytest.raises(ox.GenerationFailedError, match="bad aspect ratio"):
        job.wait(timeout=10)
    assert job.status().status == "failed"
    with pytest.raises(ValueError, match="already ended"):
        fake.fail_job(job.id, "again")


def test_forced_faults_are_retried_by_the_client(fake: OxenMock) -> None:
    fake.fail_requests(429, times=2, method="POST", path="/ai/queue")
    assert fake.client.submit(IMAGE, prompt="x").wait(timeout=10).succeeded
    enqueues = [r.status for r in fake.requests if r.path == "/ai/queue" and r.method == "POST"]
    assert enqueues == [429, 429, 200]
    assert fake.stats()["jobs_created"] == 1  # a faulted enqueue made no job
    fake.fail_requests(500, times=10, path="/ai/images/generate", retry_after=0)
    with pytest.raises(ox.InternalServerError):
        fake.client.generate(IMAGE, prompt="x")
    with pytest.raises(ValueError, match="4xx or 5xx"):
        fake.fail_requests(302)
    with pytest.raises(ValueError, match="an API path"):
        fake.fail_requests(503, path="ai/queue")
    fake.fail_requests(503, path="/api/ai/models", retry_after=0)  # the full path works too
    with pytest.raises(ox.InternalServerError):
        ox.Oxen(
            api_key="k",
            base_url=fake.base_url,
            http_client=httpx.Client(transport=fake.transport()),
            max_retries=0,
        ).models.list()


def test_the_catalog_is_the_packages_models(fake: OxenMock) -> None:
    models = fake.client.models.list()
    assert len(models) == len(ox.model_ids())
    video = fake.client.models.get(VIDEO)
    assert video.endpoint == "/ai/videos/generate" and video.capabilities is not None
    assert video.request_schema == {
        k: v for k, v in ox.request_model(VIDEO).model_json_schema().items() if k != "$schema"
    }
    assert fake.client.models.get("gpt-4o").request_schema is None  # chat: no schema
    with pytest.raises(ox.NotFoundError):
        fake.client.models.get("no-such-model")


def test_seeded_faults_and_dropped_streams_still_finish_every_job() -> None:
    with OxenMock(latency=0.1, fault_rate=0.3, seed=5) as fake:
        client = ox.Oxen(
            api_key=fake.api_key,
            base_url=fake.base_url,
            http_client=httpx.Client(transport=fake.transport()),
        )
        finished = []
        for i in range(10):
            try:
                job = client.submit(IMAGE, prompt=f"fox {i}")
            except (ox.RateLimitError, ox.InternalServerError):
                continue  # every retry met a fault: visible, and no job was made
            if i == 5:
                fake.drop_streams()
            finished.append(job.wait(timeout=30))
        client.close()
        stats = fake.stats()
    assert {r.status for r in finished} == {"succeeded"}
    assert len(finished) == stats["jobs_created"] >= 6
    assert sum(stats["faults"].values()) > 0


def test_a_stalled_stream_meets_the_clients_idle_timeout() -> None:
    with OxenMock(latency=0.05, keepalive=0.05) as fake:
        client = ox.Oxen(
            api_key=fake.api_key,
            base_url=fake.base_url,
            http_client=httpx.Client(transport=fake.transport()),
            events_idle_timeout=0.3,
        )
        assert client.submit(IMAGE, prompt="warm up").wait(timeout=10).succeeded
        assert fake.stall_streams() == 1
        job = client.submit(IMAGE, prompt="its event is lost")
        assert job.wait(timeout=10).succeeded  # the stream was given up, reopened, reconciled
        client.close()
        streams = fake.stats()["streams"]
    assert streams["stalled"] == 1 and streams["opened"] >= 2


def test_latency_beyond_the_read_timeout_is_a_timeout(fake: OxenMock) -> None:
    fake.configure(latency=2.0)
    started = time.monotonic()
    with pytest.raises(ox.APITimeoutError):
        fake.client.generate(IMAGE, prompt="x", timeout=httpx.Timeout(5.0, read=0.2))
    assert time.monotonic() - started < 1.5


def test_uploads_go_to_the_fakes_repository(tmp_path: Path) -> None:
    image = tmp_path / "tiger.png"
    from oxen_inference.testing._protocol import media

    image.write_bytes(media.png(4, 4))
    with OxenMock() as fake:
        client = ox.Oxen(
            api_key=fake.api_key,
            base_url=fake.base_url,
            http_client=httpx.Client(transport=fake.transport()),
            uploads="tester/inputs",
        )
        assert client.files.create_repo(public=True)  # uploads never create one by themselves
        job = client.submit(VIDEO, prompt="a tiger", input_image=image)
        assert job.wait(timeout=10).succeeded
        client.close()
        [put] = [r for r in fake.requests if r.method == "PUT"]
        enqueue = next(r for r in fake.requests if r.path == "/ai/queue")
        assert put.path.startswith("/repos/tester/inputs/file/main/") and put.status == 200
        assert enqueue.json["input_image"].startswith("http://oxen.test/api/repos/tester/inputs/")
        assert fake.stats()["repos"]["uploads"] == 1


def test_closed_fake_refuses_and_reset_forgets(fake: OxenMock) -> None:
    fake.client.generate(IMAGE, prompt="x")
    fake.configure(latency=0.3)
    fake.reset()
    assert fake.requests == [] and fake.stats()["config"]["latency"] == 0.0
    with pytest.raises(ValueError, match="latency must be within"):
        fake.configure(latency=-1)
    with pytest.raises(ValueError, match="unknown setting"):
        OxenMock(latency=0.1).configure(speed=1)
    client = fake.client
    fake.close()
    with pytest.raises(ox.APIConnectionError):
        ox.Oxen(
            api_key="k",
            base_url=fake.base_url,
            http_client=httpx.Client(transport=fake.transport()),
            max_retries=0,
        ).generate(IMAGE, prompt="x")
    assert client is fake.client


def _python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout


def test_the_test_kit_is_not_imported_by_the_package_and_the_plugin_imports_nothing() -> None:
    out = _python(
        "import sys, oxen_inference as ox; ox.Oxen(api_key='k'); "
        "print(sorted(m for m in sys.modules if 'testing' in m and m.startswith('oxen')))"
    )
    assert out.strip() == "[]"
    out = _python(
        "import sys, pytest; before = set(sys.modules); import oxen_inference.testing._plugin; "
        "print(sorted(set(sys.modules) - before))"
    )
    assert json.loads(out.replace("'", '"')) == [
        "oxen_inference",
        "oxen_inference._lazy",
        "oxen_inference._version",
        "oxen_inference.testing",
        "oxen_inference.testing._plugin",
    ]
