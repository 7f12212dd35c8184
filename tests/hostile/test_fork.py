"""A client used before ``fork()`` (gunicorn and uWSGI workers, multiprocessing with fork, Celery
prefork): each child starts with connections, limiter, locks and event hub of its own, so
answers never cross processes and no lock is inherited in a held state, even while parent
threads are busy with requests at the moment of the fork."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
from typing import Any

import oxen_inference as ox
import pytest

from tests.hostile.rawhttp import Conn, Request, serve

pytestmark = pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")

KEY = "sk-fork-test-key"
I2V = "luma-ray-v3-2-image-to-video"
IMG = "https://example.com/tiger.png"
CHILDREN = 16


def _reap(pid: int, timeout: float) -> int | None:
    """The child's exit code, or None when it had to be killed (it hung)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


def _fork(child: Any) -> int:
    """Run `child()` in a forked process; its exit code is 0 when it returns True."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns into pytest
        code = 3
        try:
            code = 0 if child() else 1
        except BaseException:
            code = 2
        finally:
            os._exit(code)
    return pid


def _echo_models(request: Request, conn: Conn) -> None:
    """``GET /api/ai/models/<id>`` answers that id, on a kept-alive connection."""
    model = request.path.rsplit("/", 1)[-1]
    conn.reply(200, {"id": model, "object": "model", "pid_seen": request.headers.get("x-pid")})


def test_children_of_a_busy_parent_get_their_own_connections() -> None:
    with serve(_echo_models) as server:
        client = ox.Oxen(api_key=KEY, base_url=server.api, events=False)
        aclient = ox.AsyncOxen(api_key=KEY, base_url=server.api, events=False)
        assert client.models.get("parent").id == "parent"  # a kept-alive connection exists
        assert asyncio.run(aclient.models.get("parent")).id == "parent"
        stop = threading.Event()
        wrong: list[str] = []

        def busy() -> None:  # parent threads inside the pool at any moment of each fork
            while not stop.is_set():
                try:
                    got = client.models.get("parent", timeout=10).id
                except ox.OxenError as exc:
                    got = repr(exc)
                if got != "parent":
                    wrong.append(got)

        threads = [threading.Thread(target=busy) for _ in range(2)]
        for thread in threads:
            thread.start()

        def child(n: int) -> bool:
            want = f"child-{n}"
            sync_ok = all(client.models.get(want, timeout=10).id == want for _ in range(20))
            async_ok = asyncio.run(aclient.models.get(want, timeout=10)).id == want
            return sync_ok and async_ok

        try:
            pids = [_fork(lambda n=n: child(n)) for n in range(CHILDREN)]
            codes = [_reap(pid, 60) for pid in pids]
        finally:
            stop.set()
            for thread in threads:
                thread.join(10)
        client.close()
        asyncio.run(aclient.aclose())
    assert codes == [0] * CHILDREN  # None: hung (a lock held at the fork); 1: a wrong answer
    assert wrong == []  # nor did the children disturb the parent's answers


def test_children_start_an_event_hub_of_their_own() -> None:
    enqueued: list[str] = []
    guard = threading.Lock()

    def handler(request: Request, conn: Conn) -> bool | None:
        if request.path == "/api/events":  # every enqueued child job ends, on every stream
            conn.sse()
            while conn.pause(0.1):
                for gid in list(enqueued):
                    conn.event(
                        "media_generation_completed",
                        {"generation_id": gid, "status": "succeeded", "url": f"https://c/{gid}"},
                    )
            return False
        if request.method == "POST":
            with guard:
                gid = "parent" if not enqueued and "parent" not in request.body.decode() else ""
                gid = gid or f"c{len(enqueued) + 1}"
                if gid != "parent":
                    enqueued.append(gid)
            conn.reply(200, {"generations": [{"generation_id": gid, "status": "queued"}]})
            return None
        gid = request.path.partition("?")[0].rsplit("/", 1)[-1]
        if gid == "queue":  # the lists: the parent's job is active, nothing else is
            rows = [{"generation_id": "parent", "status": "processing"}]
            conn.reply(200, {"count": 1, "generations": rows if "?" not in request.path else []})
        else:
            conn.reply(200, {"generation_id": gid, "status": "processing"})
        return None

    with serve(handler) as server:
        client = ox.Oxen(api_key=KEY, base_url=server.api)
        parent_job = client.submit(I2V, prompt="parent", input_image=IMG)
        waiting = threading.Thread(target=lambda: _ignore(parent_job.wait, 30))
        waiting.start()  # the parent's hub threads are busy with this wait at each fork

        def child() -> bool:
            job = client.submit(I2V, prompt="child", input_image=IMG)
            return job.wait(timeout=30).result_url == f"https://c/{job.id}"

        pids = [_fork(child) for _ in range(8)]
        codes = [_reap(pid, 60) for pid in pids]
        client.close()
        waiting.join(10)
    assert codes == [0] * 8


def _ignore(call: Any, timeout: float) -> None:
    with contextlib.suppress(ox.OxenError):
        call(timeout=timeout)
