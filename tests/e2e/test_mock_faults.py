"""Fault injection (seeded, before processing), and the mock-only stats/reset/config endpoints."""

from __future__ import annotations

import httpx

from oxgen.mock.testing import MockServer, running_mock_server

VIDEO_BODY = {
    "model": "luma-ray-v3-2-image-to-video",
    "prompt": "x",
    "input_image": "https://e.com/a.png",
}


def statuses(api: httpx.Client, n: int = 40) -> list[int]:
    return [api.get("/ai/models/flux-2-pro").status_code for _ in range(n)]


def test_same_seed_same_faults_across_servers(schemas_dir: object) -> None:
    runs = []
    for _ in range(2):
        with (
            running_mock_server(
                str(schemas_dir), fault_rate=0.3, seed=42, retry_after_max=0
            ) as server,
            httpx.Client(base_url=server.base_url, headers=server.headers) as api,
        ):
            runs.append(statuses(api, 30))
    assert runs[0] == runs[1] and 429 in runs[0]


def test_rate_is_roughly_honoured(mock: MockServer, api: httpx.Client) -> None:
    mock.configure(fault_rate=0.2, seed=3)
    faults = sum(s != 200 for s in statuses(api, 300))
    assert 30 <= faults <= 90


def test_files_and_mock_endpoints_never_fault(mock: MockServer, api: httpx.Client) -> None:
    url = api.post("/ai/images/generate", json={"model": "flux-2-pro", "prompt": "x"}).json()[
        "images"
    ][0]["url"]
    mock.configure(fault_rate=1.0)
    for _ in range(20):
        assert httpx.get(url).status_code == 200
        assert httpx.get(mock.root_url + "/_mock/stats").status_code == 200


def test_reset_and_config_endpoints(mock: MockServer, api: httpx.Client) -> None:
    root = mock.root_url
    api.post("/ai/queue", json=VIDEO_BODY)
    changed = httpx.post(root + "/_mock/config", json={"latency": 1.5, "fault_rate": 0.25})
    assert changed.status_code == 200 and changed.json()["config"]["latency"] == 1.5
    for bad in ({"fault_rate": 2}, {"nope": 1}, {"latency": "slow"}):
        response = httpx.post(root + "/_mock/config", json=bad)
        assert response.status_code == 400 and response.json()["error"]["type"] == "invalid_params"
    assert mock.config.fault_rate == 0.25  # a bad update changes nothing
    reset = httpx.post(root + "/_mock/reset").json()
    assert reset["config"]["latency"] == 0.05 and reset["config"]["fault_rate"] == 0.0
    stats = httpx.get(root + "/_mock/stats").json()
    assert stats["jobs_created"] == 0 and stats["jobs"]["queued"] == 0
    assert api.get("/ai/queue", params={"status": "all"}).json()["count"] == 0


def test_mock_endpoints_are_counted_and_refuse_other_methods(mock: MockServer) -> None:
    assert httpx.get(mock.root_url + "/_mock/stats").status_code == 200
    wrong = httpx.get(mock.root_url + "/_mock/reset")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"
    assert wrong.json()["error"]["type"] == "method_not_allowed"
    assert mock.stats()["requests"]["GET /_mock/stats"] == 1
