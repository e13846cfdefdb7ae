"""The audit log and its signed checkpoints: for the service (checkpoint thread, start-up
integrity check) and for the console (records stamped with the policy, checking only)."""

from __future__ import annotations

from collections.abc import Sequence

from signsvc import __version__
from signsvc.adapters.audit_sql import SqlAuditStore
from signsvc.adapters.checkpoint_files import FileCheckpointStore
from signsvc.adapters.checkpoint_signer import CheckpointChecker, CheckpointSigner, certificates_of
from signsvc.app.builders import stores
from signsvc.app.builders.policy import policy_or_none
from signsvc.errors import ConfigError, Message
from signsvc.keys.registry import KeyRegistry
from signsvc.services.audit_service import AuditService
from signsvc.services.checkpoint_service import CheckpointService
from signsvc.services.checkpoint_status import startup_check
from signsvc.services.policy_service import PolicyHolder, PolicyStampedAudit
from signsvc.settings import Settings
from signsvc.signing.timestamps import TimeStamper
from signsvc.validation.trust import TrustAnchors


def console_audit(settings: Settings) -> AuditService:
    """The audit log for a console command, stamping each record with the policy hash when
    a policy is known (the policy file's, else the last one in force)."""
    store = stores.audit_store(settings)
    policy = policy_or_none(settings)
    return PolicyStampedAudit(store, PolicyHolder(policy)) if policy else AuditService(store)


def _external(settings: Settings, store: SqlAuditStore) -> FileCheckpointStore | None:
    folder = settings.audit.checkpoint_dir
    return None if folder is None else FileCheckpointStore(folder, store.guard.key)


def build_checkpoints(settings: Settings, audit_store: SqlAuditStore, audit: AuditService,
                      keys: KeyRegistry, timestamper: TimeStamper | None,
                      trust: TrustAnchors) -> CheckpointService:
    """Signed checkpoints of the audit log, in the audit file (and one file each in ``[audit]
    checkpoint_dir``); the background thread started when ``[audit] checkpoint_key`` names a
    key (without one they are only checked). The log's integrity is checked here, at start-up
    (``checkpoint_status.startup_check``): a break fails the service closed."""
    cfg = settings.audit
    signer = None
    if cfg.checkpoint_key:
        if timestamper is None:
            raise ConfigError(Message(
                "Cấu hình [audit.checkpoint_key]: cần máy chủ cấp dấu thời gian ([timestamp] urls)",
                "Configuration [audit.checkpoint_key]: checkpoints need a TSA ([timestamp] urls)"))
        signer = CheckpointSigner(keys.get(cfg.checkpoint_key), timestamper)
    certs: dict[bytes, None] = {}
    for cert in (*(signer.certificates() if signer else ()), *trust.intermediates, *trust.anchors):
        certs.setdefault(cert.dump(), None)
    service = CheckpointService(
        audit_store, stores.checkpoint_store(settings), audit, signer,
        CheckpointChecker(trust.anchors, trust.intermediates),
        every_records=cfg.checkpoint_every_records, every_seconds=cfg.checkpoint_every_seconds,
        export_certificates=list(certs),
        trust_anchors=[{"subject": a.subject.human_friendly, "sha256": a.sha256.hex()}
                       for a in trust.anchors],
        trust_anchors_sha256=trust.sha256,
        service_info={"name": "signsvc", "version": __version__, "trust_anchors_name": trust.name},
        external=_external(settings, audit_store))
    startup_check(service)
    service.start()
    return service


def checking_checkpoints(settings: Settings, store: SqlAuditStore,
                         trust: TrustAnchors) -> CheckpointService:
    """A checkpoint service over ``store`` that checks (never signs) checkpoints
    (``signsvc audit verify`` and ``acknowledge``); no thread started."""
    return CheckpointService(
        store, stores.checkpoint_store(settings), AuditService(store), None,
        CheckpointChecker(trust.anchors, trust.intermediates),
        external=_external(settings, store))


def export_checker(trust: TrustAnchors, certificate_ders: Sequence[bytes]) -> CheckpointChecker:
    """Checks an export's checkpoint signatures offline: ``trust``'s anchors, path building
    helped by its intermediates and the certificates the export carries (no trust granted)."""
    return CheckpointChecker(trust.anchors, [*trust.intermediates,
                                             *certificates_of(certificate_ders)])
