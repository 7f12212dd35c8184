"""Test your code against a fake Oxen: no network, no key, no bill.

    from oxen_inference.testing import OxenMock

    with OxenMock(latency=0.05) as mock:
        job = mock.client.submit("flux-2-pro", prompt="a red fox")
        assert job.wait(timeout=10).succeeded
        assert mock.requests[-1].path == "/ai/queue"

:class:`OxenMock` is a stateful fake of Oxen's inference API (the models this package knows, the
blocking routes, the queue and its event stream, result files, repository uploads), served to
``mock.client`` (an ``Oxen``) and ``mock.async_client`` (an ``AsyncOxen``) through httpx
transports. With pytest, the fixture ``oxen_mock`` gives a fresh one to each test (the package
registers the plugin; nothing is imported until a test uses it).

``_protocol`` is the fake itself, with no I/O of its own; ``oxgen mock-server`` serves the same code
over HTTP.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._lazy import loader

if TYPE_CHECKING:
    from ._fake import OxenMock
    from ._transport import RecordedRequest

__all__ = ["OxenMock", "RecordedRequest"]

_EXPORTS = {"OxenMock": "._fake", "RecordedRequest": "._transport"}


_load = loader(__name__, _EXPORTS, globals())


def __getattr__(name: str) -> Any:
    return _load(name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
