"""The protocol core on its own, on a clock the test moves: jobs change state when their moment
comes (dated then, however late someone looks), event streams step, forced faults and failure
rules apply, and the router answers what it cannot route."""

from __future__ import annotations

from typing import Any

import pytest

from oxgen.mock.protocol import core

VIDEO = "v"
MODELS = {
    VIDEO: {
        "id": VIDEO,
        "request_schema": {
            "type": "object",
            "properties": {"prompt": {"type": "string"}},
            "required": ["prompt"],
        },
    }
}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _check(model_id: str, model: dict[str, Any], params: dict[str, Any]) -> list[str]:
    return [] if isinstance(params.get("prompt"), str) else ["prompt: a string is required"]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def state(clock: Clock) -> core.State:
    catalog = core.Catalog(MODELS, {VIDEO: "/ai/videos/generate"}, _check)
    return core.State(catalog, core.MockConfig(latency=4.0, seed=0), clock=clock)


def send(
    state: core.State, method: str, path: str, body: bytes = b"", key: str | None = "k"
) -> core.Reply:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    if body:
        headers["content-type"] = "application/json"
    exchange = core.Exchange(state, core.ROUTER, method, path, {}, headers, "http://fake")
    if exchange.wants_body:
        exchange.feed(body)
    return exchange.finish()


def answer(reply: core.Reply) -> core.Answer:
    assert isinstance(reply, core.Answer), reply
    return reply


def enqueue(state: core.State, prompt: object = "a tiger") -> str:
    import json

    body = json.dumps({"model": VIDEO, "prompt": prompt}).encode()
    reply = answer(send(state, "POST", "/api/ai/queue", body))
    assert reply.status == 200, reply.body
    gid: str = json.loads(reply.body)["generations"][0]["generation_id"]
    return gid


def row(state: core.State, gid: str) -> dict[str, Any]:
    import json

    value: dict[str, Any] = json.loads(answer(send(state, "GET", f"/api/ai/queue/{gid}")).body)
    return value


def test_jobs_move_when_their_moment_comes_and_are_dated_then(
    state: core.State, clock: Clock
) -> None:
    gid = enqueue(state)
    assert row(state, gid)["status"] == "queued"
    clock.now += 0.99  # a quarter of the 4 s latency is 1 s
    assert row(state, gid)["status"] == "queued"
    clock.now += 100.0  # looked at long after it ended
    done = row(state, gid)
    assert done["status"] == "succeeded" and done["result_url"].startswith("http://fake/files/")
    assert done["started_at"] - done["enqueued_at"] in (0, 1)  # dated when due, not when seen
    assert done["completed_at"] - done["enqueued_at"] in (3, 4, 5)


def test_invalid_parameters_fail_when_processing_starts(state: core.State, clock: Clock) -> None:
    gid = enqueue(state, prompt=5)
    clock.now += 1.0
    failed = row(state, gid)
    assert failed["status"] == "failed" and "prompt" in failed["error_message"]


def test_a_stream_steps_events_keepalives_and_its_waits(state: core.State, clock: Clock) -> None:
    state.configure({"keepalive": 10.0})
    sub = state.subscribe("k")
    woken: list[int] = []
    sub.wake = lambda: woken.append(1)
    assert state.step(sub) == ([], False, 10.0)  # nothing to send; a keep-alive is due in 10 s
    gid = enqueue(state)
    assert woken  # the enqueue woke the stream: its next transition is sooner
    assert state.step(sub) == ([], False, 1.0)  # processing starts in 1 s
    clock.now += 4.0
    texts, ended, wait = state.step(sub)
    assert len(texts) == 1 and gid in texts[0] and '"succeeded"' in texts[0] and not ended
    assert wait == 10.0
    clock.now += 10.0
    assert state.step(sub) == ([": keep-alive\n\n"], False, 10.0)
    assert state.drop_streams() == 1
    assert state.step(sub) == ([], True, 0.0)


def test_a_stalled_stream_sends_nothing_and_waits_to_be_woken(
    state: core.State, clock: Clock
) -> None:
    sub = state.subscribe("k")
    assert state.stall_streams("someone-else") == 0
    assert state.stall_streams("k") == 1
    enqueue(state)
    clock.now += 60.0
    assert state.step(sub) == ([], False, None)
    assert state.stats()["events_sent"] == 0


def test_forced_faults_match_method_and_path_then_run_out(state: core.State) -> None:
    state.fail_requests(core.Forced(503, 2, "POST", "/api/ai/queue"))
    assert answer(send(state, "GET", "/api/ai/queue")).status == 200  # another method
    assert answer(send(state, "POST", "/api/ai/queue", b"{}")).status == 503
    assert answer(send(state, "POST", "/api/ai/queue", b"{}")).status == 503
    assert answer(send(state, "POST", "/api/ai/queue", b"{}")).status == 400  # no model
    assert state.stats()["faults"] == {"503": 2}
    with pytest.raises(ValueError, match="4xx or 5xx"):
        state.fail_requests(core.Forced(200, 1))
    with pytest.raises(ValueError, match="at least 1"):
        state.fail_requests(core.Forced(500, 0))


def test_failure_rules_and_failing_a_job_by_id(state: core.State, clock: Clock) -> None:
    state.fail_jobs(lambda body: body.get("prompt") == "boom", "content policy")
    ruled, chosen, fine = enqueue(state, "boom"), enqueue(state), enqueue(state)
    state.fail_job(chosen, "upstream timed out")
    clock.now += 4.0
    assert row(state, ruled)["error_message"] == "content policy"
    assert row(state, chosen)["error_message"] == "upstream timed out"
    assert row(state, fine)["status"] == "succeeded"
    with pytest.raises(ValueError, match="already ended"):
        state.fail_job(fine, "too late")
    with pytest.raises(ValueError, match="no queued generation"):
        state.fail_job("nope", "x")


@pytest.mark.parametrize(
    ("method", "path", "status", "allow"),
    [
        ("GET", "/api/nothing", 404, None),
        ("PUT", "/api/ai/queue", 405, "GET, HEAD, POST"),
        ("POST", "/api/ai/models/x/y", 405, "GET, HEAD"),
        ("GET", "/files/../x", 404, None),
    ],
)
def test_unrouted_requests(
    state: core.State, method: str, path: str, status: int, allow: str | None
) -> None:
    reply = answer(send(state, method, path))
    assert reply.status == status
    assert reply.headers.get("Allow") == allow


def test_requests_are_counted_by_template(state: core.State) -> None:
    send(state, "GET", "/api/ai/models/a/b")
    send(state, "HEAD", "/api/ai/queue/x")
    send(state, "GET", "/api/ai/queue", key=None)
    assert state.stats()["requests"] == {
        "GET /api/ai/models/{model_id}": 1,
        "GET /api/ai/queue": 1,
        "HEAD /api/ai/queue/{generation_id}": 1,
    }
