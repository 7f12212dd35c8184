"""``client.batches`` against the mock: runs, results, progress, failures, cancellations,
interruptions, resumes, and the helpers that wait for many jobs at once."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import threading
from pathlib import Path
from typing import Any

import httpx
import oxen_inference as ox
import pytest
from oxen_inference._batch_inputs import BatchInputError
from oxen_inference._journal import BatchJournalError, Journal
from oxen_inference._progress import ProgressReport

from oxgen.mock.testing import MockServer

IMAGE, VIDEO = "flux-2-pro", "luma-ray-v3-2-text-to-video"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 40


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _results(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def _client(mock: MockServer, **options: Any) -> ox.Oxen:
    return ox.Oxen(api_key=mock.api_key, base_url=mock.base_url, **options)


def _aclient(mock: MockServer, **options: Any) -> ox.AsyncOxen:
    return ox.AsyncOxen(api_key=mock.api_key, base_url=mock.base_url, **options)


def test_a_run_saves_every_result_under_its_input_id(mock: MockServer, tmp_path: Path) -> None:
    rows = [
        {"id": "tiger", "model": IMAGE, "prompt": "a tiger"},
        {"id": "odd/../id", "model": IMAGE, "prompt": "odd"},
        {"model": VIDEO, "prompt": "a river"},
        {"id": "twin-1", "model": IMAGE, "prompt": "twin"},
        {"id": "twin-2", "model": IMAGE, "prompt": "twin"},
    ]
    inputs = _write(tmp_path / "in.jsonl", rows)
    seen: list[ProgressReport] = []
    with _client(mock) as client:
        result = client.batches.run(inputs, tmp_path / "out", on_progress=seen.append)
    assert result.ok and (result.total, result.succeeded) == (5, 5)
    got = _results(tmp_path / "out")
    assert [r["id"] for r in got] == ["tiger", "odd/../id", "3", "twin-1", "twin-2"]
    assert [r["file"] for r in got][0::2] == [
        "outputs/tiger.png",
        "outputs/3.mp4",
        "outputs/twin-2.png",
    ]
    odd = got[1]["file"]
    assert odd.startswith("outputs/odd_.._id-") and odd.endswith(".png")
    with httpx.Client() as http:
        for r in got:
            assert set(r) == {
                "id",
                "model",
                "generation_id",
                "status",
                "result_url",
                "file",
                "error",
            }
            assert r["status"] == "succeeded" and r["error"] is None
            assert (tmp_path / "out" / r["file"]).read_bytes() == http.get(r["result_url"]).content
    stats = mock.stats()
    assert stats["jobs_created"] == 5
    assert stats["requests"]["POST /api/ai/queue"] == 4  # the twins went as one enqueue of two
    assert "GET /api/ai/queue/{generation_id}" not in stats["requests"]  # waited by events
    assert seen and all(sum(p.counts.values()) == 5 for p in seen)
    assert [p.elapsed for p in seen] == sorted(p.elapsed for p in seen)
    assert (seen[-1].succeeded, seen[-1].downloaded, seen[-1].eta) == (5, 5, 0.0)


async def test_the_async_face_without_downloads(mock: MockServer, tmp_path: Path) -> None:
    inputs = _write(tmp_path / "in.jsonl", [{"model": IMAGE, "prompt": f"p{i}"} for i in range(30)])
    async with _aclient(mock, max_concurrency=4) as client:
        result = await client.batches.run(inputs, tmp_path / "out", download=False)
    assert result.ok and result.succeeded == 30
    got = _results(tmp_path / "out")
    assert all(r["file"] is None and r["result_url"] for r in got)
    assert not (tmp_path / "out" / "outputs").exists()
    stats = mock.stats()
    assert stats["requests"]["POST /api/ai/queue"] == 30
    assert stats["requests_total"] <= 30 + 10


def test_failed_jobs_are_results_with_their_error(mock: MockServer, tmp_path: Path) -> None:
    missing = f"{mock.root_url}/files/never-made.png"
    rows: list[dict[str, Any]] = [
        {"model": IMAGE, "prompt": "fine"},
        {"model": IMAGE, "prompt": "broken", "input_image": [missing]},
    ]
    with _client(mock) as client:
        result = client.batches.run(_write(tmp_path / "in.jsonl", rows), tmp_path / "out")
    assert not result.ok and (result.succeeded, result.failed) == (1, 1)
    good, bad = _results(tmp_path / "out")
    assert good["status"] == "succeeded"
    assert bad["status"] == "failed" and bad["file"] is None and bad["result_url"] is None
    assert "never-made.png" in bad["error"]


def test_a_job_cancelled_elsewhere_ends_cancelled(mock: MockServer, tmp_path: Path) -> None:
    mock.configure(latency=1.5)
    rows = [{"model": IMAGE, "prompt": "keep"}, {"model": IMAGE, "prompt": "cancel me"}]
    stop = threading.Event()

    def canceller() -> None:
        with httpx.Client(base_url=mock.base_url, headers=mock.headers) as http:
            while not stop.is_set():
                for job in http.get("/ai/queue").json()["generations"]:
                    if job["prompt"] == "cancel me":
                        http.delete(f"/ai/queue/{job['generation_id']}")
                        return
                stop.wait(0.02)

    thread = threading.Thread(target=canceller)
    thread.start()
    try:
        with _client(mock, events=False) as client:  # cancelled jobs send no event: polling sees it
            result = client.batches.run(_write(tmp_path / "in.jsonl", rows), tmp_path / "out")
    finally:
        stop.set()
        thread.join()
    assert (result.succeeded, result.cancelled) == (1, 1)
    assert [r["status"] for r in _results(tmp_path / "out")] == ["succeeded", "cancelled"]


async def test_an_interrupted_run_resumes_without_sending_again(
    mock: MockServer, tmp_path: Path
) -> None:
    mock.configure(latency=1.0)
    inputs = _write(tmp_path / "in.jsonl", [{"model": IMAGE, "prompt": f"p{i}"} for i in range(12)])
    async with _aclient(mock) as client:
        waiting = asyncio.Event()

        def progress(p: ProgressReport) -> None:
            if p.counts["waiting"] == 12:
                waiting.set()

        task = asyncio.create_task(
            client.batches.run(inputs, tmp_path / "out", on_progress=progress)
        )
        await asyncio.wait_for(waiting.wait(), 20)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert _results(tmp_path / "out") == []  # nothing had ended: results list what has
    reader = Journal.read(tmp_path / "out")
    assert reader.counts()["waiting"] == 12
    reader.close()
    # What a process killed mid-download leaves, beside files that only look alike.
    outputs = tmp_path / "out" / "outputs"
    outputs.mkdir(exist_ok=True)
    stale = [".1.png.0a1b2c3d4e5f.part", ".7.mp4.ffffffffffff.part"]
    kept = [".keep", ".1.png.part", ".1.png.0A1B2C3D4E5F.part", "1.png.0a1b2c3d4e5f.part"]
    for name in stale + kept:
        (outputs / name).write_bytes(b"half")
    # and pages killed writers left: an old one goes, a fresh one (a report being written) stays
    old_page, fresh_page = (
        tmp_path / "out" / ".index.html.4242.tmp",
        tmp_path / "out" / ".index.html.4243.tmp",
    )
    old_page.write_text("<html")
    fresh_page.write_text("<html")
    os.utime(old_page, (old_page.stat().st_atime, old_page.stat().st_mtime - 3600))
    async with _aclient(mock) as client:
        result = await client.batches.run(inputs, tmp_path / "out")
    assert result.ok and len(_results(tmp_path / "out")) == 12
    assert mock.stats()["jobs_created"] == 12
    assert sorted(p.name for p in outputs.glob(".*")) == sorted(n for n in kept if n[0] == ".")
    assert (outputs / "1.png.0a1b2c3d4e5f.part").read_bytes() == b"half"
    assert not old_page.exists() and fresh_page.read_text() == "<html"


def test_jobs_the_server_forgot_end_failed(mock: MockServer, tmp_path: Path) -> None:
    mock.configure(latency=2.0)
    inputs = _write(tmp_path / "in.jsonl", [{"model": IMAGE, "prompt": f"p{i}"} for i in range(3)])

    async def interrupted() -> None:
        async with _aclient(mock) as client:
            done = asyncio.Event()

            def progress(p: ProgressReport) -> None:
                if p.counts["waiting"] == 3:
                    done.set()

            task = asyncio.create_task(
                client.batches.run(inputs, tmp_path / "out", on_progress=progress)
            )
            await asyncio.wait_for(done.wait(), 20)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    asyncio.run(interrupted())
    mock.reset()  # another server, or another account: it knows none of these jobs
    with _client(mock) as client:
        result = client.batches.run(inputs, tmp_path / "out")
    assert result.failed == 3
    assert all("does not know generation" in r["error"] for r in _results(tmp_path / "out"))
    assert mock.stats()["jobs_created"] == 0


def test_an_at_path_outside_the_folder_is_the_users_file(mock: MockServer, tmp_path: Path) -> None:
    (tmp_path / "shared.png").write_bytes(PNG)
    inputs = _write(
        tmp_path / "batch" / "in.jsonl",
        [{"model": IMAGE, "prompt": "x", "input_image": ["@../shared.png"]}],
    )
    with _client(mock) as client:
        assert client.batches.run(inputs, tmp_path / "out").ok
    (job,) = mock.call(lambda: list(mock.state.jobs.jobs.values()))
    sent = job.params["input_image"][0]
    assert sent.startswith("data:image/png;base64,")
    assert base64.b64decode(sent.split(",", 1)[1]) == PNG


def test_a_folder_is_for_one_run_of_one_inputs_file(mock: MockServer, tmp_path: Path) -> None:
    first = _write(tmp_path / "a.jsonl", [{"model": IMAGE, "prompt": "a"}])
    other = _write(tmp_path / "b.jsonl", [{"model": IMAGE, "prompt": "b"}])
    with _client(mock) as client:
        assert client.batches.run(first, tmp_path / "out").ok
        with pytest.raises(BatchJournalError, match="holds the journal of other inputs"):
            client.batches.run(other, tmp_path / "out")
        with pytest.raises(BatchInputError, match="no such file"):
            client.batches.run(tmp_path / "nope.jsonl", tmp_path / "out2")
    assert not (tmp_path / "out2").exists()
    assert mock.stats()["jobs_created"] == 1


def test_a_refused_key_stops_the_run_and_keeps_the_inputs(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/events"):
            return httpx.Response(404)
        return httpx.Response(401, json={"error": {"message": "bad key"}})

    inputs = _write(tmp_path / "in.jsonl", [{"model": IMAGE, "prompt": f"p{i}"} for i in range(3)])

    async def run() -> None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        async with ox.AsyncOxen(
            api_key="k", base_url="http://api.test/api", http_client=http
        ) as client:
            await client.batches.run(inputs, tmp_path / "out")

    with pytest.raises(ox.AuthenticationError, match="bad key"):
        asyncio.run(run())
    journal = Journal.read(tmp_path / "out")
    assert journal.counts()["pending"] == 3 and journal.in_doubt() == []
    journal.close()
    assert _results(tmp_path / "out") == []


def test_as_completed_yields_each_job_once_as_it_ends(mock: MockServer) -> None:
    from oxen_inference._progress import as_completed

    with _client(mock) as client:
        jobs = [client.submit(IMAGE, prompt=f"p{i}") for i in range(6)]
        jobs[0].wait()
        ended = list(as_completed(jobs, timeout=20))
    assert ended[0] is jobs[0]
    assert sorted(j.id for j in ended) == sorted(j.id for j in jobs)
    assert all(j.last is not None and j.last.status == "succeeded" for j in ended)


def test_as_completed_times_out(mock: MockServer) -> None:
    from oxen_inference._progress import as_completed

    mock.configure(latency=5.0)
    with _client(mock) as client:
        jobs = [client.submit(IMAGE, prompt="slow")]
        with pytest.raises(ox.WaitTimeoutError):
            list(as_completed(jobs, timeout=0.2))


async def test_as_completed_async(mock: MockServer) -> None:
    from oxen_inference._progress import as_completed_async

    async with _aclient(mock) as client:
        jobs = [await client.submit(IMAGE, prompt=f"p{i}") for i in range(6)]
        ended = [job async for job in as_completed_async(jobs, timeout=20)]
        assert sorted(j.id for j in ended) == sorted(j.id for j in jobs)
        mock.configure(latency=5.0)
        slow = [await client.submit(IMAGE, prompt="slow")]
        with pytest.raises(ox.WaitTimeoutError):
            async for _ in as_completed_async(slow, timeout=0.2):
                pass


def test_results_that_cannot_be_saved_are_reported_and_retried(
    mock: MockServer, tmp_path: Path
) -> None:
    inputs = _write(tmp_path / "in.jsonl", [{"model": IMAGE, "prompt": f"p{i}"} for i in range(3)])
    with _client(mock) as client:
        assert client.batches.run(inputs, tmp_path / "out", download=False).ok
        mock.reset()  # the result files (and rows) are gone: neither the URL nor a fresh one works
        result = client.batches.run(inputs, tmp_path / "out")
    assert (result.succeeded, result.missing_files, result.ok) == (3, 3, False)
    for row in _results(tmp_path / "out"):
        assert row["status"] == "succeeded" and row["file"] is None
        assert row["error"].startswith("download failed: ")
    assert mock.stats()["jobs_created"] == 0  # nothing was enqueued again


def test_an_enqueue_the_server_refuses_fails_its_input_only(
    mock: MockServer, tmp_path: Path
) -> None:
    mock.configure(max_body_bytes=200)
    rows = [{"model": IMAGE, "prompt": "short"}, {"model": IMAGE, "prompt": "long " * 100}]
    with _client(mock) as client:
        result = client.batches.run(_write(tmp_path / "in.jsonl", rows), tmp_path / "out")
    assert (result.succeeded, result.failed) == (1, 1)
    short, long = _results(tmp_path / "out")
    assert short["status"] == "succeeded"
    assert long["status"] == "failed" and long["generation_id"] is None
    assert long["error"].startswith("refused by the server: ")
    assert mock.stats()["jobs_created"] == 1
