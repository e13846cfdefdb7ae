"""The audit store on SQLite: one file, WAL, every append durable and serialised.

Implements ``signsvc.audit.ports.AuditStore``. Appends run in ``BEGIN IMMEDIATE``
transactions, so threads and processes sharing the file take turns at the head and
the chain never forks. ``synchronous=FULL`` makes every commit durable before
``append`` returns. Triggers refuse UPDATE and DELETE on ``audit_events`` (a guard
against mistakes; an attacker with the file can drop them, which the hash chain
then reveals). Every ``sqlite3`` or OS error becomes ``AuditUnavailable``, whose
client-facing message names no path.

Schema 2 (schema 1 migrates in place) adds the keyed chain (``audit.keyed``): a ``mac``
column, filled when the store holds the secret key, and ``audit_meta`` (where the keyed
chain starts, the alarm, the newest acknowledgement). Every append first verifies the
records since the last verified one (``audit_sqlite_guard``); a broken chain refuses.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import weakref
from datetime import datetime, timezone
from typing import Any, Callable, Iterator
from urllib.parse import quote

from signsvc.adapters.audit_sqlite_guard import ChainGuard, broken_error, read_meta
from signsvc.adapters.write_turns import takes_turns
from signsvc.adapters.audit_sqlite_keyed import (  # noqa: F401 - open_audit_store re-exported
    KeyedChainMixin, _mark_keyed, key_missing_error, open_audit_store,
)
from signsvc.audit.chain import GENESIS_HASH, seal
from signsvc.audit.events import RECORD_FIELDS, SHA256_RE, AuditEvent, AuditRecord, format_time
from signsvc.audit.keyed import mac_for
from signsvc.errors import AuditUnavailable

SCHEMA_VERSION = 2

_COLUMNS = ", ".join(RECORD_FIELDS)
_INSERT_MAC = (f"INSERT INTO audit_events ({_COLUMNS}, mac) "
               f"VALUES ({', '.join('?' for _ in RECORD_FIELDS)}, ?)")
_HEAD = "SELECT sequence, record_hash FROM audit_events ORDER BY sequence DESC LIMIT 1"
_HEAD_MAC = "SELECT mac FROM audit_events WHERE sequence = ?"
_WITH_MAC = f"SELECT {_COLUMNS}, mac FROM audit_events"
_V2 = ["ALTER TABLE audit_events ADD COLUMN mac TEXT",
       "CREATE TABLE audit_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)"]
_SCHEMA = [
    """CREATE TABLE audit_events (
        sequence INTEGER PRIMARY KEY,
        time TEXT NOT NULL,
        action TEXT NOT NULL,
        outcome TEXT NOT NULL,
        actor TEXT,
        role TEXT,
        request_id TEXT,
        error_code TEXT,
        key_id TEXT,
        certificate_serial TEXT,
        certificate_sha256 TEXT,
        input_sha256 TEXT,
        output_sha256 TEXT,
        level TEXT,
        client_address TEXT,
        details TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        record_hash TEXT NOT NULL
    )""",
    "CREATE INDEX audit_events_time ON audit_events (time)",
    "CREATE INDEX audit_events_actor ON audit_events (actor, sequence)",
    "CREATE INDEX audit_events_action ON audit_events (action, sequence)",
    "CREATE INDEX audit_events_input ON audit_events (input_sha256)",
    "CREATE INDEX audit_events_output ON audit_events (output_sha256)",
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END",
    *_V2,
    f"PRAGMA user_version = {SCHEMA_VERSION}",
]


class _Connection(sqlite3.Connection):
    """A connection the store can reference weakly: once the thread that owns it has
    ended and the collector has freed it, it is closed and forgotten, so a server
    that starts a thread per request does not pile up open files."""

    owner_pid: int


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class SqliteAuditStore(KeyedChainMixin):
    """An ``AuditStore`` in one SQLite file (created with its parent directories).

    Each thread uses its own connection (a forked child opens fresh ones);
    ``iter_all`` and ``check`` open a connection of their own. The store
    remembers which file it opened: if the path is later removed or replaced,
    appends fail with ``AuditUnavailable`` instead of writing to a file no one
    will read.
    """

    def __init__(self, path: str | os.PathLike[str], *,
                 clock: Callable[[], datetime] = _utc_now,
                 busy_timeout_ms: int = 5000, mac_key: bytes | None = None) -> None:
        self._path = os.path.abspath(os.fspath(path))
        self._clock = clock
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._inherited: list[_Connection] = []
        self._closed = False
        self._identity: tuple[int, int] | None = None
        self._mac_key = mac_key
        self.guard = ChainGuard(mac_key, _rows_after, _row_at)
        try:
            os.makedirs(os.path.dirname(self._path), exist_ok=True)
            conn = self._open(create=True)
            try:
                self._identity = self._file_identity()
                self._create_schema(conn)
                if mac_key is not None:
                    _mark_keyed(conn)
                raw = read_meta(conn).get("mac_from_sequence")
                self.guard.mac_from = int(raw) if raw and raw.isdigit() else None
            finally:
                conn.close()
        except (sqlite3.Error, OSError) as exc:
            raise AuditUnavailable() from exc

    # -- the port -------------------------------------------------------------

    @takes_turns(AuditUnavailable)   # writers queue fairly instead of SQLite's busy polling
    def append(self, event: AuditEvent) -> AuditRecord:
        """Seal and store ``event`` after the head in one durable transaction (see the port)."""
        if not isinstance(event, AuditEvent):
            raise TypeError("append() takes an AuditEvent")
        try:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                found = self.guard.refresh(conn, writable=True)
                if found is not None:
                    _rollback(conn)
                    self._alarm(found)
                    raise broken_error(found)
                record, mac = self._seal(conn, event)
                self._check_identity()
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise
        except (sqlite3.Error, OSError) as exc:
            raise AuditUnavailable() from exc
        self.guard.advance(record, mac)
        self._start_background()
        return record

    def _seal(self, conn: sqlite3.Connection, event: AuditEvent, *,
              rebase: bool = False) -> tuple[AuditRecord, str | None]:
        """Seal ``event`` on the head (inside the caller's write transaction) and insert it."""
        sequence, prev_hash = self._read_head(conn)
        record = seal(event, sequence + 1, format_time(self._clock()), prev_hash)
        mac = None
        if self.guard.mac_from is not None or self._mac_key is not None:
            if self._mac_key is None:
                raise key_missing_error()
            row = conn.execute(_HEAD_MAC, (sequence,)).fetchone()
            prev_mac = None if rebase or row is None else row[0]
            mac = mac_for(self._mac_key, record, prev_mac, self.guard.mac_from)
        conn.execute(_INSERT_MAC, [*_row(record), mac])
        return record, mac

    def records(self, after_sequence: int = 0, *, since: str | None = None,
                until: str | None = None, actor: str | None = None,
                action: str | None = None, document_sha256: str | None = None,
                limit: int | None = None, key_id: str | None = None,
                before_sequence: int | None = None, newest_first: bool = False) -> list[AuditRecord]:
        """Matching records in ``(after_sequence, before_sequence)``, oldest or newest first (the port)."""
        if type(after_sequence) is not int or (limit is not None and (type(limit) is not int or limit < 0)) \
                or not (before_sequence is None or type(before_sequence) is int):
            raise ValueError("after_sequence, before_sequence and limit must be ints, limit not negative")
        where, params = ["sequence > ?"], [after_sequence]
        for clause, value in (("sequence < ?", before_sequence), ("time >= ?", since), ("time < ?", until),
                              ("actor = ?", actor), ("action = ?", action), ("key_id = ?", key_id)):
            if value is not None:
                where.append(clause)
                params.append(value)
        if document_sha256 is not None:
            where.append("(input_sha256 = ? OR output_sha256 = ?)")
            params += [document_sha256.lower()] * 2
        order = "sequence DESC" if newest_first else "sequence"
        sql = f"SELECT {_COLUMNS} FROM audit_events WHERE {' AND '.join(where)} ORDER BY {order}"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        try:
            rows = self._connection().execute(sql, params).fetchall()
        except (sqlite3.Error, OSError) as exc:
            raise AuditUnavailable() from exc
        return [_record(row) for row in rows]

    def count(self, *, action: str, since: str, actor: str | None = None,
              key_id: str | None = None) -> int:
        """Records with ``action`` at or after ``since`` (ISO UTC), for rate limits."""
        sql = "SELECT count(*) FROM audit_events WHERE action = ? AND time >= ?"
        params: list[Any] = [action, since]
        if actor is not None:
            sql += " AND actor = ?"
            params.append(actor)
        if key_id is not None:
            sql += " AND key_id = ?"
            params.append(key_id)
        try:
            return int(self._connection().execute(sql, params).fetchone()[0])
        except (sqlite3.Error, OSError) as exc:
            raise AuditUnavailable() from exc

    def iter_all(self) -> Iterator[AuditRecord]:
        """Every record by sequence from one consistent snapshot, streamed (see the port)."""
        try:
            conn = self._open()
            try:
                cursor = conn.execute(f"SELECT {_COLUMNS} FROM audit_events ORDER BY sequence")
                while rows := cursor.fetchmany(256):
                    for row in rows:
                        yield _record(row)
            finally:
                conn.close()
        except (sqlite3.Error, OSError) as exc:
            raise AuditUnavailable() from exc

    def head(self) -> tuple[int, str]:
        """The last sequence and hash, ``(0, GENESIS_HASH)`` when empty (see the port)."""
        try:
            return self._read_head(self._connection())
        except (sqlite3.Error, OSError) as exc:
            raise AuditUnavailable() from exc

    def check(self) -> None:
        """Open the file afresh, take the write lock and make a write that is rolled back.

        Raises ``AuditUnavailable`` if the file is gone or replaced, read-only,
        locked beyond the busy timeout, or not an audit store, or if the chain is broken
        (verified incrementally, see ``integrity``).
        """
        status = self.integrity()
        if status["broken"] is not None:
            raise broken_error(status["broken"])
        try:
            conn = self._open()
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    self._read_head(conn)
                    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                finally:
                    _rollback(conn)
            finally:
                conn.close()
        except (sqlite3.Error, OSError) as exc:
            raise AuditUnavailable() from exc

    def close(self) -> None:
        """Close this process's connections; later calls raise ``AuditUnavailable``."""
        with self._lock:
            self._closed = True
            for conn in list(self._connections):
                if conn.owner_pid == os.getpid():
                    try:
                        conn.close()
                    except sqlite3.Error:
                        pass
            self._connections.clear()

    # -- internals ------------------------------------------------------------

    def _open(self, create: bool = False) -> _Connection:
        """A new connection; only the constructor may create the file."""
        if self._closed:
            raise sqlite3.ProgrammingError("audit store is closed")
        uri = f"file:{quote(self._path)}?mode={'rwc' if create else 'rw'}"
        conn = sqlite3.connect(uri, uri=True, timeout=self._busy_timeout_ms / 1000,
                               isolation_level=None, check_same_thread=False,
                               factory=_Connection)
        conn.owner_pid = os.getpid()
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            conn.execute("PRAGMA synchronous = FULL")
            if self._identity is not None:
                self._check_identity()
        except BaseException:
            conn.close()
            raise
        return conn

    def _connection(self) -> _Connection:
        """This thread's connection in this process, opened on first use.

        A connection inherited through fork() is never used (nor closed) by the child.
        """
        conn: _Connection | None = getattr(self._local, "conn", None)
        if self._closed:
            raise sqlite3.ProgrammingError("audit store is closed")
        if conn is None or conn.owner_pid != os.getpid():
            if conn is not None:
                self._inherited.append(conn)  # keep it from being closed here
            conn = self._open()
            with self._lock:
                if self._closed:
                    conn.close()
                    raise sqlite3.ProgrammingError("audit store is closed")
                self._connections.add(conn)
            self._local.conn = conn
        return conn

    def _create_schema(self, conn: _Connection) -> None:
        if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
            raise sqlite3.OperationalError("audit store cannot use WAL")
        if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                for statement in _SCHEMA:
                    conn.execute(statement)
            elif version == 1:  # add the keyed chain; records so far stay as they are
                for statement in (*_V2, f"PRAGMA user_version = {SCHEMA_VERSION}"):
                    conn.execute(statement)
            elif version != SCHEMA_VERSION:
                raise sqlite3.DatabaseError(f"unknown audit schema version {version}")
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise

    def _file_identity(self) -> tuple[int, int]:
        st = os.stat(self._path)
        return st.st_dev, st.st_ino

    def _check_identity(self) -> None:
        if self._file_identity() != self._identity:
            raise OSError("the audit store file was replaced")

    @staticmethod
    def _read_head(conn: sqlite3.Connection) -> tuple[int, str]:
        row = conn.execute(_HEAD).fetchone()
        if row is None:
            return 0, GENESIS_HASH
        sequence, record_hash = row
        if not isinstance(record_hash, str) or not SHA256_RE.fullmatch(record_hash):
            raise sqlite3.DatabaseError("the audit head record is damaged")
        return sequence, record_hash


def _rows_after(conn: sqlite3.Connection,
                after: int) -> Iterator[tuple[AuditRecord, str | None]]:
    cursor = conn.execute(f"{_WITH_MAC} WHERE sequence > ? ORDER BY sequence", (after,))
    while rows := cursor.fetchmany(256):
        for row in rows:
            yield _record(row[:-1]), row[-1]


def _row_at(conn: sqlite3.Connection, sequence: int) -> tuple[AuditRecord, str | None] | None:
    row = conn.execute(f"{_WITH_MAC} WHERE sequence = ?", (sequence,)).fetchone()
    return None if row is None else (_record(row[:-1]), row[-1])


def _rollback(conn: sqlite3.Connection) -> None:
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.Error:
        pass


def _row(record: AuditRecord) -> list[Any]:
    values = [getattr(record, name) for name in RECORD_FIELDS]
    values[RECORD_FIELDS.index("details")] = json.dumps(
        dict(record.details), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return values


def _record(row: tuple[Any, ...]) -> AuditRecord:
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
