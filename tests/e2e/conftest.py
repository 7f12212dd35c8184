"""Fixtures for end-to-end tests against `oxgen mock-server` on 127.0.0.1.

- ``mock_server`` (session): one server over the committed snapshot ``schemas/``, latency 0.05 s,
  keep-alive every 0.2 s, ``Retry-After: 0`` on injected 429s. Shared: do not assume it is empty.
- ``mock`` (function): the same server after ``reset()`` (no jobs, zero counters, start-up
  settings), so a test may change settings with ``mock.configure(fault_rate=...)`` freely.
- ``api``: an ``httpx.Client`` on ``mock.base_url`` (``.../api``) with the bearer key set.
- ``SCHEMAS``: the committed snapshot folder.
- ``backend`` (function, two params): the protocol tests' server, ``oxgen mock-server`` (the
  ``mock`` server above) or the client's fake ``OxenMock`` (same settings), see ``backends.py``;
  ``http``: an ``httpx.Client`` on it with the key set.

Need a server with other settings or another snapshot? Use the helper directly::

    from oxgen.mock.testing import running_mock_server
    with running_mock_server(path_or_snapshot, latency=0.2, fault_rate=0.1, seed=3) as server: ...
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from oxen_inference.testing import OxenMock

from oxgen.mock.testing import MockServer, running_mock_server
from tests.e2e.backends import Backend, FakeBackend, ServerBackend

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


@pytest.fixture(scope="session")
def mock_server() -> Iterator[MockServer]:
    with running_mock_server(SCHEMAS, latency=0.05, keepalive=0.2, retry_after_max=0) as server:
        yield server


@pytest.fixture
def mock(mock_server: MockServer) -> MockServer:
    mock_server.reset()
    return mock_server


@pytest.fixture
def api(mock: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mock.base_url, headers=mock.headers, timeout=10) as client:
        yield client


@pytest.fixture(scope="session")
def schemas_dir() -> Path:
    """The committed snapshot folder the session server serves."""
    return SCHEMAS


@pytest.fixture(params=["server", "fake"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """``oxgen mock-server`` (reset) or the client's ``OxenMock``, with the same settings."""
    if request.param == "server":
        yield ServerBackend(request.getfixturevalue("mock"))
        return
    with OxenMock(latency=0.05, keepalive=0.2, retry_after_max=0) as fake:
        yield FakeBackend(fake)


@pytest.fixture
def http(backend: Backend) -> Iterator[httpx.Client]:
    with backend.client() as client:
        yield client
