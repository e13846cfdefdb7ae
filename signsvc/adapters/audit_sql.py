"""The audit store: SQLite (one file, WAL) or PostgreSQL, every append durable and serialised.

Implements ``signsvc.audit.ports.AuditStore``. An append is one write transaction that
holds the head: on SQLite the file's write lock (``BEGIN IMMEDIATE``, after a fair turn
in ``flock`` on ``<file>.lock``), on PostgreSQL the chain-head row (``SELECT ... FOR
UPDATE`` on ``audit_chain_head``), so threads, processes and instances sharing the log
take turns at the head: one gapless sequence, the chain never forks. The record is
returned only after its commit (``synchronous = FULL`` on SQLite): fail closed, an answer
never leaves without its audit record. Triggers refuse UPDATE and DELETE on
``audit_events`` (a guard against mistakes; whoever owns the database can drop them,
which the hash chain then reveals). Every database or OS error becomes
``AuditUnavailable``, whose client-facing message names no path.

The keyed chain (``audit.keyed``): a ``mac`` column, filled when the store holds the
secret key, and ``audit_meta`` (where the keyed chain starts, the alarm, the newest
acknowledgement). Every append first verifies the records since the last verified one
(``audit_sql_guard``); a broken chain refuses. The schema is made and migrated by
``signsvc.adapters.db`` (Alembic).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, or_, select
from sqlalchemy.exc import SQLAlchemyError

from signsvc.adapters.audit_sql_guard import ChainGuard, read_meta
from signsvc.adapters.audit_sql_keyed import (  # noqa: F401 - open_audit_store re-exported
    KeyedChainMixin,
    _mark_keyed,
    key_missing_error,
    open_audit_store,
)
from signsvc.adapters.db.databases import open_engine
from signsvc.adapters.db.engine import is_sqlite, sqlite_file, write_transaction
from signsvc.adapters.db.migrate import forget
from signsvc.adapters.db.tables import audit_chain_head, audit_events
from signsvc.adapters.write_turns import WriteTurn
from signsvc.audit.broken import broken_error
from signsvc.audit.chain import GENESIS_HASH, seal
from signsvc.audit.events import RECORD_FIELDS, SHA256_RE, AuditEvent, AuditRecord, format_time
from signsvc.audit.keyed import mac_for
from signsvc.errors import AuditUnavailable

SCHEMA_VERSION = 2   # PRAGMA user_version of an audit SQLite file


class DamagedHead(Exception):
    """The head record cannot be chained on (not a SHA-256 hash)."""


class _Broken(Exception):
    def __init__(self, found: dict[str, Any]) -> None:
        self.found = found


FAILURES = (SQLAlchemyError, sqlite3.Error, OSError, DamagedHead)
_RECORD_COLUMNS = tuple(audit_events.c[name] for name in RECORD_FIELDS)
_t = audit_events
_PAGE = 500
# the statements of every append, built once (building one costs more than running it)
_HEAD = select(_t.c.sequence, _t.c.record_hash, _t.c.mac).order_by(_t.c.sequence.desc()).limit(1)
_INSERT = insert(_t)
_LOCK_HEAD = select(audit_chain_head.c.id).where(audit_chain_head.c.id == 1).with_for_update()
_ROW_AT = select(*_RECORD_COLUMNS, _t.c.mac).where(_t.c.sequence == bindparam("sequence"))
_ROWS_AFTER = select(*_RECORD_COLUMNS, _t.c.mac).where(_t.c.sequence > bindparam("after")) \
    .order_by(_t.c.sequence).limit(_PAGE)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SqlAuditStore(KeyedChainMixin):
    """An ``AuditStore`` in a SQLite file (created with its parent directories) or in the
    database of an engine (PostgreSQL for several instances).

    On a file, the store remembers which file it opened: if the path is later removed or
    replaced, appends fail with ``AuditUnavailable`` instead of writing to a file no one
    will read. After ``close`` every call raises ``AuditUnavailable``.
    """

    def __init__(self, db: Engine | str | os.PathLike[str], *,
                 clock: Callable[[], datetime] = _utc_now,
                 busy_timeout_ms: int = 5000, mac_key: bytes | None = None) -> None:
        self._clock = clock
        self._closed = False
        self._mac_key = mac_key
        self._identity: tuple[int, int] | None = None
        self.guard = ChainGuard(mac_key, _rows_after, _row_at)
        try:
            self._engine = open_engine(db, "audit", busy_timeout_ms=busy_timeout_ms)
            self._path = sqlite_file(self._engine)
            self._turn = WriteTurn(self._path + ".lock") if self._path else None
            if self._path is not None:
                self._identity = self._file_identity()
            if mac_key is not None:
                _mark_keyed(self._engine)
            with self._engine.connect() as conn:
                raw = read_meta(conn).get("mac_from_sequence")
            self.guard.mac_from = int(raw) if raw and raw.isdigit() else None
        except (*FAILURES, ValueError) as exc:
            raise AuditUnavailable() from exc

    # -- the port -------------------------------------------------------------

    def append(self, event: AuditEvent) -> AuditRecord:
        """Seal and store ``event`` after the head in one durable transaction (see the port)."""
        if not isinstance(event, AuditEvent):
            raise TypeError("append() takes an AuditEvent")
        try:
            with self._head_turn() as conn:
                found = self.guard.refresh(conn, writable=True)
                if found is not None:
                    raise _Broken(found)
                record, mac = self._seal(conn, event)
                self._check_identity()
            # committed: only now may the answer leave
        except _Broken as broken:
            self._alarm(broken.found)
            raise broken_error(broken.found) from None
        except FAILURES as exc:
            raise AuditUnavailable() from exc
        self.guard.advance(record, mac)
        self._start_background()
        return record

    @contextlib.contextmanager
    def _head_turn(self) -> Iterator[Connection]:
        """A write transaction holding the head of the chain (committed when the block
        ends without an exception)."""
        self._ensure_open()
        with self._turn or contextlib.nullcontext(), write_transaction(self._engine) as conn:
            if not is_sqlite(conn):
                conn.execute(_LOCK_HEAD)
            yield conn

    def _seal(self, conn: Connection, event: AuditEvent, *,
              rebase: bool = False) -> tuple[AuditRecord, str | None]:
        """Seal ``event`` on the head (inside the caller's write transaction) and insert it."""
        sequence, prev_hash, head_mac = self._read_head_mac(conn)
        record = seal(event, sequence + 1, format_time(self._clock()), prev_hash)
        mac = None
        if self.guard.mac_from is not None or self._mac_key is not None:
            if self._mac_key is None:
                raise key_missing_error()
            mac = mac_for(self._mac_key, record, None if rebase else head_mac,
                          self.guard.mac_from)
        conn.execute(_INSERT, {**_row(record), "mac": mac})
        return record, mac

    def records(self, after_sequence: int = 0, *, since: str | None = None,
                until: str | None = None, actor: str | None = None,
                action: str | None = None, document_sha256: str | None = None,
                limit: int | None = None, key_id: str | None = None,
                before_sequence: int | None = None,
                newest_first: bool = False) -> list[AuditRecord]:
        """Matching records in ``(after_sequence, before_sequence)``, oldest or newest first
        (see the port)."""
        if type(after_sequence) is not int or \
                (limit is not None and (type(limit) is not int or limit < 0)) or \
                not (before_sequence is None or type(before_sequence) is int):
            raise ValueError("after_sequence, before_sequence and limit must be ints, "
                             "limit not negative")
        query = select(*_RECORD_COLUMNS).where(_t.c.sequence > after_sequence)
        for column, op, value in ((_t.c.sequence, "lt", before_sequence),
                                  (_t.c.time, "ge", since), (_t.c.time, "lt", until),
                                  (_t.c.actor, "eq", actor), (_t.c.action, "eq", action),
                                  (_t.c.key_id, "eq", key_id)):
            if value is not None:
                query = query.where(column < value if op == "lt" else
                                    column >= value if op == "ge" else column == value)
        if document_sha256 is not None:
            digest = document_sha256.lower()
            query = query.where(or_(_t.c.input_sha256 == digest, _t.c.output_sha256 == digest))
        query = query.order_by(_t.c.sequence.desc() if newest_first else _t.c.sequence)
        if limit is not None:
            query = query.limit(limit)
        if action is None or (since is None and until is None):
            return [_record(row) for row in self._read(lambda conn: conn.execute(query).all())]
        # an action and a date range: the (action, time) index gives the first and last
        # matching sequence, then the (action, sequence) index is walked between them only
        # (else it is walked from the newest record back to the range: 120 ms at 1,000,000)
        bounds = select(func.min(_t.c.sequence), func.max(_t.c.sequence)).where(
            _t.c.action == action,
            *([_t.c.time >= since] if since is not None else []),
            *([_t.c.time < until] if until is not None else []))

        def read(conn: Connection) -> list[Any]:
            low, high = conn.execute(bounds).one()
            if low is None:
                return []
            return list(conn.execute(query.where(_t.c.sequence >= low,
                                                 _t.c.sequence <= high)).all())
        return [_record(row) for row in self._read(read)]

    def count(self, *, action: str, since: str, actor: str | None = None,
              key_id: str | None = None) -> int:
        """Records with ``action`` at or after ``since`` (ISO UTC), for rate limits."""
        query = select(func.count()).select_from(_t).where(_t.c.action == action,
                                                           _t.c.time >= since)
        if actor is not None:
            query = query.where(_t.c.actor == actor)
        if key_id is not None:
            query = query.where(_t.c.key_id == key_id)
        return int(self._read(lambda conn: conn.execute(query).scalar_one()))

    def iter_all(self) -> Iterator[AuditRecord]:
        """Every record by sequence from one consistent snapshot, streamed (see the port)."""
        for record, _mac in self.iter_with_mac(0):
            yield record

    def head(self) -> tuple[int, str]:
        """The last sequence and hash, ``(0, GENESIS_HASH)`` when empty (see the port)."""
        return self._read(self._read_head)

    def check(self) -> None:
        """Take the write lock afresh and make a write that is rolled back.

        Raises ``AuditUnavailable`` if the file is gone or replaced, read-only, locked
        beyond the busy timeout, or not an audit store (or the database is unreachable),
        or if the chain is broken (verified incrementally, see ``integrity``).
        """
        status = self.integrity()
        if status["broken"] is not None:
            raise broken_error(status["broken"])
        try:
            self._ensure_open()
            self._check_identity()
            with self._engine.connect() as conn:
                if is_sqlite(conn):
                    conn = conn.execution_options(signsvc_sqlite_immediate=True)
                with conn.begin() as tx:
                    self._read_head(conn)
                    if is_sqlite(conn):
                        conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")
                    else:
                        conn.exec_driver_sql("SET LOCAL lock_timeout = '5s'")
                        conn.execute(select(audit_chain_head.c.id).with_for_update())
                    tx.rollback()
        except FAILURES as exc:
            raise AuditUnavailable() from exc

    def close(self) -> None:
        """Close this process's connections; later calls raise ``AuditUnavailable``."""
        self._closed = True
        self._engine.dispose()
        forget(self._engine)

    # -- internals ------------------------------------------------------------

    def _ensure_open(self) -> None:
        if self._closed:
            raise OSError("audit store is closed")

    def _read(self, body: Callable[[Connection], Any]) -> Any:
        """``body`` on a connection of its own; ``AuditUnavailable`` on any failure."""
        try:
            self._ensure_open()
            with self._engine.connect() as conn:
                return body(conn)
        except FAILURES as exc:
            raise AuditUnavailable() from exc

    def _connect(self) -> contextlib.AbstractContextManager[Connection]:
        self._ensure_open()
        return self._engine.connect()

    def _file_identity(self) -> tuple[int, int]:
        assert self._path is not None
        st = os.stat(self._path)
        return st.st_dev, st.st_ino

    def _check_identity(self) -> None:
        if self._identity is not None and self._file_identity() != self._identity:
            raise OSError("the audit store file was replaced")

    @staticmethod
    def _read_head_mac(conn: Connection) -> tuple[int, str, str | None]:
        """The head's sequence, hash and MAC (``(0, GENESIS_HASH, None)`` when empty)."""
        row = conn.execute(_HEAD).first()
        if row is None:
            return 0, GENESIS_HASH, None
        sequence, record_hash, mac = row
        if not isinstance(record_hash, str) or not SHA256_RE.fullmatch(record_hash):
            raise DamagedHead("the audit head record is damaged")
        return int(sequence), record_hash, mac

    @classmethod
    def _read_head(cls, conn: Connection) -> tuple[int, str]:
        sequence, record_hash, _mac = cls._read_head_mac(conn)
        return sequence, record_hash


def _rows_after(conn: Connection, after: int) -> Iterator[tuple[AuditRecord, str | None]]:
    """Pages of ``_PAGE`` records by sequence (one round trip when few are new). The log
    only grows at its end, so the pages join up; ``iter_with_mac`` reads them in one
    snapshot."""
    while True:
        rows = conn.execute(_ROWS_AFTER, {"after": after}).all()
        for row in rows:
            yield _record(row[:-1]), row[-1]
        if len(rows) < _PAGE:
            return
        after = rows[-1][0]


def _row_at(conn: Connection, sequence: int) -> tuple[AuditRecord, str | None] | None:
    row = conn.execute(_ROW_AT, {"sequence": sequence}).first()
    return None if row is None else (_record(row[:-1]), row[-1])


def _row(record: AuditRecord) -> dict[str, Any]:
    values = {name: getattr(record, name) for name in RECORD_FIELDS}
    values["details"] = json.dumps(dict(record.details), sort_keys=True,
                                   separators=(",", ":"), ensure_ascii=False)
    return values


def _record(row: Any) -> AuditRecord:
    """A stored row as a record, as it is: damage shows up in verification, not here."""
    values = dict(zip(RECORD_FIELDS, row))
    raw = values["details"]
    try:
        details = json.loads(raw)
    except (TypeError, ValueError):
        details = None
    if not isinstance(details, dict):
        details = {"_unreadable_details": raw if isinstance(raw, (str, int, float)) else repr(raw)}
    values["details"] = details
    return AuditRecord(**values)
