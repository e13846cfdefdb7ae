"""The audit store's keyed-chain side: integrity status, verification from a point,
the operator's acknowledgement and the alarm shared by every process (a mixin of
``SqlAuditStore``, which provides ``_engine``, ``_connect``, ``_head_turn``, ``_seal``,
``_check_identity``, ``_mac_key`` and ``guard``)."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from signsvc.adapters.audit_sql_guard import read_meta
from signsvc.adapters.db.engine import write_transaction
from signsvc.adapters.db.sql import insert_or_ignore, replace
from signsvc.adapters.db.tables import audit_events, audit_meta
from signsvc.audit.events import AuditEvent, AuditRecord
from signsvc.audit.keyed import (
    ACKNOWLEDGED_ACTION,
    Anchor,
    SegmentResult,
    verify_record,
    verify_segment,
)
from signsvc.errors import AuditUnavailable, Message

log = logging.getLogger("signsvc.adapters.audit_sql")
_FAILURES = (SQLAlchemyError, sqlite3.Error, OSError)


def _mark_keyed(engine: Engine) -> None:
    """Note where the keyed chain starts (the next record), once."""
    with write_transaction(engine) as conn:
        if conn.execute(select(audit_meta.c.name).where(
                audit_meta.c.name == "mac_from_sequence")).first() is None:
            head = conn.execute(select(func.max(audit_events.c.sequence))).scalar()
            conn.execute(audit_meta.insert().values(name="mac_from_sequence",
                                                    value=str((head or 0) + 1)))


def key_missing_error() -> AuditUnavailable:
    return AuditUnavailable(Message(
        "Nhật ký kiểm toán có khóa (HMAC) nhưng khóa bí mật chưa được cấu hình "
        "([audit] hmac_key_file).",
        "The audit log is keyed (HMAC) but the secret key is not configured "
        "([audit] hmac_key_file)."))


def open_audit_store(settings: Any, **kwargs: Any) -> Any:
    """The audit store ``settings`` configure: the shared ``[database] url`` when one is
    set, else the SQLite file ``[audit] path``; keyed with the secret in ``[audit]
    hmac_key_file`` when one is set (read here, never logged)."""
    cfg = settings.audit
    key = None
    if getattr(cfg, "hmac_key_file", None) is not None:
        try:
            key = cfg.hmac_key_file.read_bytes().strip()
        except OSError as exc:
            raise AuditUnavailable() from exc
    from signsvc.adapters.audit_sql import SqlAuditStore

    url = getattr(getattr(settings, "database", None), "url", "")
    if url:
        from signsvc.adapters.db.engine import url_engine

        try:
            target: Any = url_engine(url)
        except (SQLAlchemyError, ValueError) as exc:
            raise AuditUnavailable() from exc
    else:
        target = cfg.path
    return SqlAuditStore(target, mac_key=key, **kwargs)


class KeyedChainMixin:
    """See the module doc."""

    _mac_key: bytes | None
    guard: Any

    @property
    def keyed(self) -> bool:
        return self._mac_key is not None

    def integrity(self) -> dict[str, Any]:
        """Verify incrementally now (a read); the guard's status. Never raises."""
        try:
            with self._connect() as conn:  # type: ignore[attr-defined]
                found = self.guard.refresh(conn)
            if found is not None:
                self._alarm(found)
        except AuditUnavailable:
            pass
        except _FAILURES:
            return {**self.guard.status(), "ok": False}
        self._start_background()
        return dict(self.guard.status())

    def _start_background(self) -> None:
        """Verify what a fast start skipped, in a thread; a break fails the store closed."""
        if self.guard.background is None:
            return

        def run() -> None:
            try:
                with self._connect() as conn:  # type: ignore[attr-defined]
                    found = self.guard.background_check(conn)
            except _FAILURES:
                log.exception("the audit log's background verification could not run")
                return
            if found is not None:
                self.trip(found)
            else:
                log.info("audit log verified in full up to the start-up marker")

        threading.Thread(target=run, name="audit-verify", daemon=True).start()

    def trip(self, broken: dict[str, Any]) -> None:
        """Fail closed on a break found elsewhere (a full verification, the checkpoints)."""
        if self.guard.trip(broken):
            log.error("audit chain broken: %s", broken)
            self._alarm(broken)

    def iter_with_mac(self, after_sequence: int = 0) -> Iterator[tuple[AuditRecord, str | None]]:
        """``(record, mac)`` after ``after_sequence`` from one snapshot (a read transaction;
        REPEATABLE READ on PostgreSQL), streamed page by page."""
        try:
            with self._connect() as conn:  # type: ignore[attr-defined]
                if conn.dialect.name != "sqlite":
                    conn.execution_options(isolation_level="REPEATABLE READ")
                yield from self.guard._rows(conn, after_sequence)
        except _FAILURES as exc:
            raise AuditUnavailable() from exc

    def verify_since(self, sequence: int, record_hash: str | None) -> SegmentResult:
        """The records after ``sequence`` (whose hash must still be ``record_hash``): chain
        and MACs, as a checkpoint checks the log before signing it."""
        anchor = Anchor()
        if sequence:
            item = self.record_at(sequence)
            if item is None:
                return SegmentResult(False, anchor, 0, "deleted", sequence,
                                     "the previous checkpoint's head record is gone")
            if item[0].record_hash != record_hash:
                return SegmentResult(False, anchor, 0, "altered", sequence,
                                     "the previous checkpoint's head record changed")
            anchor = Anchor(sequence, record_hash, item[1])
        return verify_segment(self.iter_with_mac(sequence), anchor, self._mac_key,
                              self.guard.mac_from)

    def verify_records(self, sequences: list[int]) -> dict[str, Any] | None:
        """Each of these records against the one before it (link, hash, MAC): the first
        break as the guard describes one, else None. A few indexed reads per record."""
        for seq in sorted(set(sequences)):
            item = self.record_at(seq)
            if item is None:
                continue
            prev = self.record_at(seq - 1) if seq > 1 else None
            found = verify_record(*item, prev, self._mac_key, self.guard.mac_from)
            if found is not None:
                return {"problem": found[0], "sequence": seq, "detail": found[1]}
        return None

    def record_at(self, sequence: int) -> tuple[AuditRecord, str | None] | None:
        try:
            with self._connect() as conn:  # type: ignore[attr-defined]
                item: tuple[AuditRecord, str | None] | None = self.guard._row(conn, sequence)
                return item
        except _FAILURES as exc:
            raise AuditUnavailable() from exc

    def meta(self) -> dict[str, str]:
        try:
            with self._connect() as conn:  # type: ignore[attr-defined]
                return read_meta(conn)
        except _FAILURES as exc:
            raise AuditUnavailable() from exc

    def acknowledge(self, event: AuditEvent) -> AuditRecord:
        """Append the operator's acknowledgement (its MAC restarts the keyed chain), clear
        the alarm; every process resumes from it (see ``ChainGuard``)."""
        if event.action != ACKNOWLEDGED_ACTION:
            raise ValueError(f"an acknowledgement is a {ACKNOWLEDGED_ACTION} record")
        try:
            with self._head_turn() as conn:  # type: ignore[attr-defined]
                record, mac = self._seal(conn, event, rebase=True)  # type: ignore[attr-defined]
                replace(conn, audit_meta, {"name": "ack_sequence", "value": str(record.sequence)})
                conn.execute(audit_meta.delete().where(audit_meta.c.name == "alarm"))
                self._check_identity()  # type: ignore[attr-defined]
        except _FAILURES as exc:
            raise AuditUnavailable() from exc
        self.guard.acknowledged(record, mac)
        return record

    def _alarm(self, broken: dict[str, Any]) -> None:
        """Record the break for the other processes (best effort: the guard holds it here)."""
        try:
            with write_transaction(self._engine) as conn:  # type: ignore[attr-defined]
                head = conn.execute(select(func.max(audit_events.c.sequence))).scalar()
                insert_or_ignore(conn, audit_meta, {
                    "name": "alarm",
                    "value": json.dumps({**broken, "at_head": head}, sort_keys=True,
                                        default=str)})
        except _FAILURES:
            log.error("the audit chain alarm could not be written")
