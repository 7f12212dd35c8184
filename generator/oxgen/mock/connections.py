"""The mock server's connections: a deadline on request headers, and an accept loop that meets
the process's file limit quietly.

- :class:`HeaderDeadlineProtocol` is uvicorn's h11 protocol with one rule added: a request's
  headers must be complete within ``header_timeout`` seconds of the connection opening or of the
  request's first byte (bytes trickled one at a time do not extend it), else the connection gets
  ``408 Request Timeout`` and is closed. An idle keep-alive connection between requests is left
  to uvicorn's keep-alive timeout, as before.
- :class:`Acceptor` accepts connections one at a time (``loop.sock_accept``) and hands each to a
  protocol (``loop.connect_accepted_socket``). At the file limit (EMFILE, ENFILE, ENOBUFS,
  ENOMEM) it logs one line (at most once a minute) and waits, leaving new connections in the
  listen backlog, until one of its connections closes or a short retry delay passes; it then
  serves them. asyncio's own accept loop logs a traceback for each of up to `backlog` failed
  accepts and schedules as many retries, every time the socket is readable: megabytes of log per
  second and an event loop too busy to answer anyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import time
from collections.abc import Callable
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT = 10.0
"""Seconds a request's headers may take to arrive in full (on loopback they take microseconds)."""

_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain\r\ncontent-length: 37\r\n"
    b"connection: close\r\n\r\nrequest headers did not arrive in time"
)
_OUT_OF_RESOURCES = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
RETRY_MIN = 0.01
RETRY_MAX = 0.5
WARN_EVERY = 60.0

logger = logging.getLogger("uvicorn.error")


class HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing connections whose request headers do not arrive in time.

    `on_lost` is called when the connection closes (the acceptor's cue that a descriptor is free).
    """

    def __init__(
        self,
        *args: Any,
        header_timeout: float = HEADER_TIMEOUT,
        on_lost: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout
        self.on_lost = on_lost
        self.header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            if self.header_deadline is None:  # the first bytes of a request
                self._arm()
        else:  # headers complete (or the connection is done with)
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)
        if self.on_lost is not None:
            self.on_lost()

    def _arm(self) -> None:
        self.header_deadline = self.loop.call_later(self.header_timeout, self._expired)

    def _disarm(self) -> None:
        if self.header_deadline is not None:
            self.header_deadline.cancel()
            self.header_deadline = None

    def _expired(self) -> None:
        self.header_deadline = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        self.transport.write(_TIMEOUT_RESPONSE)
        self.transport.close()


class Acceptor:
    """Accepts connections on a listening socket for the protocols `factory` makes (it is given
    the callback a protocol calls when its connection closes); shaped like the ``asyncio.Server``
    that uvicorn closes on shutdown (:meth:`close`, :meth:`wait_closed`)."""

    def __init__(
        self, sock: socket.socket, factory: Callable[[Callable[[], None]], asyncio.Protocol]
    ) -> None:
        self.sock = sock
        self.factory = factory
        self.starved = 0  # accepts refused for want of a descriptor, in all
        self._freed = asyncio.Event()
        self._warned_at: float | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.sock.setblocking(False)
        self._task = asyncio.get_running_loop().create_task(self._serve(), name="oxgen-accept")

    def freed(self) -> None:
        """A connection closed: a descriptor may be free again."""
        self._freed.set()

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def wait_closed(self) -> None:
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        delay = RETRY_MIN
        while True:
            self._freed.clear()
            try:
                conn, _ = await loop.sock_accept(self.sock)
            except OSError as exc:
                if self.sock.fileno() < 0:
                    return  # closed under us
                if exc.errno not in _OUT_OF_RESOURCES:
                    await asyncio.sleep(0)  # a connection that failed before it was accepted
                    continue
                self._starving(exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._freed.wait(), delay)
                delay = min(delay * 2, RETRY_MAX)
                continue
            delay = RETRY_MIN
            try:
                await loop.connect_accepted_socket(lambda: self.factory(self.freed), conn)
            except OSError:
                conn.close()

    def _starving(self, exc: OSError) -> None:
        self.starved += 1
        now = time.monotonic()
        if self._warned_at is None or now - self._warned_at >= WARN_EVERY:
            self._warned_at = now
            logger.warning(
                "oxgen mock-server: out of file descriptors (%s); new connections wait in the "
                "listen backlog until one is free (said at most once a minute)",
                exc.strerror or exc,
            )
