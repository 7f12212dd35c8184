"""The clients' transports; for the blocking client, a network backend whose socket operations
end by the call's deadline.

httpx's timeouts bound each read or write, not a whole call: a server that sends one byte a second
keeps a call alive forever. The blocking client wraps httpcore's backend so that each connect,
read and write waits at most until the deadline of the call running on the current thread (set
by ``_synchronization.Deadline``), and fails with a timeout once it has passed. Connections are
used by one thread at a time, so a pooled connection obeys whichever call is using it.

That backend sits where httpcore keeps it, ``transport._pool._network_backend``, a private
attribute: :func:`install_deadlines` is the one place that reaches it, and a test fails loudly
when a new httpcore moves it (the client then still works, each phase bounded by its timeout).
This module imports httpx and httpcore: the clients load it when they make their connection pool.
"""

from __future__ import annotations

import ssl
import time
import typing
from collections.abc import Iterable
from typing import Any, Protocol

import httpcore
import httpx

from ._synchronization import DEADLINE

__all__ = ["DeadlineBackend", "async_transport", "install_deadlines", "transport"]

SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)


class _Holder(Protocol):
    at: float | None


def _clip(holder: _Holder, timeout: float | None, error: type[Exception]) -> float | None:
    at = holder.at
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise error("deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, holder: _Holder) -> None:
        self._inner = inner
        self._holder = holder

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clip(self._holder, timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clip(self._holder, timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(
            ssl_context, server_hostname, _clip(self._holder, timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(inner, self._holder)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's backend, every wait clipped to the deadline in `holder` (a thread-local)."""

    def __init__(self, inner: httpcore.NetworkBackend, holder: _Holder) -> None:
        self._inner = inner
        self._holder = holder

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host,
            port,
            _clip(self._holder, timeout, httpcore.ConnectTimeout),
            local_address,
            typing.cast(Any, socket_options),
        )
        return _DeadlineStream(stream, self._holder)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(
            path,
            _clip(self._holder, timeout, httpcore.ConnectTimeout),
            typing.cast(Any, socket_options),
        )
        return _DeadlineStream(stream, self._holder)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def install_deadlines(transport: httpx.HTTPTransport, holder: _Holder = DEADLINE) -> bool:
    """Put a :class:`DeadlineBackend` (reading its deadline from `holder`) under `transport`'s
    connection pool; False when httpcore keeps its backend elsewhere (nothing is changed)."""
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if not isinstance(backend, httpcore.NetworkBackend):
        return False
    pool._network_backend = DeadlineBackend(backend, holder)  # type: ignore[union-attr]
    return True


def transport(limits: httpx.Limits) -> httpx.HTTPTransport:
    """The blocking client's transport: httpx's, over a backend that honours the thread's
    deadline (see :func:`install_deadlines`)."""
    made = httpx.HTTPTransport(limits=limits)
    install_deadlines(made)
    return made


def async_transport(limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """The asyncio client's transport: httpx's own (its deadlines are ``asyncio.timeout``)."""
    return httpx.AsyncHTTPTransport(limits=limits)
