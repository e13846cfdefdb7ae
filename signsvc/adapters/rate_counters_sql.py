"""Rate-limit counters in the service database (SQLite ``signsvc.sqlite3`` in the state
folder by default, or the shared ``[database] url``), shared by every worker, thread and
instance.

Each subject (``client:<name>``, ``key:<id>``) has one bucket per second (the sliding
minute is the sum of the last 60 one-second buckets) and one bucket per UTC day (the
day's quota). A check-and-increment runs in one write transaction (SQLite: ``BEGIN
IMMEDIATE``, the file's write lock; PostgreSQL: an advisory lock per subject), so
concurrent requests cannot pass a limit together. Reading or incrementing costs a few
index lookups, whatever the size of the audit log.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, and_, bindparam, delete, func, select
from sqlalchemy.exc import SQLAlchemyError

from signsvc.adapters.db.databases import open_engine
from signsvc.adapters.db.engine import write_transaction
from signsvc.adapters.db.sql import greatest, insert, serialise
from signsvc.adapters.db.tables import rate_counters as t
from signsvc.errors import NotReady

MINUTE = 60
DAY = 86400
_PRUNE_EVERY = 30.0   # seconds between deletions of buckets that no window reaches any more
T = TypeVar("T")
# built once: building a statement costs more than running it
_MINUTE_COUNT = select(func.coalesce(func.sum(t.c.n), 0)).where(
    t.c.subject == bindparam("subject"), t.c.kind == "s", t.c.start > bindparam("after"),
    t.c.start <= bindparam("until"))
_DAY_COUNT = select(t.c.n).where(t.c.subject == bindparam("subject"), t.c.kind == "d",
                                 t.c.start == bindparam("day"))
_ADDS: dict[str, Any] = {}


def _add_statement(conn: Connection) -> Any:
    """``INSERT ... ON CONFLICT DO UPDATE SET n = max(n + delta, 0)`` for the dialect."""
    name = conn.dialect.name
    if name not in _ADDS:
        stmt = insert(conn, t).values(subject=bindparam("subject"), kind=bindparam("kind"),
                                      start=bindparam("start"), n=bindparam("first"))
        _ADDS[name] = stmt.on_conflict_do_update(
            index_elements=[t.c.subject, t.c.kind, t.c.start],
            set_={"n": greatest(t.c.n + bindparam("delta"), 0)})
    return _ADDS[name]


@dataclass(frozen=True)
class Reservation:
    """What one admitted request added: one to each subject's second and day buckets."""
    subjects: tuple[str, ...]
    second: int
    day: int


class SqlRateCounters:
    """Exact per-subject counts over the sliding last minute and the current UTC day."""

    def __init__(self, db: Engine | str | os.PathLike[str], *,
                 busy_timeout_seconds: float = 10.0) -> None:
        self._lock = threading.Lock()
        self._last_prune = 0.0
        try:
            self._engine = open_engine(db, "state",
                                       busy_timeout_ms=int(busy_timeout_seconds * 1000))
        except (SQLAlchemyError, OSError) as exc:
            raise NotReady() from exc

    def close(self) -> None:
        """Nothing held between calls (the engine's pool is shared with other stores)."""

    @staticmethod
    def _slots(now: datetime) -> tuple[int, int]:
        t0 = int(now.timestamp())
        return t0, t0 // DAY

    @staticmethod
    def _counts(conn: Connection, subjects: Sequence[str], second: int,
                day: int) -> dict[str, tuple[int, int]]:
        out = {}
        for s in subjects:
            minute = conn.execute(_MINUTE_COUNT, {"subject": s, "after": second - MINUTE,
                                                  "until": second}).scalar_one()
            today = conn.execute(_DAY_COUNT, {"subject": s, "day": day}).scalar()
            out[s] = (int(minute), int(today or 0))
        return out

    @staticmethod
    def _add(conn: Connection, subjects: Sequence[str], second: int, day: int,
             delta: int) -> None:
        conn.execute(_add_statement(conn), [
            {"subject": s, "kind": kind, "start": start, "first": max(delta, 0), "delta": delta}
            for s in subjects for kind, start in (("s", second), ("d", day))])

    def _prune(self, conn: Connection, second: int, day: int) -> None:
        mono = time.monotonic()
        if mono - self._last_prune < _PRUNE_EVERY:
            return
        self._last_prune = mono
        conn.execute(delete(t).where(and_(t.c.kind == "s", t.c.start <= second - 2 * MINUTE)))
        conn.execute(delete(t).where(and_(t.c.kind == "d", t.c.start < day - 1)))

    def _transaction(self, subjects: Sequence[str], body: Callable[[Connection], T]) -> T:
        """``body`` inside one write transaction holding the subjects' turn (rolled back if
        it raises); ``NotReady`` when the database cannot be used."""
        with self._lock:
            try:
                with write_transaction(self._engine) as conn:
                    serialise(conn, (f"rate:{s}" for s in subjects))
                    return body(conn)
            except SQLAlchemyError as exc:
                raise NotReady() from exc

    def counts(self, subjects: Sequence[str], now: datetime) -> Mapping[str, tuple[int, int]]:
        """``{subject: (count in the last minute, count today)}``, read only."""
        second, day = self._slots(now)
        try:
            with self._engine.connect() as conn:
                return self._counts(conn, subjects, second, day)
        except SQLAlchemyError as exc:
            raise NotReady() from exc

    def admit(self, subjects: Sequence[str], now: datetime,
              allow: Callable[[Mapping[str, tuple[int, int]]], bool]) -> Reservation | None:
        """Read the counts, ask ``allow``, and when it says yes add one to every subject, all
        in one transaction: no other request (thread, process or instance) reads or adds
        those subjects in between. A refusal adds nothing. Returns what was added, to
        ``release`` it if the request fails."""
        second, day = self._slots(now)
        subjects = tuple(subjects)

        def body(conn: Connection) -> Reservation | None:
            self._prune(conn, second, day)
            if not allow(self._counts(conn, subjects, second, day)):
                return None
            self._add(conn, subjects, second, day, 1)
            return Reservation(subjects, second, day)
        return self._transaction(subjects, body)

    def add(self, subjects: Sequence[str], now: datetime) -> None:
        """Count one more for every subject, unconditionally (a signature made elsewhere)."""
        second, day = self._slots(now)
        subjects = tuple(subjects)
        self._transaction(subjects, lambda conn: self._add(conn, subjects, second, day, 1))

    def release(self, reservation: Reservation) -> None:
        """Take back what ``admit`` added (the request failed: no signature was made)."""
        r = reservation
        self._transaction(r.subjects,
                          lambda conn: self._add(conn, r.subjects, r.second, r.day, -1))


