"""Rate-limit counters in the service's SQLite database (``signsvc.sqlite3`` in the state
folder), shared by every worker and thread of an instance.

Each subject (``client:<name>``, ``key:<id>``) has one bucket per second (the sliding
minute is the sum of the last 60 one-second buckets) and one bucket per UTC day (the
day's quota). A check-and-increment runs in one ``BEGIN IMMEDIATE`` transaction: the
database's write lock serialises it across processes, so concurrent requests cannot pass
a limit together. Reading or incrementing costs a few index lookups, whatever the size of
the audit log.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Mapping, Sequence

from signsvc.errors import NotReady

SCHEMA = """
CREATE TABLE IF NOT EXISTS rate_counters (
    subject TEXT NOT NULL,
    kind TEXT NOT NULL,        -- 's': one second (epoch seconds), 'd': one UTC day (epoch days)
    start INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (subject, kind, start)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rate_counters_age ON rate_counters(kind, start);
"""

MINUTE = 60
DAY = 86400
_PRUNE_EVERY = 30.0   # seconds between deletions of buckets that no window reaches any more


@dataclass(frozen=True)
class Reservation:
    """What one admitted request added: one to each subject's second and day buckets."""
    subjects: tuple[str, ...]
    second: int
    day: int


class SqliteRateCounters:
    """Exact per-subject counts over the sliding last minute and the current UTC day."""

    def __init__(self, path: Path, *, busy_timeout_seconds: float = 10.0) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._last_prune = 0.0
        try:
            self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None,
                                         timeout=busy_timeout_seconds)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.executescript(SCHEMA)
        except sqlite3.Error as exc:
            raise NotReady(f"rate counters: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @staticmethod
    def _slots(now: datetime) -> tuple[int, int]:
        t = int(now.timestamp())
        return t, t // DAY

    def _counts(self, subjects: Sequence[str], second: int, day: int) -> dict[str, tuple[int, int]]:
        out = {}
        for s in subjects:
            minute = self._conn.execute(
                "SELECT coalesce(sum(n), 0) FROM rate_counters WHERE subject = ? AND kind = 's' "
                "AND start > ? AND start <= ?", (s, second - MINUTE, second)).fetchone()[0]
            row = self._conn.execute(
                "SELECT n FROM rate_counters WHERE subject = ? AND kind = 'd' AND start = ?",
                (s, day)).fetchone()
            out[s] = (int(minute), int(row[0]) if row else 0)
        return out

    def _add(self, subjects: Sequence[str], second: int, day: int, delta: int) -> None:
        for s in subjects:
            for kind, start in (("s", second), ("d", day)):
                self._conn.execute(
                    "INSERT INTO rate_counters (subject, kind, start, n) VALUES (?, ?, ?, max(?, 0)) "
                    "ON CONFLICT (subject, kind, start) DO UPDATE SET n = max(n + ?, 0)",
                    (s, kind, start, delta, delta))

    def _prune(self, second: int, day: int) -> None:
        mono = time.monotonic()
        if mono - self._last_prune < _PRUNE_EVERY:
            return
        self._last_prune = mono
        self._conn.execute("DELETE FROM rate_counters WHERE kind = 's' AND start <= ?",
                           (second - 2 * MINUTE,))
        self._conn.execute("DELETE FROM rate_counters WHERE kind = 'd' AND start < ?", (day - 1,))

    def _transaction(self, body: Callable[[], object]) -> object:
        """``body`` inside one write transaction (rolled back if it raises); ``NotReady`` when
        the database cannot be used."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise NotReady(f"rate counters: {exc}") from exc
            try:
                result = body()
                self._conn.execute("COMMIT")
                return result
            except BaseException as exc:
                self._conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise NotReady(f"rate counters: {exc}") from exc
                raise

    def counts(self, subjects: Sequence[str], now: datetime) -> Mapping[str, tuple[int, int]]:
        """``{subject: (count in the last minute, count today)}``, read only."""
        second, day = self._slots(now)
        with self._lock:
            try:
                return self._counts(subjects, second, day)
            except sqlite3.Error as exc:
                raise NotReady(f"rate counters: {exc}") from exc

    def admit(self, subjects: Sequence[str], now: datetime,
              allow: Callable[[Mapping[str, tuple[int, int]]], bool]) -> Reservation | None:
        """Read the counts, ask ``allow``, and when it says yes add one to every subject, all
        in one transaction: no other request (thread or process) reads or adds in between.
        A refusal adds nothing. Returns what was added, to ``release`` it if the request fails."""
        second, day = self._slots(now)
        subjects = tuple(subjects)

        def body() -> Reservation | None:
            self._prune(second, day)
            if not allow(self._counts(subjects, second, day)):
                return None
            self._add(subjects, second, day, 1)
            return Reservation(subjects, second, day)
        return self._transaction(body)  # type: ignore[return-value]

    def add(self, subjects: Sequence[str], now: datetime) -> None:
        """Count one more for every subject, unconditionally (a signature made elsewhere)."""
        second, day = self._slots(now)
        self._transaction(lambda: self._add(tuple(subjects), second, day, 1))

    def release(self, reservation: Reservation) -> None:
        """Take back what ``admit`` added (the request failed: no signature was made)."""
        self._transaction(lambda: self._add(reservation.subjects, reservation.second,
                                            reservation.day, -1))
