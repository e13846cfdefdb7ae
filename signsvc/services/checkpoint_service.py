"""Audit checkpoints: take them (every N records or T seconds), list them, check the log
against them, and export the log for offline verification.

Fail-safe: a checkpoint that cannot be made (TSA down, token away) is logged and audited
(``audit:checkpoint:failed``, once per run of failures) and retried later; it never
blocks or fails a signature. Each process runs one background thread (started by
``start``), which wakes every ``POLL_SECONDS`` and checkpoints when ``every_records``
records have been appended since the last checkpoint, or when ``every_seconds`` have
passed and there is anything new. Two processes that sign the same head store it once
(the store's unique head and index).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time as _time
import uuid
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Protocol

from signsvc.audit.checkpoints import (
    CHECKPOINT_ACTION, CHECKPOINT_FAILED_ACTION, CheckpointSignatureChecker, LogVerification,
    SignedCheckpoint, next_checkpoint, verify_log,
)
from signsvc.audit.events import AuditEvent, format_time, parse_time
from signsvc.audit.export import build_export, dump_export
from signsvc.audit.ports import AuditStore
from signsvc.errors import AuditUnavailable, BadRequest, CheckpointUnavailable, Message
from signsvc.services.audit_service import AuditService
from signsvc.services.context import RequestContext

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
"""How often the background thread looks at the head (one indexed query)."""
EXPORTED_ACTION = "audit:log:exported"


class CheckpointStore(Protocol):
    def add(self, signed: SignedCheckpoint) -> bool: ...
    def last(self) -> SignedCheckpoint | None: ...
    def list(self, after_index: int = 0, limit: int | None = None, *,
             min_head_sequence: int = 0) -> list[SignedCheckpoint]: ...


class PayloadSigner(Protocol):
    key_id: str
    certificate_sha256: str

    def sign(self, payload: bytes) -> tuple[bytes, bytes]: ...


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _system_ctx() -> RequestContext:
    return RequestContext(request_id=uuid.uuid4().hex, actor="system", role="admin",
                          client_address="local")


class CheckpointService:
    """Checkpoints of one audit log, signed by one key (or none: then only checked)."""

    def __init__(self, store: AuditStore, checkpoints: CheckpointStore, audit: AuditService,
                 signer: PayloadSigner | None, checker: CheckpointSignatureChecker | None, *,
                 every_records: int = 1000, every_seconds: float = 300.0,
                 export_certificates: Iterable[bytes] = (),
                 trust_anchors: Iterable[dict[str, str]] = (), trust_anchors_sha256: str = "",
                 service_info: dict[str, Any] | None = None,
                 clock: Callable[[], datetime] = _utc_now) -> None:
        self._store = store
        self._checkpoints = checkpoints
        self._audit = audit
        self._signer = signer
        self._checker = checker
        self.every_records = every_records
        self.every_seconds = every_seconds
        self._export_certificates = list(export_certificates)
        self._trust_anchors = list(trust_anchors)
        self._trust_anchors_sha256 = trust_anchors_sha256
        self._service_info = dict(service_info or {"name": "signsvc"})
        self._clock = clock
        self._lock = threading.Lock()          # one checkpoint at a time in this process
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False
        self._last_attempt = _time.monotonic()

    @property
    def enabled(self) -> bool:
        """True when a key is configured to sign checkpoints."""
        return self._signer is not None

    # -- taking checkpoints -------------------------------------------------------------

    def due(self) -> bool:
        """Whether the head should be checkpointed now (count or time)."""
        sequence, _ = self._store.head()
        last = self._checkpoints.last()
        covered = last.checkpoint.head_sequence if last is not None else 0
        if not isinstance(covered, int):
            covered = 0
        new = sequence - covered
        if new <= 0:
            return False
        if new == 1 and last is not None:
            # the only new record may be the one saying that the last checkpoint was made
            (only,) = self._store.records(covered, limit=1) or (None,)
            if only is not None and only.action == CHECKPOINT_ACTION:
                return False
        if new >= self.every_records:
            return True
        return _time.monotonic() - self._last_attempt >= self.every_seconds

    def create(self, ctx: RequestContext | None = None) -> SignedCheckpoint:
        """Checkpoint the current head now (or return the checkpoint that already covers it).

        Raises ``CheckpointUnavailable`` if no key is configured or signing/time-stamping
        fails (the failure is audited), ``AuditUnavailable`` if the store fails.
        """
        if self._signer is None:
            raise CheckpointUnavailable(Message(
                "Chưa cấu hình khóa ký điểm kiểm soát nhật ký ([audit] checkpoint_key).",
                "No audit checkpoint key is configured ([audit] checkpoint_key)."))
        ctx = ctx or _system_ctx()
        with self._lock:
            self._last_attempt = _time.monotonic()
            for _attempt in range(3):
                sequence, head_hash = self._store.head()
                last = self._checkpoints.last()
                if last is not None and last.checkpoint.head_sequence == sequence:
                    return last
                cp = next_checkpoint(last.checkpoint if last else None, sequence, head_hash,
                                     format_time(self._clock()))
                try:
                    signature, token = self._signer.sign(cp.payload())
                except Exception as exc:
                    self._record_failure(ctx, exc)
                    raise CheckpointUnavailable() from exc
                signed = SignedCheckpoint(cp, signature, token, self._signer.certificate_sha256)
                if self._checkpoints.add(signed):
                    self._failing = False
                    self._audit.record(AuditEvent(
                        action=CHECKPOINT_ACTION, outcome="success", actor=ctx.actor,
                        role=ctx.role, request_id=ctx.request_id,
                        client_address=ctx.client_address, key_id=self._signer.key_id,
                        certificate_sha256=self._signer.certificate_sha256,
                        details={"checkpoint": cp.index, "head_sequence": cp.head_sequence,
                                 "head_hash": cp.head_hash,
                                 "payload_sha256": cp.payload_sha256()}))
                    log.info("audit checkpoint #%d at sequence %d", cp.index, cp.head_sequence)
                    return signed
                # another process stored this index or head first: look again
            raise CheckpointUnavailable()

    def _record_failure(self, ctx: RequestContext, exc: BaseException) -> None:
        log.warning("audit checkpoint failed: %s: %s", type(exc).__name__, exc)
        if self._failing:
            return  # audited once per run of failures, not every poll
        self._failing = True
        try:
            self._audit.record(AuditEvent(
                action=CHECKPOINT_FAILED_ACTION, outcome="failure", actor=ctx.actor,
                role=ctx.role, request_id=ctx.request_id, client_address=ctx.client_address,
                key_id=self._signer.key_id if self._signer else None,
                error_code=getattr(exc, "code", None) or "checkpoint-unavailable",
                details={"error": type(exc).__name__}))
        except AuditUnavailable:
            log.error("audit checkpoint failure could not be audited")

    def run_once(self) -> SignedCheckpoint | None:
        """One background step: checkpoint if due; never raises."""
        try:
            if self.due():
                return self.create()
        except (CheckpointUnavailable, AuditUnavailable):
            pass  # logged (and audited) in create; retried after every_seconds
        except Exception:
            log.exception("audit checkpoint step failed")
        return None

    def start(self) -> None:
        """Start this process's background thread (idempotent; no-op without a key)."""
        if self._signer is None or (self._thread is not None and self._thread.is_alive()
                                    and self._pid == os.getpid()):
            return
        self._stop.clear()
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._loop, name="audit-checkpoints",
                                        daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            if self._failing and _time.monotonic() - self._last_attempt < self.every_seconds:
                continue  # after a failure, wait a full period before trying again
            self.run_once()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    # -- reading and checking -----------------------------------------------------------

    def list(self, *, after_index: int = 0, limit: int = 100) -> list[SignedCheckpoint]:
        return self._checkpoints.list(after_index, min(max(1, limit), 1000))

    def verify(self) -> LogVerification:
        """The stored log against its chain and checkpoints (the newest signature checked)."""
        checkpoints = self._checkpoints.list()
        records = self._store.iter_all()
        try:
            return verify_log(records, checkpoints, self._checker, verify_signatures="last")
        finally:
            close = getattr(records, "close", None)
            if close is not None:
                close()

    # -- export ---------------------------------------------------------------------------

    def export(self, ctx: RequestContext, since: str | None = None) -> tuple[bytes, dict[str, Any]]:
        """``(export bytes, summary)``: records from ``since`` to a fresh checkpoint.

        The export and its SHA-256 are audited (``audit:log:exported``); a failure to
        checkpoint is audited as a failed export and raised (``CheckpointUnavailable``).
        """
        bound = None
        if since:
            try:
                bound = parse_time(since)
            except ValueError:
                raise BadRequest(Message("since phải là ngày hoặc thời điểm theo ISO-8601.",
                                         "since must be an ISO-8601 date or date-time."),
                                 parameter="since") from None
        try:
            checkpoint = self.create(ctx)
        except CheckpointUnavailable as exc:
            self._audit.record(AuditEvent(
                action=EXPORTED_ACTION, outcome="failure", actor=ctx.actor, role=ctx.role,
                request_id=ctx.request_id, client_address=ctx.client_address,
                error_code=exc.code, details={"since": bound}))
            raise
        head = checkpoint.checkpoint.head_sequence
        records = []
        stream = self._store.iter_all()
        try:
            for record in stream:
                if record.sequence > head:
                    break
                if records or bound is None or (isinstance(record.time, str)
                                                and record.time >= bound):
                    records.append(record)
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        first = records[0].sequence if records else head + 1
        checkpoints = self._checkpoints.list(min_head_sequence=first - 1)
        checkpoints = [c for c in checkpoints if c.checkpoint.head_sequence <= head]
        document = build_export(
            created=format_time(self._clock()), exported_by=ctx.actor, since=bound,
            records=records, checkpoints=checkpoints, certificates=self._export_certificates,
            trust_anchors=self._trust_anchors, trust_anchors_sha256=self._trust_anchors_sha256,
            service=self._service_info)
        data = dump_export(document)
        sha256 = hashlib.sha256(data).hexdigest()
        self._audit.record(AuditEvent(
            action=EXPORTED_ACTION, outcome="success", actor=ctx.actor, role=ctx.role,
            request_id=ctx.request_id, client_address=ctx.client_address, output_sha256=sha256,
            details={"since": bound, "first_sequence": document["first_sequence"],
                     "last_sequence": document["last_sequence"], "records": len(records),
                     "checkpoint": checkpoint.checkpoint.index}))
        summary = {"sha256": sha256, "records": len(records),
                   "first_sequence": document["first_sequence"],
                   "last_sequence": document["last_sequence"],
                   "checkpoint": checkpoint.checkpoint.index}
        return data, summary
