"""The two servers of Oxen's protocol that the protocol tests run against, behind one interface:
``oxgen mock-server`` on 127.0.0.1 (:class:`ServerBackend`) and the client's own fake,
``oxen_inference.testing.OxenMock``, reached through its httpx transports (:class:`FakeBackend`).
Both run the same protocol core; the tests prove they serve it the same way."""

from __future__ import annotations

from typing import Any, Protocol

import httpx
from oxen_inference.testing import OxenMock

from oxgen.mock.testing import MockServer


class Backend(Protocol):
    name: str
    base_url: str  # ends in /api
    root_url: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]: ...

    def client(self, key: str | None = None) -> httpx.Client: ...

    def async_client(self, key: str | None = None) -> httpx.AsyncClient: ...

    def configure(self, **changes: Any) -> None: ...

    def stats(self) -> dict[str, Any]: ...

    def drop_streams(self) -> int: ...

    def stall_streams(self) -> int: ...


def _auth(key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}


class ServerBackend:
    name = "server"

    def __init__(self, mock: MockServer) -> None:
        self.mock = mock
        self.base_url, self.root_url, self.api_key = mock.base_url, mock.root_url, mock.api_key

    @property
    def headers(self) -> dict[str, str]:
        return _auth(self.api_key)

    def client(self, key: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers=_auth(key or self.api_key), timeout=10)

    def async_client(self, key: str | None = None) -> httpx.AsyncClient:
        headers = _auth(key or self.api_key)
        return httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=10)

    def configure(self, **changes: Any) -> None:
        self.mock.configure(**changes)

    def stats(self) -> dict[str, Any]:
        return self.mock.stats()

    def drop_streams(self) -> int:
        return self.mock.drop_streams()

    def stall_streams(self) -> int:
        return self.mock.stall_streams()


class FakeBackend:
    name = "fake"

    def __init__(self, fake: OxenMock) -> None:
        self.fake = fake
        self.base_url, self.api_key = fake.base_url, fake.api_key
        self.root_url = fake.base_url.removesuffix("/api")

    @property
    def headers(self) -> dict[str, str]:
        return _auth(self.api_key)

    def client(self, key: str | None = None) -> httpx.Client:
        return httpx.Client(
            transport=self.fake.transport(),
            base_url=self.base_url,
            headers=_auth(key or self.api_key),
            timeout=10,
        )

    def async_client(self, key: str | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=self.fake.async_transport(),
            base_url=self.base_url,
            headers=_auth(key or self.api_key),
            timeout=10,
        )

    def configure(self, **changes: Any) -> None:
        self.fake.configure(**changes)

    def stats(self) -> dict[str, Any]:
        return self.fake.stats()

    def drop_streams(self) -> int:
        return self.fake.drop_streams()

    def stall_streams(self) -> int:
        return self.fake.stall_streams()
