"""Audit checkpoints: take them (every N records or T seconds), list them, check the log
against them, and export the log for offline verification.

Fail-safe: a checkpoint that cannot be made (TSA down, token away) is logged and audited
(``audit:checkpoint:failed``, once per run of failures) and retried later; it never
blocks or fails a signature. Each process runs one background thread (started by
``start``), which wakes every ``POLL_SECONDS`` and checkpoints when ``every_records``
records have been appended since the last checkpoint, or when ``every_seconds`` have
passed and there is anything new. One process at a time takes a checkpoint (the store's
``exclusive`` lock, an flock); the others find the head covered and sign nothing. Two
processes that still sign the same head store it once (the store's unique head and index).

Before signing, the chain is verified from the previous checkpoint (hash chain and MACs);
a checkpoint never moves backwards (a head at or below the previous checkpoint's with
another hash is refused, and the log is marked broken: the service fails closed). With an
external folder (``[audit] checkpoint_dir``) every checkpoint is written there first (the
file is the lock between processes) and then into the database.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time as _time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from signsvc.audit.broken import broken_error
from signsvc.audit.checkpoints import (
    CHECKPOINT_ACTION,
    CHECKPOINT_FAILED_ACTION,
    CheckpointSignatureChecker,
    SignedCheckpoint,
    next_checkpoint,
)
from signsvc.audit.events import AuditEvent, format_time
from signsvc.audit.external import AuditVerification, unacknowledged, verify_full
from signsvc.audit.ports import AuditStore
from signsvc.audit_tags import AuditTag
from signsvc.errors import AuditUnavailable, CheckpointUnavailable, Message
from signsvc.names import AuditOutcome, Role
from signsvc.services.audit_service import AuditService
from signsvc.services.context import RequestContext

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
"""How often the background thread looks at the head (one indexed query)."""
EXPORTED_ACTION = AuditTag.AUDIT_LOG_EXPORTED


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
    return datetime.now(UTC)


def _system_ctx() -> RequestContext:
    return RequestContext(request_id=uuid.uuid4().hex, actor="system", role=Role.ADMIN,
                          client_address="local")


class CheckpointService:
    """Checkpoints of one audit log, signed by one key (or none: then only checked)."""

    def __init__(self, store: AuditStore, checkpoints: CheckpointStore, audit: AuditService,
                 signer: PayloadSigner | None, checker: CheckpointSignatureChecker | None, *,
                 every_records: int = 1000, every_seconds: float = 300.0,
                 export_certificates: Iterable[bytes] = (),
                 trust_anchors: Iterable[dict[str, str]] = (), trust_anchors_sha256: str = "",
                 service_info: dict[str, Any] | None = None,
                 clock: Callable[[], datetime] = _utc_now, external: Any = None) -> None:
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
        self._external = external              # FileCheckpointStore or None
        self._signature_cache: dict[tuple[int, str], Any] = {}
        self._lock = threading.Lock()          # one checkpoint at a time in this process
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0                          # the process that started the thread
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
        if last is not None and isinstance(last.checkpoint.time, str):
            try:   # taken by any process less than every_seconds ago: not due by time
                taken = datetime.fromisoformat(last.checkpoint.time)  # stored format, "Z"
                if (self._clock() - taken).total_seconds() < self.every_seconds:
                    return False
            except ValueError:
                pass
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
        with self._lock, self._exclusive(wait_seconds=30.0):
            # the other process's checkpoint (if it held the lock) is found below; after 30 s
            # go ahead anyway: the store's unique index and head still store a head once
            return self._create_locked(ctx)

    def _exclusive(self, wait_seconds: float):
        """The checkpoint store's lock between processes (``exclusive``), if it has one."""
        exclusive = getattr(self._checkpoints, "exclusive", None)
        return exclusive(wait_seconds=wait_seconds) if exclusive is not None \
            else contextlib.nullcontext(True)

    def _create_locked(self, ctx: RequestContext) -> SignedCheckpoint:
        """``create``'s work; the caller holds ``self._lock`` (and the store's lock)."""
        assert self._signer is not None
        self._last_attempt = _time.monotonic()
        for _attempt in range(3):
            sequence, head_hash = self._store.head()
            last = self._previous()
            if last is not None and last.checkpoint.head_sequence == sequence \
                    and last.checkpoint.head_hash == head_hash:
                return last
            self._verify_since(last, sequence)
            cp = next_checkpoint(last.checkpoint if last else None, sequence, head_hash,
                                 format_time(self._clock()))
            try:
                signature, token = self._signer.sign(cp.payload())
            except Exception as exc:
                self._record_failure(ctx, exc)
                raise CheckpointUnavailable() from exc
            signed = SignedCheckpoint(cp, signature, token, self._signer.certificate_sha256)
            if self._external is not None:
                try:
                    if not self._external.add(signed, self._mac_from()):
                        continue  # another process wrote this index first: look again
                except CheckpointUnavailable as exc:
                    self._record_failure(ctx, exc)
                    raise
            if self._checkpoints.add(signed):
                self._failing = False
                self._audit.record(AuditEvent(
                    action=CHECKPOINT_ACTION, outcome=AuditOutcome.SUCCESS, actor=ctx.actor,
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

    def _previous(self) -> SignedCheckpoint | None:
        """The newest checkpoint, in the database or (newer) in the external folder."""
        last = self._checkpoints.last()
        if self._external is not None:
            outside = self._external.last()
            if outside is not None and (last is None or
                                        outside.checkpoint.index > last.checkpoint.index):
                return outside
        return last

    def _mac_from(self) -> int | None:
        guard = getattr(self._store, "guard", None)
        return guard.mac_from if guard is not None else None

    def _broken(self, broken: dict[str, Any]) -> AuditUnavailable:
        """Mark the log broken (the service fails closed) and the error to raise."""
        trip = getattr(self._store, "trip", None)
        if trip is not None:
            trip(broken)  # logs it, once
        return broken_error(broken)

    def _verify_since(self, last: SignedCheckpoint | None, sequence: int) -> None:
        """Raise (and fail closed) unless the log from ``last``'s head to ``sequence`` is
        intact and after it: a checkpoint never moves backwards nor signs a forged tail."""
        guard = getattr(self._store, "guard", None)
        if guard is not None and guard.broken is not None:
            raise broken_error(guard.broken)  # closed until an operator acknowledges
        if last is not None:
            cp = last.checkpoint
            if sequence <= cp.head_sequence:
                raise self._broken({"problem": "checkpoint-backwards", "sequence": sequence,
                                    "checkpoint": cp.index + 1,
                                    "detail": f"head #{sequence} is not after checkpoint "
                                              f"#{cp.index} (record #{cp.head_sequence})"})
        verify_since = getattr(self._store, "verify_since", None)
        if verify_since is None:
            return
        start = (last.checkpoint.head_sequence, last.checkpoint.head_hash) if last else (0, None)
        result = verify_since(*start)
        if not result.ok:
            raise self._broken({"problem": result.problem, "sequence": result.sequence,
                                "checkpoint": last.checkpoint.index if last else None,
                                "detail": result.detail})

    def _record_failure(self, ctx: RequestContext, exc: BaseException) -> None:
        log.warning("audit checkpoint failed: %s: %s", type(exc).__name__, exc)
        if self._failing:
            return  # audited once per run of failures, not every poll
        self._failing = True
        try:
            self._audit.record(AuditEvent(
                action=CHECKPOINT_FAILED_ACTION, outcome=AuditOutcome.FAILURE, actor=ctx.actor,
                role=ctx.role, request_id=ctx.request_id, client_address=ctx.client_address,
                key_id=self._signer.key_id if self._signer else None,
                error_code=getattr(exc, "code", None) or "checkpoint-unavailable",
                details={"error": type(exc).__name__}))
        except AuditUnavailable:
            log.error("audit checkpoint failure could not be audited")

    def run_once(self) -> SignedCheckpoint | None:
        """One background step: checkpoint if due; never raises."""
        try:
            if self._signer is None or not self.due():
                return None
            with self._lock, self._exclusive(wait_seconds=0.0) as mine:
                # one process at a time: N workers do not each sign the same stretch of log;
                # the one that waited finds it checkpointed (not due any more)
                if mine and self.due():
                    return self._create_locked(_system_ctx())
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

    def verify(self) -> AuditVerification:
        """The whole log in every mode configured: hash chain, MACs (keyed), checkpoints (the
        newest signature checked), database checkpoints against the external ones.

        A finding the operator has not acknowledged marks the log broken (fails closed)."""
        checkpoints = self._checkpoints.list()
        external, ext_from, problems = (None, None, [])
        if self._external is not None:
            external, ext_from, problems = self._external.scan()
        with_mac = getattr(self._store, "iter_with_mac", None)
        records = with_mac() if with_mac is not None else (
            (r, None) for r in self._store.iter_all())
        ack, ack_cp = self.acknowledged()
        try:
            guard = getattr(self._store, "guard", None)
            result = verify_full(records, checkpoints, external, self._checker,
                                 key=guard.key if guard else None,
                                 mac_from=guard.mac_from if guard else None,
                                 external_mac_from=ext_from, external_problems=problems,
                                 acknowledged_sequence=ack)
        finally:
            close = getattr(records, "close", None)
            if close is not None:
                close()
        open_findings = unacknowledged(result.findings, ack, ack_cp)
        if open_findings:
            f = open_findings[0]
            self._broken({"problem": f.problem, "sequence": f.sequence,
                          "end_sequence": f.end_sequence, "checkpoint": f.checkpoint,
                          "detail": f.detail})
        return result

    def status(self, shown: Iterable[int] = ()) -> dict[str, Any]:
        """Incremental status for every view of the auditor's page, the records ``shown``
        checked one by one (see checkpoint_status)."""
        from signsvc.services.checkpoint_status import page_status

        return page_status(self, list(shown))

    def acknowledged(self) -> tuple[int | None, int | None]:
        """The newest acknowledgement's record and the last checkpoint index it covers."""
        meta = getattr(self._store, "meta", None)
        raw = meta().get("ack_sequence") if meta is not None else None
        if not raw or not raw.isdigit():
            return None, None
        store: Any = self._store  # record_at and guard: SqlAuditStore's, not the port's
        item = store.record_at(int(raw))
        if item is None or not store.guard.genuine(*item):
            return None, None
        cp = item[0].details.get("checkpoint_index")
        return int(raw), cp if type(cp) is int else None

    # -- export ---------------------------------------------------------------------------

    def export(self, ctx: RequestContext, since: str | None = None) -> tuple[bytes, dict[str, Any]]:
        """``(export bytes, summary)``: records from ``since`` to a fresh checkpoint (audited;
        see checkpoint_export.export_log)."""
        from signsvc.services.checkpoint_export import export_log

        return export_log(self, ctx, since)
