"""A user's test suite, as someone who only ``pip install``ed the client would write it: it uses
the ``oxen_mock`` fixture that the wheel's pytest plugin provides, with no conftest and no
network. tests/unit/test_testkit_wheel.py copies it into a fresh virtualenv (the client's wheel and
pytest only) as ``test_user_suite.py`` and runs it there."""

from __future__ import annotations

import asyncio

import oxen_inference as ox
import pytest
from oxen_inference.testing import OxenMock

IMAGE = "flux-2-pro"
VIDEO = "luma-ray-v3-2-image-to-video"


def caption_job(client: ox.Oxen, prompt: str) -> str:
    """The application code under test: queue a generation, wait, return its URL."""
    result = client.submit(IMAGE, prompt=prompt, aspect_ratio="1:1").wait(timeout=30)
    assert result.result_url is not None
    return result.result_url


def test_sync_submit_and_recorded_body(oxen_mock: OxenMock) -> None:
    url = caption_job(oxen_mock.client, "a red fox")
    assert url.startswith("http://") and url.endswith(".png")
    [enqueue] = [r for r in oxen_mock.requests if r.method == "POST"]
    assert enqueue.path == "/ai/queue" and enqueue.status == 200
    assert enqueue.json == {"model": IMAGE, "prompt": "a red fox", "aspect_ratio": "1:1"}


def test_async_generate_and_submit(oxen_mock: OxenMock) -> None:
    async def main() -> list[str]:
        client = oxen_mock.async_client
        video = await client.generate(VIDEO, prompt="a tiger", input_image="https://e.com/t.png")
        jobs = await asyncio.gather(*(client.submit(IMAGE, prompt=f"fox {i}") for i in range(3)))
        done = await asyncio.gather(*(job.wait(timeout=30) for job in jobs))
        await client.close()
        return [*video.urls, *(d.status for d in done)]

    video_url, *statuses = asyncio.run(main())
    assert video_url.endswith(".mp4") and statuses == ["succeeded"] * 3


def test_a_failing_job(oxen_mock: OxenMock) -> None:
    oxen_mock.fail_jobs(lambda body: body.get("prompt") == "nsfw", "content policy violation")
    with pytest.raises(ox.GenerationFailedError, match="content policy violation"):
        caption_job(oxen_mock.client, "nsfw")


@pytest.mark.oxen_mock(latency=0.3)
def test_one_job_failed_by_id(oxen_mock: OxenMock) -> None:
    job = oxen_mock.client.submit(IMAGE, prompt="x")
    oxen_mock.fail_job(job.id, "upstream provider error")
    with pytest.raises(ox.GenerationFailedError, match="upstream provider error"):
        job.wait(timeout=30)


def test_faults_are_retried(oxen_mock: OxenMock) -> None:
    oxen_mock.fail_requests(503, times=1, method="POST", path="/ai/queue", retry_after=0)
    oxen_mock.fail_requests(429, times=1, method="POST", path="/ai/queue")
    assert caption_job(oxen_mock.client, "retry me")
    statuses = [r.status for r in oxen_mock.requests if r.path == "/ai/queue"]
    assert statuses == [503, 429, 200]
    assert oxen_mock.stats()["jobs_created"] == 1


def test_invalid_parameters_are_refused_by_the_fake(oxen_mock: OxenMock) -> None:
    with pytest.raises(ox.BadRequestError, match="bogus: unknown parameter"):
        oxen_mock.client.generate(IMAGE, prompt="x", extra_body={"bogus": 1})


def test_outside_pytest_the_fake_is_a_context_manager() -> None:
    with OxenMock(latency=0.05) as mock:
        assert mock.client.submit(IMAGE, prompt="x").wait(timeout=30).succeeded
        assert mock.stats()["jobs"]["succeeded"] == 1
    assert [r.path for r in mock.requests if r.method == "POST"] == ["/ai/queue"]
