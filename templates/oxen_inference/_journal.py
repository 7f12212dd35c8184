"""The journal of a batch run: a SQLite database (WAL) in the output folder.

It records, for every input, where it stands (``pending``, ``sending``, ``waiting``, then
``succeeded``, ``failed`` or ``cancelled``), its generation id, result URL, error and downloaded
file; and, for every enqueue, an *attempt* written and committed **before** the request leaves:
its model, the digest of each parameter sent, how many generations and when. An attempt whose
answer was never recorded (the process died, or the answer was lost) is *in doubt*: the jobs may
exist. The batch engine settles it by listing the queue, never by sending it again blindly.

Every write is its own transaction. With ``synchronous=NORMAL`` in WAL mode a committed write
survives the process being killed at any moment; a power loss may undo the last commits (the
database stays consistent). Readers (``batch report``) may open the journal while a run writes.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ._batch_inputs import BatchInput, canonical, output_stems
from ._exceptions import OxenError

__all__ = ["JOURNAL_NAME", "Attempt", "BatchJournalError", "Journal", "Row"]

JOURNAL_NAME = "journal.sqlite"
LOCK_NAME = "journal.lock"
RETIRED = "retired_generation_ids"  # meta key: the ids of failed jobs since retried
FORMAT = "1"
ENDED = ("succeeded", "failed", "cancelled")
STATES = ("pending", "sending", "waiting", *ENDED)

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE inputs (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    line INTEGER NOT NULL,
    model TEXT NOT NULL,
    namespace TEXT,
    params TEXT NOT NULL,
    key TEXT NOT NULL,
    stem TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempt INTEGER,
    generation_id TEXT UNIQUE,
    result_url TEXT,
    error TEXT,
    file TEXT,
    updated REAL,
    ended_at REAL
);
CREATE INDEX inputs_state ON inputs(state);
CREATE TABLE attempts (
    attempt INTEGER PRIMARY KEY,
    model TEXT NOT NULL,
    digests TEXT NOT NULL,
    count INTEGER NOT NULL,
    sent_at REAL NOT NULL,
    state TEXT NOT NULL
);
"""


class BatchJournalError(OxenError):
    """The output folder cannot hold this run: another run uses it, it holds the journal of
    other inputs, or its journal is not one this client can read."""


@dataclass(frozen=True, slots=True)
class Row(BatchInput):
    """An input as the journal knows it: the checked input, its place (`seq`, from 0), its
    output file's stem, and how far it has got."""

    seq: int
    stem: str
    state: str
    generation_id: str | None
    result_url: str | None
    error: str | None
    file: str | None
    sent_at: float | None = None  # when its last enqueue left
    ended_at: float | None = None  # when it was seen to end


@dataclass(frozen=True, slots=True)
class Attempt:
    """An enqueue in doubt: its inputs (`seqs`), model, parameter digests and when it left."""

    attempt: int
    model: str
    digests: dict[str, str]
    seqs: tuple[int, ...]
    sent_at: float


_COLUMNS = (
    "seq, id, line, model, params, namespace, key, stem, state, generation_id, result_url, "
    "error, file, (SELECT sent_at FROM attempts WHERE attempts.attempt = inputs.attempt)"
)


# The fields of a Row in the order _COLUMNS (and the journal's ended_at) select them.
_ROW_FIELDS = (  # noqa: SIM905 (one line of names reads better than fifteen)
    "seq id line model params namespace key stem state generation_id result_url error file "
    "sent_at ended_at"
).split()


def _row(raw: tuple[Any, ...]) -> Row:
    values = dict(zip(_ROW_FIELDS, raw, strict=True))
    values["params"] = json.loads(values["params"])
    return Row(**values)


def inputs_digest(inputs: Sequence[BatchInput]) -> str:
    import hashlib

    digest = hashlib.sha256()
    for item in inputs:
        digest.update(canonical([item.id, item.key]).encode())
        digest.update(b"\n")
    return digest.hexdigest()


class _Lock:
    """An exclusive lock on a file in the folder, released when the process ends however."""

    def __init__(self, path: Path) -> None:
        self.file: IO[str] = path.open("a+", encoding="utf-8")
        try:
            self._take()
        except OSError:
            self.file.seek(0)
            holder = self.file.read().strip() or "another process"
            self.file.close()
            raise BatchJournalError(
                f"{path.parent} is in use by another batch run ({holder}); wait for it to end "
                "or give another --out"
            ) from None
        self.file.seek(0)
        self.file.truncate()
        self.file.write(f"pid {os.getpid()}\n")
        self.file.flush()

    def _take(self) -> None:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(self.file.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(self.file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def release(self) -> None:
        self.file.close()


class Journal:
    """The journal of one output folder. ``Journal.open(folder, inputs)`` creates it or checks
    that it belongs to these inputs; ``Journal.read(folder)`` opens it read-only."""

    def __init__(self, db: sqlite3.Connection, folder: Path, lock: _Lock | None) -> None:
        self.db = db
        self.folder = folder
        self._lock = lock
        self._ended_at = "ended_at"  # NULL in a journal written before inputs had the column

    @classmethod
    def open(cls, folder: str | os.PathLike[str], inputs: Sequence[BatchInput]) -> Journal:
        root = Path(folder)
        if root.exists() and not root.is_dir():
            raise BatchJournalError(f"{root} is not a folder")
        root.mkdir(parents=True, exist_ok=True)
        lock = _Lock(root / LOCK_NAME)
        try:
            db = _connect(root / JOURNAL_NAME)
            journal = cls(db, root, lock)
            if journal._meta("format") is None:
                journal._create(inputs)
            else:
                journal.check_inputs(inputs)
                journal._add_ended_at()
            return journal
        except sqlite3.DatabaseError as exc:
            lock.release()
            raise BatchJournalError(f"{root / JOURNAL_NAME} cannot be read: {exc}") from None
        except BaseException:
            lock.release()
            raise

    @classmethod
    def read(cls, folder: str | os.PathLike[str]) -> Journal:
        """The journal of `folder`, read-only (while a run writes it, or after)."""
        path = Path(folder) / JOURNAL_NAME
        if not path.is_file():
            raise BatchJournalError(f"{folder} holds no batch journal ({JOURNAL_NAME})")
        try:
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise BatchJournalError(f"{path} cannot be read: {exc}") from None
        journal = cls(db, Path(folder), None)
        if not journal._has_ended_at():
            journal._ended_at = "NULL"
        return journal

    def _has_ended_at(self) -> bool:
        return any(c[1] == "ended_at" for c in self.db.execute("PRAGMA table_info(inputs)"))

    def _add_ended_at(self) -> None:
        if not self._has_ended_at():
            with self._write() as db:
                db.execute("ALTER TABLE inputs ADD COLUMN ended_at REAL")

    def close(self) -> None:
        self.db.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction, committed on leaving (rolled back on an error)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _meta(self, key: str) -> str | None:
        tables = self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone()
        if tables is None:
            return None
        found = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if found is None else str(found[0])

    def meta(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, value FROM meta").fetchall())

    def _create(self, inputs: Sequence[BatchInput]) -> None:
        stems = output_stems(item.id for item in inputs)
        with self._write() as db:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [
                    ("format", FORMAT),
                    ("inputs_sha256", inputs_digest(inputs)),
                    ("created_at", repr(time.time())),
                ],
            )
            db.executemany(
                "INSERT INTO inputs (seq, id, line, model, namespace, params, key, stem) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        seq,
                        i.id,
                        i.line,
                        i.model,
                        i.namespace,
                        canonical(i.params),
                        i.key,
                        stems[i.id],
                    )
                    for seq, i in enumerate(inputs)
                ],
            )

    def check_inputs(self, inputs: Sequence[BatchInput]) -> None:
        """BatchJournalError unless this journal is of `inputs` (and of a format we read)."""
        if self._meta("format") != FORMAT:
            raise BatchJournalError(
                f"{self.folder / JOURNAL_NAME} was written by another version of this client "
                f"(format {self._meta('format')}); give another --out"
            )
        if self._meta("inputs_sha256") == inputs_digest(inputs):
            return
        known = self.db.execute("SELECT id, key, line FROM inputs ORDER BY seq").fetchall()
        where = f"{len(inputs)} inputs now, {len(known)} in the journal"
        for item, (id_, key, line) in zip(inputs, known, strict=False):
            if item.id != id_:
                where = f"line {item.line} has id {item.id!r} where the journal has {id_!r}"
                break
            if item.key != key:
                where = f"input {item.id!r} (line {item.line}, line {line} then) has changed"
                break
        raise BatchJournalError(
            f"{self.folder} holds the journal of other inputs ({where}); resume with the "
            "inputs it was started with, or give another --out for these"
        )

    # -- reading ----------------------------------------------------------------------------

    def rows(self, where: str = "", args: Iterable[Any] = ()) -> list[Row]:
        sql = f"SELECT {_COLUMNS}, {self._ended_at} FROM inputs {where} ORDER BY seq"
        return [_row(r) for r in self.db.execute(sql, tuple(args))]

    def counts(self) -> dict[str, int]:
        found = dict(self.db.execute("SELECT state, COUNT(*) FROM inputs GROUP BY state"))
        return {state: int(found.get(state, 0)) for state in STATES}

    def in_doubt(self) -> list[Attempt]:
        """Enqueues whose answers were never recorded, with the inputs they carried."""
        attempts = self.db.execute(
            "SELECT attempt, model, digests, sent_at FROM attempts "
            "WHERE state IN ('sending', 'doubt') ORDER BY attempt"
        ).fetchall()
        out = []
        for attempt, model, digests, sent_at in attempts:
            seqs = tuple(
                s
                for (s,) in self.db.execute(
                    "SELECT seq FROM inputs WHERE attempt = ? AND state = 'sending' ORDER BY seq",
                    (attempt,),
                )
            )
            out.append(Attempt(attempt, model, json.loads(digests), seqs, sent_at))
        return out

    def known_ids(self) -> set[str]:
        """Every generation id this run has had: its inputs' and those retried since."""
        rows = self.db.execute("SELECT generation_id FROM inputs WHERE generation_id IS NOT NULL")
        return {gid for (gid,) in rows} | set(json.loads(self._meta(RETIRED) or "[]"))

    # -- writing ----------------------------------------------------------------------------

    def intend(self, model: str, digests: dict[str, str], seqs: Sequence[int]) -> int:
        """Record an enqueue about to be sent for the inputs `seqs`; returns its attempt id."""
        now = time.time()
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO attempts (model, digests, count, sent_at, state) "
                "VALUES (?, ?, ?, ?, 'sending')",
                (model, canonical(digests), len(seqs), now),
            )
            attempt = int(cursor.lastrowid or 0)
            db.executemany(
                "UPDATE inputs SET state = 'sending', attempt = ?, updated = ? WHERE seq = ?",
                [(attempt, now, seq) for seq in seqs],
            )
        return attempt

    def answered(
        self, attempt: int, jobs: Sequence[tuple[int, str]], unsent: Sequence[int] = ()
    ) -> None:
        """The enqueue's answer: a generation id for each input; `unsent`, inputs it made no
        job for (an answer with fewer jobs than asked), go back to pending."""
        now = time.time()
        with self._write() as db:
            db.execute("UPDATE attempts SET state = 'answered' WHERE attempt = ?", (attempt,))
            db.executemany(
                "UPDATE inputs SET state = 'waiting', generation_id = ?, updated = ? WHERE seq = ?",
                [(gid, now, seq) for seq, gid in jobs],
            )
            db.executemany(
                "UPDATE inputs SET state = 'pending', attempt = NULL, updated = ? WHERE seq = ?",
                [(now, seq) for seq in unsent],
            )

    def refused(self, attempt: int, seqs: Sequence[int], error: str | None) -> None:
        """The server surely created nothing: the inputs go back to pending (`error` None) or
        end failed with `error`."""
        now = time.time()
        with self._write() as db:
            db.execute("UPDATE attempts SET state = 'refused' WHERE attempt = ?", (attempt,))
            db.executemany(
                "UPDATE inputs SET state = ?, error = ?, attempt = NULL, updated = ?, ended_at = ? "
                "WHERE seq = ?",
                [
                    ("pending", None, now, None, seq)
                    if error is None
                    else ("failed", error, now, now, seq)
                    for seq in seqs
                ],
            )

    def doubt(self, attempt: int) -> None:
        """The enqueue may have created its jobs, but no answer says which: settle by listing."""
        with self._write() as db:
            db.execute("UPDATE attempts SET state = 'doubt' WHERE attempt = ?", (attempt,))

    def settled(
        self,
        attempts: Sequence[int],
        found: Sequence[tuple[int, str, str, str | None, str | None]],
        unsent: Sequence[int],
    ) -> None:
        """In-doubt attempts settled: `found` inputs (seq, id, status, url, error) have jobs,
        `unsent` inputs go back to pending."""
        now = time.time()
        with self._write() as db:
            db.executemany(
                "UPDATE attempts SET state = 'settled' WHERE attempt = ?", [(a,) for a in attempts]
            )
            db.executemany(
                "UPDATE inputs SET state = ?, generation_id = ?, result_url = ?, error = ?, "
                "updated = ?, ended_at = ? WHERE seq = ?",
                [
                    (_state(st), gid, url, err, now, now if st in ENDED else None, seq)
                    for seq, gid, st, url, err in found
                ],
            )
            db.executemany(
                "UPDATE inputs SET state = 'pending', attempt = NULL, updated = ? WHERE seq = ?",
                [(now, seq) for seq in unsent],
            )

    def ended(self, seq: int, status: str, url: str | None, error: str | None) -> None:
        with self._write() as db:
            now = time.time()
            db.execute(
                "UPDATE inputs SET state = ?, result_url = ?, error = ?, updated = ?, ended_at = ? "
                "WHERE seq = ?",
                (_state(status), url, error, now, now if status in ENDED else None, seq),
            )

    def retry_failed(self) -> int:
        """Put the inputs that ended failed back to pending, for the next run to send again (a
        new job each, paid again); how many. Their old generation ids stay known, so that
        settling a later enqueue in doubt never takes an old failed job for a new one."""
        with self._write() as db:
            old = db.execute(
                "SELECT generation_id FROM inputs WHERE state = 'failed' AND generation_id IS NOT NULL"
            ).fetchall()
            if old:
                retired = [*json.loads(self._meta(RETIRED) or "[]"), *(gid for (gid,) in old)]
                db.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                    (RETIRED, json.dumps(retired)),
                )
            cursor = db.execute(
                "UPDATE inputs SET state = 'pending', attempt = NULL, generation_id = NULL, "
                "result_url = NULL, error = NULL, file = NULL, updated = ?, ended_at = NULL "
                "WHERE state = 'failed'",
                (time.time(),),
            )
        return cursor.rowcount

    def downloaded(self, seq: int, file: str | None, error: str | None = None) -> None:
        """The result's file (relative to the folder), or why it could not be downloaded."""
        with self._write() as db:
            db.execute(
                "UPDATE inputs SET file = ?, error = ?, updated = ? WHERE seq = ?",
                (file, error, time.time(), seq),
            )


def _state(status: str) -> str:
    return status if status in ENDED else "waiting"


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=5000")
    return db
