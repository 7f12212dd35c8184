"""The batch journal: created once per folder, refused for other inputs, locked, readable while
a run writes it, and every step a transaction of its own."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from oxen_inference._batch_inputs import BatchInput, read_inputs
from oxen_inference._journal import JOURNAL_NAME, BatchJournalError, Journal

I2V = "luma-ray-v3-2-image-to-video"


def _inputs(tmp_path: Path, *prompts: str, name: str = "in.jsonl") -> list[BatchInput]:
    path = tmp_path / name
    rows = [
        {"model": I2V, "prompt": p, "input_image": "https://example.com/a.png"} for p in prompts
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return read_inputs(path)


def _states(journal: Journal) -> list[tuple[str, str, Any]]:
    return [(r.id, r.state, r.generation_id) for r in journal.rows()]


def test_a_new_folder_gets_every_input_pending(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "out", _inputs(tmp_path, "a", "b"))
    try:
        assert _states(journal) == [("1", "pending", None), ("2", "pending", None)]
        assert journal.counts()["pending"] == 2
        assert journal.in_doubt() == []
    finally:
        journal.close()


def test_the_same_inputs_reopen_and_other_inputs_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    Journal.open(out, _inputs(tmp_path, "a", "b", "c")).close()
    Journal.open(out, _inputs(tmp_path, "a", "b", "c", name="moved.jsonl")).close()  # same content
    cases = [
        (("a", "X", "c"), "input '2' (line 2, line 2 then) has changed"),
        (("a", "b"), "2 inputs now, 3 in the journal"),
        (("a", "b", "c", "d"), "4 inputs now, 3 in the journal"),
    ]
    for prompts, words in cases:
        with pytest.raises(BatchJournalError) as caught:
            Journal.open(out, _inputs(tmp_path, *prompts))
        assert words in str(caught.value)
        assert "holds the journal of other inputs" in str(caught.value)
        assert "give another --out" in str(caught.value)


def test_a_folder_in_use_is_refused(tmp_path: Path) -> None:
    items = _inputs(tmp_path, "a")
    first = Journal.open(tmp_path / "out", items)
    try:
        with pytest.raises(BatchJournalError, match=r"in use by another batch run \(pid \d+\)"):
            Journal.open(tmp_path / "out", items)
    finally:
        first.close()
    Journal.open(tmp_path / "out", items).close()  # free again once closed


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda out: out.write_text("a file"), "is not a folder"),
        (
            lambda out: (out.mkdir(), (out / JOURNAL_NAME).write_bytes(b"not sqlite" * 100)),
            "cannot be read",
        ),
    ],
    ids=["a file", "a garbled journal"],
)
def test_unusable_folders(tmp_path: Path, make: Any, words: str) -> None:
    out = tmp_path / "out"
    make(out)
    with pytest.raises(BatchJournalError, match=words):
        Journal.open(out, _inputs(tmp_path, "a"))


def test_a_journal_of_another_format_is_refused(tmp_path: Path) -> None:
    items = _inputs(tmp_path, "a")
    Journal.open(tmp_path / "out", items).close()
    with sqlite3.connect(tmp_path / "out" / JOURNAL_NAME) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'format'")
    with pytest.raises(BatchJournalError, match="another version of this client"):
        Journal.open(tmp_path / "out", items)


def test_an_enqueue_is_in_doubt_until_its_answer_is_recorded(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "out", _inputs(tmp_path, "a", "a", "b"))
    try:
        first = journal.intend(I2V, {"prompt": "d1"}, [0, 1])
        second = journal.intend(I2V, {"prompt": "d2"}, [2])
        doubt = journal.in_doubt()
        assert [(a.attempt, a.seqs, a.digests) for a in doubt] == [
            (first, (0, 1), {"prompt": "d1"}),
            (second, (2,), {"prompt": "d2"}),
        ]
        journal.answered(first, [(0, "g0")], unsent=[1])
        assert [a.attempt for a in journal.in_doubt()] == [second]
        assert _states(journal) == [
            ("1", "waiting", "g0"),
            ("2", "pending", None),
            ("3", "sending", None),
        ]
        journal.doubt(second)
        assert [a.attempt for a in journal.in_doubt()] == [second]  # still to settle
        journal.settled([second], [(2, "g2", "succeeded", "https://r/2.png", None)], [])
        assert journal.in_doubt() == []
        journal.ended(0, "failed", None, "boom")
        assert _states(journal) == [
            ("1", "failed", "g0"),
            ("2", "pending", None),
            ("3", "succeeded", "g2"),
        ]
        assert journal.known_ids() == {"g0", "g2"}
    finally:
        journal.close()


def test_refusals_send_inputs_back_or_fail_them(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "out", _inputs(tmp_path, "a", "b"))
    try:
        journal.refused(journal.intend(I2V, {}, [0]), [0], None)
        journal.refused(journal.intend(I2V, {}, [1]), [1], "refused by the server: no")
        rows = journal.rows()
        assert [(r.state, r.error) for r in rows] == [
            ("pending", None),
            ("failed", "refused by the server: no"),
        ]
        assert journal.in_doubt() == []
    finally:
        journal.close()


def test_a_reader_sees_what_a_running_writer_committed(tmp_path: Path) -> None:
    writer = Journal.open(tmp_path / "out", _inputs(tmp_path, "a", "b"))
    try:
        writer.answered(writer.intend(I2V, {}, [0]), [(0, "g0")])
        reader = Journal.read(tmp_path / "out")
        try:
            assert [(r.id, r.state) for r in reader.rows()] == [("1", "waiting"), ("2", "pending")]
            writer.ended(0, "succeeded", "https://r/0.png", None)
            assert reader.rows()[0].state == "succeeded"
            with pytest.raises(sqlite3.OperationalError):
                reader.ended(1, "failed", None, "a reader cannot write")
        finally:
            reader.close()
    finally:
        writer.close()


def test_reading_a_folder_without_a_journal(tmp_path: Path) -> None:
    with pytest.raises(BatchJournalError, match="holds no batch journal"):
        Journal.read(tmp_path)


def test_each_input_keeps_when_it_was_sent_and_when_it_ended(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "out", _inputs(tmp_path, "a", "b", "c", "d"))
    try:
        before = time.time()
        first = journal.intend(I2V, {}, [0, 1])
        journal.answered(first, [(0, "g0"), (1, "g1")])
        journal.ended(0, "succeeded", "https://r/0.png", None)
        journal.ended(1, "processing", None, None)  # not an end
        journal.refused(journal.intend(I2V, {}, [2]), [2], "refused by the server: no")
        settle = journal.intend(I2V, {}, [3])
        journal.settled([settle], [(3, "g3", "failed", None, "boom")], [])
        after = time.time()
        rows = journal.rows()
        sent = {r.seq: r.sent_at for r in rows}
        ended = {r.seq: r.ended_at for r in rows}
        assert sent[0] == sent[1] and sent[2] is None  # a refused enqueue is forgotten
        assert all(before <= sent[s] <= after for s in (0, 3))  # type: ignore[operator]
        assert ended[1] is None
        assert all(before <= ended[s] <= after for s in (0, 2, 3))  # type: ignore[operator]
    finally:
        journal.close()


def test_a_journal_written_before_inputs_had_an_end_time_is_read_and_resumed(
    tmp_path: Path,
) -> None:
    items = _inputs(tmp_path, "a", "b")
    journal = Journal.open(tmp_path / "out", items)
    journal.ended(0, "failed", None, "boom")
    journal.close()
    db = sqlite3.connect(tmp_path / "out" / JOURNAL_NAME)
    db.execute("ALTER TABLE inputs DROP COLUMN ended_at")
    db.commit()
    db.close()
    reader = Journal.read(tmp_path / "out")
    try:
        assert [(r.state, r.ended_at) for r in reader.rows()] == [
            ("failed", None),
            ("pending", None),
        ]
    finally:
        reader.close()
    journal = Journal.open(tmp_path / "out", items)  # a writer adds the column
    try:
        journal.ended(1, "succeeded", "https://r/1.png", None)
        assert [r.ended_at is None for r in journal.rows()] == [True, False]
    finally:
        journal.close()


def test_retrying_failed_inputs_keeps_their_old_ids_known(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "out", _inputs(tmp_path, "a", "b", "c"))
    try:
        attempt = journal.intend("flux-2-pro", {}, [0, 1, 2])
        journal.answered(attempt, [(0, "g1"), (1, "g2"), (2, "g3")])
        journal.ended(0, "succeeded", "https://e/1.png", None)
        journal.ended(1, "failed", None, "busy")
        journal.ended(2, "cancelled", None, None)
        assert journal.retry_failed() == 1
        assert [(r.seq, r.state, r.generation_id, r.error) for r in journal.rows()] == [
            (0, "succeeded", "g1", None),
            (1, "pending", None, None),
            (2, "cancelled", "g3", None),
        ]
        assert journal.known_ids() == {"g1", "g2", "g3"}  # g2 is never taken for a new job
        assert journal.retry_failed() == 0
        again = journal.intend("flux-2-pro", {}, [1])
        journal.answered(again, [(1, "g4")])
        journal.ended(1, "failed", None, "busy again")
        assert journal.retry_failed() == 1
        assert journal.known_ids() == {"g1", "g2", "g3", "g4"}
    finally:
        journal.close()
