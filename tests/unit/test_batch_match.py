"""Settling enqueues in doubt: which queue rows are their jobs (pure matching, a table)."""

from __future__ import annotations

from typing import Any

import pytest
from oxen_inference._batch_match import SLACK, Pool, digest, digests, enqueued_at, match

M = "flux-2-pro"
SCHEMA = frozenset({"prompt", "seed", "aspect_ratio", "input_image"})
T0 = 1_800_000_000.0


def row(gid: str, at: float = T0 + 1, model: str = M, **params: Any) -> dict[str, Any]:
    """A queue row as the API lists it: bookkeeping, then the request's parameters."""
    return {
        "generation_id": gid,
        "model_name": model,
        "status": "queued",
        "prompt": params.get("prompt"),
        "enqueued_at": at,
        "result_url": None,
        **params,
    }


def pool(n: int, since: float = T0, model: str = M, **params: Any) -> Pool:
    return Pool(model, digests(params), since, seqs=list(range(n)))


def taken(pools: list[Pool]) -> list[list[str]]:
    return [[r["generation_id"] for r in p.rows] for p in pools]


def run(
    pools: list[Pool], rows: list[dict[str, Any]], known: set[str] | None = None
) -> list[list[str]]:
    match(pools, rows, known or set(), {M: SCHEMA})
    return taken(pools)


def test_each_in_doubt_input_takes_one_matching_row() -> None:
    pools = [pool(1, prompt="a"), pool(1, prompt="b")]
    assert run(pools, [row("2", prompt="b"), row("1", prompt="a")]) == [["1"], ["2"]]


def test_identical_inputs_are_counted_never_more_rows_than_inputs() -> None:
    rows = [row(str(i), at=T0 + i, prompt="same") for i in range(5)]
    assert run([pool(3, prompt="same")], rows) == [["0", "1", "2"]]


def test_fewer_rows_than_inputs_leaves_the_rest_unsent() -> None:
    p = pool(3, prompt="same")
    assert run([p], [row("x", prompt="same")]) == [["x"]]
    assert p.seqs[len(p.rows) :] == [1, 2]


def test_rows_the_journal_knows_are_never_taken() -> None:
    assert run(
        [pool(1, prompt="a")], [row("old", prompt="a"), row("new", at=T0 + 2, prompt="a")], {"old"}
    ) == [["new"]]


def test_rows_from_well_before_the_attempt_are_not_taken() -> None:
    rows = [
        row("ancient", at=T0 - SLACK - 1, prompt="a"),
        row("skewed", at=T0 - SLACK + 1, prompt="a"),
    ]
    assert run([pool(2, prompt="a")], rows) == [["skewed"]]


def test_a_row_without_enqueued_at_may_be_taken() -> None:
    assert run([pool(1, prompt="a")], [row("x", at=None, prompt="a")]) == [["x"]]  # type: ignore[arg-type]


def test_other_models_and_other_values_do_not_match() -> None:
    rows = [
        row("m", model="other", prompt="a"),
        row("v", prompt="a", seed=2),
        row("missing", prompt=None),
    ]
    assert run([pool(1, prompt="a", seed=1)], rows) == [[]]


def test_the_most_specific_request_gets_its_own_row_first() -> None:
    # {prompt} and {prompt, seed} are both in doubt: the row carrying a seed belongs to the second.
    short, longer = pool(1, prompt="a"), pool(1, prompt="a", seed=7)
    rows = [row("with-seed", at=T0 + 1, prompt="a", seed=7), row("plain", at=T0 + 2, prompt="a")]
    assert run([short, longer], rows) == [["plain"], ["with-seed"]]
    # in the other order of pools too
    short, longer = pool(1, prompt="a"), pool(1, prompt="a", seed=7)
    assert run([longer, short], rows) == [["with-seed"], ["plain"]]


def test_an_exact_row_wins_over_a_superset_match() -> None:
    # the server added a default it was not sent: the row still matches, but an exact one wins
    a = pool(1, prompt="a")
    rows = [
        row("with-default", at=T0 + 1, prompt="a", aspect_ratio="16:9"),
        row("exact", at=T0 + 2, prompt="a"),
    ]
    assert run([a], rows) == [["exact"]]
    b, c = pool(1, prompt="a"), pool(1, prompt="a", aspect_ratio="16:9")
    assert run([b, c], rows) == [["exact"], ["with-default"]]


def test_values_compare_as_json_whole_floats_as_integers() -> None:
    assert digest(5) == digest(5.0)
    assert digest({"b": 1, "a": [1.0, "x"]}) == digest({"a": [1, "x"], "b": 1})
    assert digest("5") != digest(5)
    assert digest(True) != digest(1)
    assert run([pool(1, prompt="a", seed=3)], [row("x", prompt="a", seed=3.0)]) == [["x"]]


def test_controls_are_not_compared() -> None:
    sent = {"model": M, "num_generations": 2, "target_namespace": "team", "prompt": "a"}
    assert set(digests(sent)) == {"prompt"}


def test_rows_without_an_id_are_ignored() -> None:
    rows: list[dict[str, Any]] = [
        {"prompt": "a", "model_name": M},
        {"generation_id": 5, "prompt": "a"},
    ]
    assert run([pool(1, prompt="a")], rows) == [[]]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1700000000, 1700000000.0),
        (1700000000.5, 1700000000.5),
        ("2023-11-14T22:13:20Z", 1700000000.0),
        ("2023-11-14T22:13:20+00:00", 1700000000.0),
        ("yesterday", None),
        (None, None),
        (True, None),
    ],
)
def test_enqueued_at_reads_numbers_and_iso_text(raw: Any, expected: float | None) -> None:
    assert enqueued_at({"enqueued_at": raw}) == expected
