"""Signed audit checkpoints (table ``audit_checkpoints``) next to the audit log: in the
audit SQLite file by default, or in the shared ``[database] url``.

Rows are append-only (triggers on both engines, a guard against mistakes like the audit
table's); ``checkpoint_index`` and ``head_sequence`` are unique, so two workers that sign
the same head at once store it once; ``exclusive`` lets one process (or instance) at a
time sign at all. Every database or OS error becomes ``AuditUnavailable``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from signsvc.adapters.db.databases import open_engine
from signsvc.adapters.db.engine import sqlite_file, write_transaction
from signsvc.adapters.db.tables import audit_checkpoints as t
from signsvc.audit.checkpoints import Checkpoint, SignedCheckpoint
from signsvc.errors import AuditUnavailable

_COLUMNS = (t.c.checkpoint_index, t.c.head_sequence, t.c.head_hash, t.c.time,
            t.c.prev_checkpoint_sha256, t.c.signature, t.c.timestamp_token,
            t.c.signer_certificate_sha256)
_PG_LOCK = 0x5167_6E73_6370   # pg_try_advisory_lock key: one checkpointer at a time


def _row(row: Any) -> SignedCheckpoint:
    """A stored row as it is: damage shows up in verification, not here."""
    index, head_sequence, head_hash, time_, prev, signature, token, cert_sha = row
    return SignedCheckpoint(Checkpoint(index, head_sequence, head_hash, time_, prev),
                            bytes(signature) if isinstance(signature, (bytes, memoryview)) else b"",
                            bytes(token) if isinstance(token, (bytes, memoryview)) else b"",
                            cert_sha if isinstance(cert_sha, str) else "")


class SqlCheckpointStore:
    """Signed checkpoints in the audit database: the audit SQLite file at ``db`` (created
    with its schema if missing) or an engine."""

    def __init__(self, db: Engine | str | os.PathLike[str], *, busy_timeout_ms: int = 5000) -> None:
        try:
            self._engine = open_engine(db, "audit", busy_timeout_ms=busy_timeout_ms)
        except (SQLAlchemyError, OSError, ValueError) as exc:
            raise AuditUnavailable() from exc

    def _query(self, statement: Any) -> list[Any]:
        try:
            with self._engine.connect() as conn:
                return list(conn.execute(statement).all())
        except (SQLAlchemyError, OSError) as exc:
            raise AuditUnavailable() from exc

    def add(self, signed: SignedCheckpoint) -> bool:
        """Store ``signed``; False (nothing stored) if its index or head is already taken."""
        cp = signed.checkpoint
        try:
            with write_transaction(self._engine) as conn:
                conn.execute(insert(t).values(
                    checkpoint_index=cp.index, head_sequence=cp.head_sequence,
                    head_hash=cp.head_hash, time=cp.time,
                    prev_checkpoint_sha256=cp.prev_checkpoint_sha256,
                    signature=signed.signature, timestamp_token=signed.timestamp_token,
                    signer_certificate_sha256=signed.signer_certificate_sha256))
        except IntegrityError:
            return False
        except (SQLAlchemyError, OSError) as exc:
            raise AuditUnavailable() from exc
        return True

    def last(self) -> SignedCheckpoint | None:
        rows = self._query(select(*_COLUMNS).order_by(t.c.checkpoint_index.desc()).limit(1))
        return _row(rows[0]) if rows else None

    def list(self, after_index: int = 0, limit: int | None = None, *,
             min_head_sequence: int = 0) -> list[SignedCheckpoint]:
        """Checkpoints with ``index > after_index`` (and head at least ``min_head_sequence``),
        by index."""
        query = select(*_COLUMNS).where(t.c.checkpoint_index > after_index,
                                        t.c.head_sequence >= min_head_sequence
                                        ).order_by(t.c.checkpoint_index)
        if limit is not None:
            query = query.limit(limit)
        return [_row(r) for r in self._query(query)]

    def check(self) -> None:
        self._query(select(func.count()).select_from(t))

    @contextlib.contextmanager
    def exclusive(self, *, wait_seconds: float = 0.0) -> Iterator[bool]:
        """Yield True while this process alone may take a checkpoint of this log, False when
        another one held the turn for ``wait_seconds``. SQLite: an ``flock`` on ``<audit
        file>.checkpoint-lock``; PostgreSQL: a session advisory lock, so one instance of
        several at a time. Released when the block ends or the process dies."""
        path = sqlite_file(self._engine)
        if path is None:
            with self._pg_exclusive(wait_seconds) as mine:
                yield mine
            return
        try:
            fd = os.open(path + ".checkpoint-lock", os.O_RDWR | os.O_CREAT, 0o600)
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

    @contextlib.contextmanager
    def _pg_exclusive(self, wait_seconds: float) -> Iterator[bool]:
        try:
            conn = self._engine.connect()
        except SQLAlchemyError as exc:
            raise AuditUnavailable() from exc
        try:
            end = time.monotonic() + wait_seconds
            while not conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({_PG_LOCK})").scalar():
                conn.commit()
                if time.monotonic() >= end:
                    yield False
                    return
                time.sleep(0.05)
            conn.commit()
            try:
                yield True
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_PG_LOCK})")
                conn.commit()
        except SQLAlchemyError as exc:
            raise AuditUnavailable() from exc
        finally:
            conn.close()
