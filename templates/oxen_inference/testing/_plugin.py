"""The pytest plugin of ``oxen_inference`` (registered by the wheel, entry point ``pytest11``):
the fixture ``oxen_mock``, a fresh :class:`~oxen_inference.testing.OxenMock` for each test::

    def test_my_app(oxen_mock):
        job = oxen_mock.client.submit("flux-2-pro", prompt="a red fox")
        assert job.wait(timeout=10).succeeded
        assert oxen_mock.requests[-1].json["prompt"] == "a red fox"

Settings for one test: ``@pytest.mark.oxen_mock(latency=0.2, fault_rate=0.1, seed=3)``.

Loading the plugin imports nothing but this module: the fake is made only when a test asks for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ._fake import OxenMock


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "oxen_mock(**settings): settings of the oxen_mock fixture's fake "
        "(latency, fault_rate, seed, stall_rate, keepalive, retry_after_max, api_key)",
    )


@pytest.fixture
def oxen_mock(request: pytest.FixtureRequest) -> Iterator[OxenMock]:
    """A fake Oxen for this test: ``.client`` (``Oxen``), ``.async_client`` (``AsyncOxen``),
    ``.requests`` (what was sent), and knobs (``configure``, ``fail_requests``, ``fail_job``,
    ``fail_jobs``, ``drop_streams``, ``stall_streams``). Closed after the test."""
    from ._fake import OxenMock

    marker = request.node.get_closest_marker("oxen_mock")
    settings = dict(marker.kwargs) if marker is not None else {}
    with OxenMock(**settings) as mock:
        yield mock
