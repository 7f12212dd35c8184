"""A network backend for the blocking client whose socket operations end by the call's deadline.

httpx's timeouts bound each read or write, not a whole call: a server that sends one byte a second
keeps a call alive forever. The blocking client wraps httpcore's backend so that each connect,
read and write waits at most until the deadline of the call running on the current thread (set
by ``_base_client.deadline_scope``), and fails with a timeout once it has passed. Connections are
used by one thread at a time, so a pooled connection obeys whichever call is using it.
"""

from __future__ import annotations

import ssl
import time
import typing
from collections.abc import Iterable
from typing import Any, Protocol

import httpcore

__all__ = ["DeadlineBackend"]

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
