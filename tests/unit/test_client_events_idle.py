"""The event stream's idle timeout: configuration, the read timeout it sets, and how a silent
stream counts as a failure (the reconnection itself is tested against the mock server in e2e)."""

from __future__ import annotations

import httpx
import oxen_inference as ox
import pytest
from oxen_inference import _api, _events


def test_default_and_configured_idle_timeout() -> None:
    assert _api.EVENTS_IDLE_TIMEOUT == _events.IDLE_TIMEOUT == 45.0
    c = ox.Oxen(api_key="k", base_url="https://api.test/api")
    assert c._hub.idle_timeout == 45.0
    assert c._hub.stream_timeout() == httpx.Timeout(45.0, connect=10.0)
    a = ox.AsyncOxen(api_key="k", base_url="https://api.test/api", events_idle_timeout=0.25)
    assert a._hub.idle_timeout == 0.25 and a._hub.stream_timeout().read == 0.25


@pytest.mark.parametrize("bad", [0, -1.0, True, "45", None])
def test_idle_timeout_must_be_positive_seconds(bad: object) -> None:
    with pytest.raises(ValueError, match="events_idle_timeout"):
        ox.Oxen(api_key="k", events_idle_timeout=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="events_idle_timeout"):
        ox.AsyncOxen(api_key="k", events_idle_timeout=bad)  # type: ignore[arg-type]


def test_a_silent_stream_counts_and_backoff_restarts_after_a_stream_that_was_up() -> None:
    hub = ox.Oxen(api_key="k", base_url="https://api.test/api")._hub
    silent = httpx.ReadTimeout("timed out")
    assert hub.failed(silent, 4, was_up=True) == 1 and hub.idle_drops == 1
    assert hub.failed(httpx.ReadError("reset"), 4, was_up=False) == 5 and hub.idle_drops == 1
    assert hub.failed(silent, 0, was_up=False) == 1 and hub.idle_drops == 2
