"""Fork safety: a process forked after a client was used (gunicorn and uWSGI workers,
``multiprocessing`` with fork, Celery prefork) starts with a client of its own.

A forked child inherits the parent's memory as it was at that instant: kept-alive sockets that
the parent goes on using (answers would cross processes), locks that a parent thread held at
that moment (held forever in the child: the next request would hang), the event hub's state
without its threads. Every client registers here when it is made; in the child, before anything
else runs, ``os.register_at_fork`` calls each one's ``_after_fork()``, which drops (never closes:
closing would touch the parent's connections) what it inherited and starts afresh on first use:
connection pool, concurrency limiter, event hub, upload bookkeeping. The module's own locks are
made anew too. A connection pool you passed (``http_client=...``) is yours: it cannot be
replaced, so make the client in the child instead.

Only ``os.fork()`` (and what uses it) needs this: ``subprocess`` execs a new program, and the
``spawn``/``forkserver`` start methods of ``multiprocessing`` start a new interpreter.
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import Protocol

__all__ = ["track"]


class _Forkable(Protocol):
    def _after_fork(self) -> None: ...


_CLIENTS: weakref.WeakSet[_Forkable] = weakref.WeakSet()
_GUARD = threading.Lock()
_registered = False


def track(client: _Forkable) -> None:
    """Remember `client`, so that a forked child resets it (the first call installs the hook)."""
    global _registered
    with _GUARD:
        _CLIENTS.add(client)
        if not _registered:
            os.register_at_fork(after_in_child=_in_child)
            _registered = True


def _in_child() -> None:
    global _GUARD
    _GUARD = threading.Lock()  # a parent thread may have held it at the fork
    for client in list(_CLIENTS):
        client._after_fork()
