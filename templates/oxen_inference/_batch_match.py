"""Settling enqueues in doubt: which queue rows are the jobs they created (pure, no I/O).

An enqueue in doubt left with a model, a digest of each parameter it carried and a count. The
queue's rows carry the parameters of the request that made them and when it was enqueued. A row
*matches* a request when its model is the request's and each parameter sent has the same digest
in the row; it is *exact* when, besides, the row holds no other parameter of the model's schema.
Requests with the same digests are one *pool* (identical inputs are interchangeable): a pool
takes at most as many rows as it has inputs in doubt.

Rows are taken in the order they were enqueued, exact matches first; each goes to the pool that
sent the most parameters among those it matches, so a request that sent ``{prompt}`` does not
take the row of one that sent ``{prompt, seed}`` while that one is still missing a row. Rows of
jobs the journal already knows, and rows enqueued well before the first attempt of the pool left
(``SLACK`` seconds, for the two clocks' difference), are never taken.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ._batch_inputs import canonical

__all__ = ["CONTROL_KEYS", "SLACK", "Pool", "digest", "digests", "enqueued_at", "match"]

SLACK = 600.0  # seconds a row may seem to predate its request (clocks differ)
CONTROL_KEYS = frozenset({"model", "num_generations", "target_namespace", "response_format"})


def digest(value: Any) -> str:
    """A short digest of a JSON value (whole floats read as integers)."""
    return hashlib.sha256(canonical(value).encode("utf-8", "surrogatepass")).hexdigest()[:20]


def digests(body: Mapping[str, Any]) -> dict[str, str]:
    """The digest of each model parameter of an enqueue's body (controls left out)."""
    return {k: digest(v) for k, v in body.items() if k not in CONTROL_KEYS}


def enqueued_at(row: Mapping[str, Any]) -> float | None:
    """A row's ``enqueued_at`` as unix seconds (a number or an ISO 8601 text), None if unknown."""
    raw = row.get("enqueued_at")
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return float(raw)
    if isinstance(raw, str):
        try:
            return datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


@dataclass
class Pool:
    """Inputs in doubt that sent the same request: `seqs` in order, `since` the first sending."""

    model: str
    digests: dict[str, str]
    since: float
    seqs: list[int] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)

    def matches(self, row: Mapping[str, Any]) -> bool:
        if row.get("model_name", self.model) != self.model:
            return False
        return all(k in row and digest(row[k]) == d for k, d in self.digests.items())

    @property
    def full(self) -> bool:
        return len(self.rows) >= len(self.seqs)


def _exact(pool: Pool, row: Mapping[str, Any], schema: frozenset[str]) -> bool:
    """The row holds no parameter of the model's schema that the request did not send."""
    return all(k in pool.digests for k in schema if row.get(k) is not None)


def match(
    pools: Sequence[Pool],
    rows: Iterable[Mapping[str, Any]],
    known: set[str],
    schema_of: Mapping[str, frozenset[str]],
) -> None:
    """Give each pool the rows that are its jobs (into ``pool.rows``), at most one per input.

    `known`: generation ids the journal already holds. `schema_of`: each model's parameter
    names (empty for a model without a schema). Exact matches are taken first, then rows that
    hold more than was sent (a server that records its defaults), most specific pool first."""
    ordered = sorted(
        (r for r in rows if isinstance(r.get("generation_id"), str)),
        key=lambda r: (enqueued_at(r) or 0.0, str(r["generation_id"])),
    )
    taken = set(known)
    for exact_only in (True, False):
        for row in ordered:
            gid = row["generation_id"]
            if gid in taken:
                continue
            at = enqueued_at(row)
            candidates = [
                p
                for p in pools
                if not p.full and (at is None or at >= p.since - SLACK) and p.matches(row)
            ]
            if exact_only:
                candidates = [
                    p for p in candidates if _exact(p, row, schema_of.get(p.model, frozenset()))
                ]
            if not candidates:
                continue
            best = max(candidates, key=lambda p: len(p.digests))
            best.rows.append(dict(row))
            taken.add(gid)
