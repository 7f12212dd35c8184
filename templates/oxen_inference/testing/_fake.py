""":class:`OxenMock`: a fake Oxen in your process, with the clients wired to it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from ._async.transport import AsyncFakeTransport
from ._protocol import Forced, MockConfig, State
from ._sync.transport import FakeTransport
from ._transport import API_PATH, RecordedRequest, Server

if TYPE_CHECKING:
    from .._client import AsyncOxen, Oxen

BASE_URL = "http://oxen.test" + API_PATH
API_KEY = "test-key"


class OxenMock:
    """A stateful fake of Oxen's inference API, served to the client through httpx transports
    (no socket, no port): the models this package knows, the blocking routes, the queue, the
    ``/events`` stream, result files and repository uploads. Each request body is checked against
    the model's schema; queued jobs move ``queued`` -> ``processing`` -> ``succeeded`` (or
    ``failed``) as time passes.

    Settings (also ``configure(...)`` later): `latency` (seconds a generation takes; a queued job
    spends a quarter of it queued), `fault_rate` with `seed` (that share of API requests answered
    429 or 503 before anything happens, and of event streams dropped, the same ones for the same
    seed), `stall_rate` (event streams that go silent), `keepalive` (seconds between the
    stream's keep-alive comments), `retry_after_max` (a faulted 429's ``Retry-After``).
    """

    base_url = BASE_URL

    def __init__(
        self,
        *,
        latency: float = 0.0,
        fault_rate: float = 0.0,
        seed: int | None = 0,
        stall_rate: float = 0.0,
        keepalive: float = 15.0,
        retry_after_max: int = 0,
        api_key: str = API_KEY,
    ) -> None:
        from ._catalog import package_catalog

        config = MockConfig(latency, fault_rate, stall_rate, seed, keepalive, retry_after_max)
        self.state = State(package_catalog(), config)
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        """Every request received, in arrival order (``.method``, ``.path``, ``.json``, ...)."""
        self._server = Server(self.state, self.requests)
        self._lock = threading.Lock()
        self._client: Oxen | None = None
        self._async_client: AsyncOxen | None = None
        self._http: list[httpx.Client] = []
        self._async_http: list[httpx.AsyncClient] = []

    # -- wiring ----------------------------------------------------------------------------

    def transport(self) -> httpx.BaseTransport:
        """An httpx transport to this fake, for an ``httpx.Client`` of your own."""
        return FakeTransport(self._server)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        """An httpx transport to this fake, for an ``httpx.AsyncClient`` of your own."""
        return AsyncFakeTransport(self._server)

    @property
    def client(self) -> Oxen:
        """An :class:`~oxen_inference.Oxen` wired to this fake (made on first use)."""
        with self._lock:
            if self._client is None:
                from .._client import Oxen

                http = httpx.Client(transport=self.transport())
                self._http.append(http)
                self._client = Oxen(api_key=self.api_key, base_url=BASE_URL, http_client=http)
            return self._client

    @property
    def async_client(self) -> AsyncOxen:
        """An :class:`~oxen_inference.AsyncOxen` wired to this fake (made on first use)."""
        with self._lock:
            if self._async_client is None:
                from .._client import AsyncOxen

                http = httpx.AsyncClient(transport=self.async_transport())
                self._async_http.append(http)
                self._async_client = AsyncOxen(
                    api_key=self.api_key, base_url=BASE_URL, http_client=http
                )
            return self._async_client

    # -- knobs -----------------------------------------------------------------------------

    def configure(self, **settings: Any) -> None:
        """Change settings now: ``latency``, ``fault_rate``, ``seed`` (reseeds), ``stall_rate``,
        ``keepalive``, ``retry_after_max``, ``max_body_bytes``, ``max_upload_bytes``. A bad
        name or value raises ValueError and changes nothing."""
        self.state.configure(settings)

    def fail_requests(
        self,
        status: int = 503,
        *,
        times: int = 1,
        method: str | None = None,
        path: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next `times` API requests (those with `method` and `path`, e.g. ``"POST"``
        and ``"/ai/queue"``, when given) with `status` before anything happens: a faulted enqueue
        creates no job. A 429 carries ``Retry-After: retry_after`` (default 0)."""
        if path is not None and not path.startswith("/"):
            raise ValueError(f"path is an API path such as '/ai/queue', got {path!r}")
        full = path if path is None or path.startswith(API_PATH + "/") else API_PATH + path
        upper = None if method is None else method.upper()
        self.state.fail_requests(Forced(status, times, upper, full, retry_after))

    def fail_job(self, generation_id: str, message: str) -> None:
        """Make a queued or processing job end ``failed`` with `message` when it would have ended
        (ValueError if it is unknown or has already ended: give it some `latency`)."""
        self.state.fail_job(generation_id, message)

    def fail_jobs(self, when: Callable[[dict[str, Any]], bool], message: str) -> None:
        """Generations requested from now on whose JSON body satisfies `when` (e.g.
        ``lambda body: "forbidden" in body.get("prompt", "")``) end ``failed`` with `message`;
        on a blocking route the answer is a 400 carrying it."""
        self.state.fail_jobs(when, message)

    def drop_streams(self) -> int:
        """End every open ``/events`` stream now (the client reconnects); returns how many."""
        return self.state.drop_streams()

    def stall_streams(self) -> int:
        """Make every open ``/events`` stream go silent, left open (the client's idle timeout
        must notice); returns how many."""
        return self.state.stall_streams()

    def stats(self) -> dict[str, Any]:
        """Counters: requests per route, faults, jobs by status, streams, events sent, settings."""
        return self.state.stats()

    def reset(self) -> None:
        """Forget jobs, files, requests, counters, failure rules and forced faults; restore the
        settings the fake was made with."""
        self.state.reset()
        self.requests.clear()

    # -- closing ---------------------------------------------------------------------------

    def close(self) -> None:
        """Close the clients made here, end the event streams and remove stored files."""
        if self._client is not None:
            self._client.close()
        for http in self._http:
            http.close()
        self._server.closed = True
        self.state.close()

    async def aclose(self) -> None:
        """:meth:`close`, and close the async client on the running loop first."""
        if self._async_client is not None:
            await self._async_client.close()
        for http in self._async_http:
            await http.aclose()
        self.close()

    def __enter__(self) -> OxenMock:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> OxenMock:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
