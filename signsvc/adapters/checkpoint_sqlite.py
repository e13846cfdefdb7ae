"""Signed audit checkpoints in the audit log's SQLite file (table ``audit_checkpoints``).

The table lives next to ``audit_events`` in the same file and is created here (``IF NOT
EXISTS``, so an existing audit file gains it on first use). Rows are append-only
(triggers, a guard against mistakes like the audit table's); ``checkpoint_index`` and
``head_sequence`` are unique, so two workers that sign the same head at once store it
once; ``exclusive`` lets one process at a time sign at all. Every ``sqlite3`` or OS error becomes ``AuditUnavailable``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import time
from typing import Any, Iterator
from urllib.parse import quote

from signsvc.audit.checkpoints import Checkpoint, SignedCheckpoint
from signsvc.errors import AuditUnavailable

_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS audit_checkpoints (
        checkpoint_index INTEGER PRIMARY KEY,
        head_sequence INTEGER NOT NULL UNIQUE,
        head_hash TEXT NOT NULL,
        time TEXT NOT NULL,
        prev_checkpoint_sha256 TEXT NOT NULL,
        signature BLOB NOT NULL,
        timestamp_token BLOB NOT NULL,
        signer_certificate_sha256 TEXT NOT NULL
    )""",
    "CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints "
    "BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints "
    "BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END",
]
_COLUMNS = ("checkpoint_index, head_sequence, head_hash, time, prev_checkpoint_sha256, "
            "signature, timestamp_token, signer_certificate_sha256")


def _row(row: tuple[Any, ...]) -> SignedCheckpoint:
    """A stored row as it is: damage shows up in verification, not here."""
    index, head_sequence, head_hash, time, prev, signature, token, cert_sha = row
    return SignedCheckpoint(Checkpoint(index, head_sequence, head_hash, time, prev),
                            bytes(signature) if isinstance(signature, (bytes, memoryview)) else b"",
                            bytes(token) if isinstance(token, (bytes, memoryview)) else b"",
                            cert_sha if isinstance(cert_sha, str) else "")


class SqliteCheckpointStore:
    """Signed checkpoints in the audit SQLite file at ``path`` (which must exist)."""

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout_ms: int = 5000) -> None:
        self._path = os.path.abspath(os.fspath(path))
        self._busy_timeout_ms = busy_timeout_ms
        try:
            conn = self._open()
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in _SCHEMA:
                        conn.execute(statement)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
            finally:
                conn.close()
        except (sqlite3.Error, OSError) as exc:
            raise AuditUnavailable() from exc

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(f"file:{quote(self._path)}?mode=rw", uri=True,
                               timeout=self._busy_timeout_ms / 1000, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
        conn.execute("PRAGMA synchronous = FULL")
        return conn

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            conn = self._open()
            try:
                return conn.execute(sql, params).fetchall()
            finally:
                conn.close()
        except (sqlite3.Error, OSError) as exc:
            raise AuditUnavailable() from exc

    def add(self, signed: SignedCheckpoint) -> bool:
        """Store ``signed``; False (nothing stored) if its index or head is already taken."""
        cp = signed.checkpoint
        try:
            conn = self._open()
            try:
                conn.execute(f"INSERT INTO audit_checkpoints ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
                             (cp.index, cp.head_sequence, cp.head_hash, cp.time,
                              cp.prev_checkpoint_sha256, signed.signature,
                              signed.timestamp_token, signed.signer_certificate_sha256))
            finally:
                conn.close()
        except sqlite3.IntegrityError:
            return False
        except (sqlite3.Error, OSError) as exc:
            raise AuditUnavailable() from exc
        return True

    def last(self) -> SignedCheckpoint | None:
        rows = self._query(f"SELECT {_COLUMNS} FROM audit_checkpoints "
                           "ORDER BY checkpoint_index DESC LIMIT 1")
        return _row(rows[0]) if rows else None

    def list(self, after_index: int = 0, limit: int | None = None, *,
             min_head_sequence: int = 0) -> list[SignedCheckpoint]:
        """Checkpoints with ``index > after_index`` (and head at least ``min_head_sequence``),
        by index."""
        sql = (f"SELECT {_COLUMNS} FROM audit_checkpoints WHERE checkpoint_index > ? "
               "AND head_sequence >= ? ORDER BY checkpoint_index")
        params: tuple[Any, ...] = (after_index, min_head_sequence)
        if limit is not None:
            sql += " LIMIT ?"
            params += (limit,)
        return [_row(r) for r in self._query(sql, params)]

    def check(self) -> None:
        self._query("SELECT count(*) FROM audit_checkpoints")

    @contextlib.contextmanager
    def exclusive(self, *, wait_seconds: float = 0.0) -> Iterator[bool]:
        """Yield True while this process alone may take a checkpoint of this log (an
        ``flock`` on ``<audit file>.checkpoint-lock``, released when the block ends or the
        process dies), False when another process held it for ``wait_seconds``."""
        try:
            fd = os.open(self._path + ".checkpoint-lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise AuditUnavailable() from exc
        try:
            end = time.monotonic() + wait_seconds
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= end:
                        yield False
                        return
                    time.sleep(0.05)
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
