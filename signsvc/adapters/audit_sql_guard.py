"""The audit store's integrity guard: fail closed on a broken chain, verify incrementally.

One ``ChainGuard`` per store object (so per process). It remembers the last verified record
(``Anchor``: sequence, hash, MAC). The first time it is asked it verifies the whole log
from the start (or from the newest valid operator acknowledgement); after that, each call
verifies only the records after the anchor and that the anchor record itself is still there
unchanged (which catches a cut tail and a re-chain that reaches it), so a check costs a
few indexed reads however long the log is.

A long log is not re-read at every start: with the key, the guard keeps a MAC'd marker of
the last record a full verification reached (``audit_meta.verified``, written every
``MARKER_EVERY`` records; nobody without the key can forge one). A process that starts on
a log with more than ``SYNC_FULL_LIMIT`` records after the marker's start point resumes
from the marker at once and verifies the records before it in a background thread
(``background``); below that limit (and without a key) it verifies everything first.

Once broken, it stays broken in this process until an operator's acknowledgement record
(``signsvc audit acknowledge``, MAC'd with the key) appears; the break is also written to
``audit_meta`` (``alarm``) so every other process sharing the file refuses too.
"""

from __future__ import annotations

import hmac
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Connection, func, select

from signsvc.adapters.db.sql import replace
from signsvc.adapters.db.tables import audit_events, audit_meta
from signsvc.audit.broken import broken_error
from signsvc.audit.events import AuditRecord
from signsvc.audit.keyed import (
    ACKNOWLEDGED_ACTION,
    Anchor,
    SegmentResult,
    mac_for,
    verify_segment,
)

SYNC_FULL_LIMIT = 50_000
"""Records a start-up verifies before serving; beyond that, from the marker (see above)."""
MARKER_EVERY = 1000

Rows = Callable[[Connection, int], Iterator[tuple[AuditRecord, "str | None"]]]
Row = Callable[[Connection, int], "tuple[AuditRecord, str | None] | None"]


_META = select(audit_meta.c.name, audit_meta.c.value)


def read_meta(conn: Connection) -> dict[str, str]:
    return {str(n): str(v) for n, v in conn.execute(_META)}


class ChainGuard:
    """See the module doc. Thread-safe; every method takes a connection of the store."""

    def __init__(self, key: bytes | None, rows: Rows, row: Row) -> None:
        self.key = key
        self._rows = rows
        self._row = row
        self._lock = threading.Lock()
        self.anchor = Anchor()
        self.broken: dict[str, Any] | None = None
        self.started = False
        self.mac_from: int | None = None
        self._ack_used = 0
        self.full_verified = False         # everything up to the anchor checked here
        self.background: tuple[Anchor, Anchor] | None = None   # (from, to) still to check
        self._marker_at = 0

    def status(self) -> dict[str, Any]:
        """What /readyz and the auditor's page show (no secret)."""
        return {"ok": self.broken is None and self.started, "keyed": self.key is not None,
                "verified_in_full": self.full_verified,
                "keyed_from_sequence": self.mac_from,
                "verified_sequence": self.anchor.sequence, "broken": self.broken}

    def refresh(self, conn: Connection, *, writable: bool = False
                ) -> dict[str, Any] | None:
        """Bring the anchor up to the head; the break found now (to be alarmed), else None.

        Raises ``AuditUnavailable`` (the chain's message) if the log is broken (found now or
        before, here or by another process) and not acknowledged since.
        """
        with self._lock:
            meta = read_meta(conn)
            found = self._marker(meta)
            self._meta = meta
            alarm = _json(meta.get("alarm"))
            ack = int(meta.get("ack_sequence") or 0)
            # an operator acknowledged what is before ``ack``: resume from there
            if ack and ack != self._ack_used and (
                    self.broken is not None or alarm or
                    (self.started and ack > self.anchor.sequence)) and self._rebase(conn, ack):
                alarm, found = None, self._marker(meta)
            if alarm and ack and _stale(alarm, ack):
                alarm = None  # raised about records an acknowledgement already covers
            if found is None and alarm and self.broken is None:
                self.broken = alarm
            if found is None and self.broken is None:
                found = self._verify(conn, ack)
            if found is not None and self.broken is None:
                self.broken = found
                return found
            if self.broken is not None:
                raise broken_error(self.broken)
            if writable and self.key is not None and self.full_verified and \
                    self.anchor.sequence - self._marker_at >= MARKER_EVERY:
                replace(conn, audit_meta, {"name": "verified",
                                           "value": json.dumps(self._marker_body(self.anchor))})
                self._marker_at = self.anchor.sequence
            return None

    def _marker_tag(self, sequence: int, record_hash: str, mac: str | None) -> str:
        assert self.key is not None
        return hmac.new(self.key, f"signsvc-audit-verified/1\n{sequence}\n{record_hash}\n"
                        f"{mac}".encode("ascii"), "sha256").hexdigest()

    def _marker_body(self, at: Anchor) -> dict[str, Any]:
        return {"sequence": at.sequence, "record_hash": at.record_hash, "mac": at.mac,
                "tag": self._marker_tag(at.sequence, at.record_hash, at.mac)}

    def _marker_anchor(self, conn: Connection, meta: dict[str, str]) -> Anchor | None:
        """The verified marker, if it is genuine and its record is still the same."""
        body = _json(meta.get("verified"))
        if self.key is None or not body:
            return None
        try:
            at = Anchor(int(body["sequence"]), str(body["record_hash"]), body.get("mac"))
            if not hmac.compare_digest(str(body["tag"]),
                                       self._marker_tag(at.sequence, at.record_hash, at.mac)):
                return None
        except (KeyError, TypeError, ValueError):
            return None
        item = self._row(conn, at.sequence)
        if item is None or item[0].record_hash != at.record_hash or item[1] != at.mac:
            return None
        return at

    def background_check(self, conn: Connection) -> dict[str, Any] | None:
        """Verify the records the start skipped (``background``); the break, else None."""
        with self._lock:
            span, self.background = self.background, None
        if span is None:
            return None
        start, marker = span

        def upto() -> Iterator[tuple[AuditRecord, str | None]]:
            for item in self._rows(conn, start.sequence):
                if item[0].sequence > marker.sequence:
                    return
                yield item

        result = verify_segment(upto(), start, self.key, self.mac_from)
        if not result.ok:
            return {"problem": result.problem, "sequence": result.sequence,
                    "detail": result.detail}
        if result.anchor != marker:
            return {"problem": "altered", "sequence": marker.sequence,
                    "detail": "the verified marker's record differs from the chain before it"}
        with self._lock:
            self.full_verified = True
        return None

    def advance(self, record: AuditRecord, mac: str | None) -> None:
        """After this process appended ``record`` on top of a verified head."""
        with self._lock:
            if self.broken is None and self.started and \
                    record.sequence == self.anchor.sequence + 1 and \
                    record.prev_hash == self.anchor.record_hash:
                self.anchor = Anchor(record.sequence, record.record_hash, mac)

    def trip(self, broken: dict[str, Any]) -> bool:
        """Mark the log broken (a finding of a full verification); True if newly broken."""
        with self._lock:
            if self.broken is not None:
                return False
            self.broken = broken
            return True

    def acknowledged(self, record: AuditRecord, mac: str | None) -> None:
        """This process wrote the acknowledgement ``record``: resume from it."""
        with self._lock:
            self.anchor = Anchor(record.sequence, record.record_hash, mac)
            self.broken = None
            self.started = self.full_verified = True
            self._ack_used = record.sequence

    # -- internals -------------------------------------------------------------------------

    def _marker(self, meta: dict[str, str]) -> dict[str, Any] | None:
        raw = meta.get("mac_from_sequence")
        value = int(raw) if raw and raw.isdigit() else None
        if self.mac_from is None:
            self.mac_from = value
            if value is None and self.key is not None:
                return {"problem": "keyed-marker", "sequence": None,
                        "detail": "no keyed-chain marker in the database"}
            return None
        if value != self.mac_from:
            return {"problem": "keyed-marker", "sequence": None,
                    "detail": f"was record #{self.mac_from}, now {raw!r}"}
        return None

    def genuine(self, record: AuditRecord, mac: str | None) -> bool:
        """Whether ``record`` is an acknowledgement written with the key (any, unkeyed)."""
        if record.action != ACKNOWLEDGED_ACTION:
            return False
        if self.key is None:
            return True
        try:
            wanted = mac_for(self.key, record, None, self.mac_from)
        except ValueError:
            return False
        return isinstance(mac, str) and hmac.compare_digest(mac, wanted)

    def _rebase(self, conn: Connection, ack: int) -> bool:
        """Resume from the acknowledgement record ``ack`` if it is genuine."""
        item = self._row(conn, ack)
        if item is None or not self.genuine(*item):
            return False
        record, mac = item
        self.anchor = Anchor(record.sequence, record.record_hash, mac)
        self.broken = None
        self.started = self.full_verified = True
        self._ack_used = ack
        raw = (getattr(self, "_meta", None) or {}).get("mac_from_sequence")
        if raw and raw.isdigit():
            self.mac_from = int(raw)  # the marker as it stood when the operator acknowledged
        return True

    def _verify(self, conn: Connection, ack: int) -> dict[str, Any] | None:
        if not self.started:
            if not (ack and self._rebase(conn, ack)):
                self.anchor = Anchor()
            self.started = True
            marker = self._marker_anchor(conn, self._meta)
            head = conn.execute(select(func.max(audit_events.c.sequence))).scalar() or 0
            if marker is not None and marker.sequence > self.anchor.sequence and \
                    head - self.anchor.sequence > SYNC_FULL_LIMIT:
                self.background = (self.anchor, marker)
                self.anchor = marker
                self._marker_at = marker.sequence
            else:
                self.full_verified = True
        else:
            at = self.anchor
            if at.sequence:
                item = self._row(conn, at.sequence)
                if item is None:
                    return {"problem": "deleted", "sequence": at.sequence,
                            "detail": "the last verified record is gone (the tail was cut)"}
                record, mac = item
                if record.record_hash != at.record_hash or mac != at.mac:
                    return {"problem": "altered", "sequence": at.sequence,
                            "detail": "the last verified record changed (re-chained)"}
        result: SegmentResult = verify_segment(self._rows(conn, self.anchor.sequence),
                                               self.anchor, self.key, self.mac_from)
        self.anchor = result.anchor
        if result.ok:
            return None
        return {"problem": result.problem, "sequence": result.sequence, "detail": result.detail}


def _stale(alarm: dict[str, Any], ack: int) -> bool:
    """An alarm about a record before the acknowledgement, or raised before it was written."""
    for name in ("sequence", "at_head"):
        value = alarm.get(name)
        if type(value) is int and value < ack:
            return True
    return False


def _json(raw: str | None) -> dict[str, Any] | None:
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return {"problem": "unreadable", "sequence": None, "detail": "alarm unreadable"}
    return value if isinstance(value, dict) else None
