"""The audit store's keyed-chain side: integrity status, verification from a point,
the operator's acknowledgement and the alarm shared by every process (a mixin of
``SqliteAuditStore``, which provides ``_open``, ``_connection``, ``_seal``,
``_check_identity``, ``_mac_key`` and ``guard``)."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

from signsvc.adapters.audit_sqlite_guard import read_meta
from signsvc.audit.events import AuditEvent, AuditRecord
from signsvc.audit.keyed import (
    ACKNOWLEDGED_ACTION,
    Anchor,
    SegmentResult,
    verify_record,
    verify_segment,
)
from signsvc.errors import AuditUnavailable, Message

log = logging.getLogger("signsvc.adapters.audit_sqlite")


def _rollback(conn: sqlite3.Connection) -> None:
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.Error:
        pass


def _mark_keyed(conn: sqlite3.Connection) -> None:
    """Note where the keyed chain starts (the next record), once."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if conn.execute("SELECT 1 FROM audit_meta WHERE name = 'mac_from_sequence'").fetchone() \
                is None:
            row = conn.execute("SELECT max(sequence) FROM audit_events").fetchone()
            conn.execute("INSERT INTO audit_meta VALUES ('mac_from_sequence', ?)",
                         (str((row[0] or 0) + 1),))
        conn.execute("COMMIT")
    except BaseException:
        _rollback(conn)
        raise


def key_missing_error() -> AuditUnavailable:
    return AuditUnavailable(Message(
        "Nhật ký kiểm toán có khóa (HMAC) nhưng khóa bí mật chưa được cấu hình "
        "([audit] hmac_key_file).",
        "The audit log is keyed (HMAC) but the secret key is not configured "
        "([audit] hmac_key_file)."))


def open_audit_store(settings: Any, **kwargs: Any) -> Any:
    """The audit store ``settings`` configure: ``[audit] path``, keyed with the secret in
    ``[audit] hmac_key_file`` when one is set (read here, never logged)."""
    cfg = settings.audit
    key = None
    if getattr(cfg, "hmac_key_file", None) is not None:
        try:
            key = cfg.hmac_key_file.read_bytes().strip()
        except OSError as exc:
            raise AuditUnavailable() from exc
    from signsvc.adapters.audit_sqlite import SqliteAuditStore

    return SqliteAuditStore(cfg.path, mac_key=key, **kwargs)


class KeyedChainMixin:
    """See the module doc."""

    @property
    def keyed(self) -> bool:
        return self._mac_key is not None

    def integrity(self) -> dict[str, Any]:
        """Verify incrementally now (a read); the guard's status. Never raises."""
        try:
            conn = self._connection()
            found = self.guard.refresh(conn)
            if found is not None:
                self._alarm(found)
        except AuditUnavailable:
            pass
        except (sqlite3.Error, OSError):
            return {**self.guard.status(), "ok": False}
        self._start_background()
        return self.guard.status()

    def _start_background(self) -> None:
        """Verify what a fast start skipped, in a thread; a break fails the store closed."""
        if self.guard.background is None:
            return

        def run() -> None:
            try:
                conn = self._open()
                try:
                    found = self.guard.background_check(conn)
                finally:
                    conn.close()
            except (sqlite3.Error, OSError):
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
        """``(record, mac)`` after ``after_sequence`` from one snapshot, streamed."""
        try:
            conn = self._open()
            try:
                yield from self.guard._rows(conn, after_sequence)
            finally:
                conn.close()
        except (sqlite3.Error, OSError) as exc:
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
            return self.guard._row(self._connection(), sequence)
        except (sqlite3.Error, OSError) as exc:
            raise AuditUnavailable() from exc

    def meta(self) -> dict[str, str]:
        try:
            return read_meta(self._connection())
        except (sqlite3.Error, OSError) as exc:
            raise AuditUnavailable() from exc

    def acknowledge(self, event: AuditEvent) -> AuditRecord:
        """Append the operator's acknowledgement (its MAC restarts the keyed chain), clear
        the alarm; every process resumes from it (see ``ChainGuard``)."""
        if event.action != ACKNOWLEDGED_ACTION:
            raise ValueError(f"an acknowledgement is a {ACKNOWLEDGED_ACTION} record")
        try:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                record, mac = self._seal(conn, event, rebase=True)
                conn.execute("INSERT OR REPLACE INTO audit_meta VALUES ('ack_sequence', ?)",
                             (str(record.sequence),))
                conn.execute("DELETE FROM audit_meta WHERE name = 'alarm'")
                self._check_identity()
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise
        except (sqlite3.Error, OSError) as exc:
            raise AuditUnavailable() from exc
        self.guard.acknowledged(record, mac)
        return record

    def _alarm(self, broken: dict[str, Any]) -> None:
        """Record the break for the other processes (best effort: the guard holds it here)."""
        try:
            conn = self._open()
            try:
                head = conn.execute("SELECT max(sequence) FROM audit_events").fetchone()[0]
                conn.execute("INSERT OR IGNORE INTO audit_meta VALUES ('alarm', ?)",
                             (json.dumps({**broken, "at_head": head}, sort_keys=True,
                                         default=str),))
            finally:
                conn.close()
        except (sqlite3.Error, OSError):
            log.error("the audit chain alarm could not be written")
