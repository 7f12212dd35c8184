"""The mock server's state: the protocol core's :class:`State` over a snapshot's catalog."""

from __future__ import annotations

from .. import snapshot as snap
from .catalog import Catalog
from .protocol import config, state


class MockState(state.State):
    """The catalog, jobs, event streams, repositories, faults and counters of one server.

    Change it only from the server's event loop (route handlers do; tests go through
    ``MockServer.call``): its streams are woken there. Reading counters from another thread is
    fine.
    """

    def __init__(self, snapshot: snap.Snapshot, cfg: config.MockConfig | None = None) -> None:
        super().__init__(Catalog.from_snapshot(snapshot), cfg)

    @classmethod
    def load(cls, src: str, cfg: config.MockConfig | None = None) -> MockState:
        """State over a snapshot folder or catalog file (raises SnapshotError)."""
        return cls(snap.load(src), cfg)
