"""Composition root: the only place where adapters are wired into the domain's ports."""

from __future__ import annotations

import logging
import os

from flask import Flask

import uuid
from datetime import datetime, timezone

from signsvc.adapters.audit_sqlite import SqliteAuditStore, open_audit_store
from signsvc.adapters.cert_status import CertificateStatusChecker
from signsvc.adapters.policy_file import ActivePolicy, load_policy_file
from signsvc.audit.events import AuditEvent
from signsvc.policy.engine import Policy
from signsvc.policy.facts import PriorSignature
from signsvc.policy.loader import PolicyError, parse_policy
from signsvc.services.context import RequestContext
from signsvc.services.policy_service import PolicyHolder, PolicyService, PolicyStampedAudit
from signsvc.services.rate_limits import RateLedger
from signsvc.adapters.rate_counters_sqlite import SqliteRateCounters
from signsvc.signing.clock import ClockMonitor
from signsvc.adapters.clients_sqlite import SqliteClientStore
from signsvc.adapters.revocation_cache_sqlite import ResilientFetcherBackend, SqliteRevocationCache
from signsvc.adapters.pdftotext_words import pdftotext_words
from signsvc.adapters.pkcs11_keys import Pkcs11Key, Pkcs11Modules
from signsvc.adapters.software_keys import SoftwareKey
from signsvc.keys.registry import KeyRegistry
from signsvc.services.audit_service import AuditService
from signsvc.services.client_service import ClientService
from signsvc.services.container import Services
from signsvc.services.readiness import ReadinessService
from signsvc.services.signing_service import SigningService
from signsvc.services.validation_service import ValidationService
from signsvc.settings import Settings, load_settings
from signsvc.signing.pades import PadesSigner
from signsvc.signing.ltv import Fallback
from signsvc.signing.timestamps import make_timestamper, validation_context_factory
from signsvc.validation.trust import load_trust_anchors
from signsvc.validation.validator import PdfValidator

log = logging.getLogger(__name__)


def open_keys(settings: Settings) -> KeyRegistry:
    """Open every configured key once; a bad key stops start-up with a ``ConfigError``."""
    if settings.pkcs11.softhsm2_conf is not None:
        os.environ.setdefault("SOFTHSM2_CONF", str(settings.pkcs11.softhsm2_conf))
    modules = Pkcs11Modules()
    opened = []
    try:
        for spec in settings.keys:
            if spec.backend == "pkcs11":
                opened.append(Pkcs11Key(spec, modules.get(str(spec.module)),
                                        settings.pkcs11.sessions_per_key))
            else:
                opened.append(SoftwareKey(spec))
    except Exception:
        for key in opened:
            key.close()
        raise
    return KeyRegistry(opened)


def load_policy(settings: Settings, audit: AuditService, *, reloading: bool) -> Policy:
    """The policy from its file. At start-up a bad file stops the service; on a reload
    (SIGHUP) the last policy that was in force is kept and the failed attempt audited.
    A policy different from the last one in force is audited with both hashes."""
    active = ActivePolicy(settings.service.state_dir)
    known_keys = {k.id for k in settings.keys}
    ctx = RequestContext(request_id=uuid.uuid4().hex, actor="system", role="admin",
                         client_address="local")
    try:
        policy = load_policy_file(settings.policy.path, known_keys)
    except PolicyError as exc:
        kept = active.last_good() if reloading else None
        if kept is None:
            raise
        policy = parse_policy(kept, known_keys)
        audit.record(AuditEvent(action="policy:policy:reload_failed", outcome="failure",
                                actor=ctx.actor, role=ctx.role, request_id=ctx.request_id,
                                error_code=exc.code,
                                details={"error": exc.message.en[:500], "kept_sha256": policy.sha256}))
        return policy
    changed, old = active.remember(policy)
    if changed:
        audit.record(AuditEvent(action="policy:policy:loaded", outcome="success", actor=ctx.actor,
                                role=ctx.role, request_id=ctx.request_id,
                                details={"old_sha256": old, "new_sha256": policy.sha256,
                                         "version": policy.version[:64]}))
    return policy


def prior_signatures(validator: PdfValidator, official_certificates):
    """Existing signatures of a document, as the seal-after-official rule needs them (WF-2):
    ``official`` is True only for a certificate registered to a client of role ``official``
    (``official_certificates()``: their SHA-256, read now, so a registration or a role change
    applies at once); ``policy_oids`` are the certificate policies the signer's certificate
    carries (the rule may accept the personal signature's policy). A seal key's or a
    portal's certificate never counts as an official's."""
    from signsvc.signing.pdf_input import signer_certificate_policies

    def read(data: bytes) -> tuple[PriorSignature, ...]:
        report = validator.validate(data)
        officials = official_certificates()
        policies = signer_certificate_policies(data)
        return tuple(PriorSignature(
            signer=(s.signer.common_name if s.signer else "?"),
            valid=s.indication == "TOTAL-PASSED",
            official=s.signer is not None and s.signer.certificate_sha256 in officials,
            policy_oids=policies.get(s.signer.certificate_sha256, frozenset()) if s.signer
            else frozenset())
            for s in report.signatures)
    return read


def registered_official_certificates(settings: Settings, client_store: SqliteClientStore):
    """SHA-256 of every certificate registered (``signsvc clients register-cert``) to a client
    whose role is ``official``, read from the stores on each call."""
    from signsvc.adapters.workflow_sqlite import SqliteWorkflowStore

    store = SqliteWorkflowStore(settings.service.state_dir / "workflow.sqlite3")

    def read() -> set[str]:
        return {sha for c in client_store.list() if c.role == "official"
                for sha, _ in store.certificates_of(c.name)}
    return read


def build_services(settings: Settings, *, reloading: bool = False) -> Services:
    """Everything the service needs, built once at start-up."""
    # pyHanko logs a full traceback at WARNING for every untrusted or revoked signer it
    # validates; that outcome is in the report already.
    logging.getLogger("pyhanko.sign.validation.generic_cms").setLevel(logging.ERROR)
    trust = load_trust_anchors(settings.trust.name, settings.trust.anchors,
                               settings.trust.intermediates, settings.trust.allow_sha1_roots)
    audit_store = open_audit_store(settings)
    policy = load_policy(settings, AuditService(audit_store), reloading=reloading)
    holder = PolicyHolder(policy)
    rate_store = SqliteRateCounters(settings.service.state_dir / "signsvc.sqlite3")
    rates = RateLedger(rate_store, lambda: datetime.now(timezone.utc))
    audit = PolicyStampedAudit(audit_store, holder, rates)
    client_store = SqliteClientStore(settings.service.state_dir / "signsvc.sqlite3")
    keys = open_keys(settings)
    clock = ClockMonitor()
    ts, rev = settings.timestamp, settings.revocation
    revocation_cache = SqliteRevocationCache(settings.service.state_dir / "signsvc.sqlite3") \
        if rev.cache else None
    fetchers = ResilientFetcherBackend(revocation_cache, timeout_seconds=rev.timeout_seconds,
                                       retries=rev.retries, backoff_seconds=rev.backoff_seconds)
    timestamper = make_timestamper(ts.urls, ts.timeout_seconds, retries=ts.retries,
                                   backoff_seconds=ts.backoff_seconds,
                                   max_clock_skew_seconds=ts.max_clock_skew_seconds,
                                   trust_roots=trust.anchors, intermediates=trust.intermediates)
    lt_contexts = validation_context_factory(trust.anchors, trust.intermediates, fetchers)
    pades = PadesSigner(timestamper, lt_contexts, clock=clock,
                        fallback=Fallback(timestamp=ts.on_unavailable, revocation=rev.on_unavailable),
                        appearance=settings.appearance, page_words=pdftotext_words)
    validator = PdfValidator(trust, policy_sha256=policy.sha256, policy_version=policy.version,
                             allow_fetching=settings.trust.allow_fetching,
                             revocation_mode=settings.trust.revocation,
                             fetcher_backend=fetchers)  # revocation data cached until nextUpdate
    status = CertificateStatusChecker(trust.anchors, trust.intermediates,
                                      allow_fetching=settings.trust.allow_fetching,
                                      ttl_seconds=settings.policy.certificate_status_ttl_seconds)
    policy_service = PolicyService(holder, audit, service_profile=settings.service.profile,
                                   archive=ActivePolicy(settings.service.state_dir).archived,
                                   cert_status=status.status,
                                   prior_signatures=prior_signatures(
                                       validator, registered_official_certificates(settings,
                                                                                   client_store)),
                                   clock=clock, rates=rates)

    checkpoints = build_checkpoints(settings, audit_store, audit, keys, timestamper, trust)

    def close() -> None:
        checkpoints.stop()
        keys.close()
        audit_store.close()
        rate_store.close()
        if revocation_cache is not None:
            revocation_cache.close()

    services = Services(
        settings=settings,
        audit=audit,
        clients=ClientService(client_store, audit, {k.info.id for k in keys}),
        signing=SigningService(keys, pades, audit, policy_service,
                               images=build_images(settings, keys, audit),
                               timeout_seconds=settings.service.signing_timeout_seconds),
        policy=policy_service,
        validation=ValidationService(validator, audit),
        readiness=ReadinessService(keys, {"audit": audit_store.check, "clients": client_store.check},
                                   details={"audit_chain": audit_store.integrity}),
        trust_anchors_name=trust.name,
        trust_anchors_sha256=trust.sha256,
        close=close,
    )
    services.checkpoints = checkpoints
    from signsvc.services.extend_service import ExtendService
    from signsvc.signing.ltv import LtvBuilder

    services.extend = ExtendService(LtvBuilder(timestamper, lt_contexts), audit,
                                    timeout_seconds=settings.service.signing_timeout_seconds)
    from signsvc.services.login_service import LoginService

    from signsvc.adapters.logins_sqlite import SqliteLoginStore

    state = settings.service.state_dir
    services.login = LoginService(client_store, audit,
                                  SqliteLoginStore(state / "signsvc.sqlite3", state / "totp-key"),
                                  settings.pages)
    services.documents, services.sessions, workflow_store = build_workflow(
        settings, audit, policy_service, trust.intermediates, client_store, timestamper)
    services.sessions.use_appearance(services.signing.images, settings.appearance,
                                     page_words=pdftotext_words)
    services.sessions.use_ltv(services.extend.ltv)
    from signsvc.services.wholefile_service import WholeFileService

    services.whole_file = WholeFileService(workflow_store, services.documents, validator.validate, audit)
    services.reports = build_reports(settings, services.validation, audit, keys, pades,
                                     timestamper, trust)
    from signsvc.services.batch_service import BatchService

    services.batch = BatchService(validator.validate, audit, lambda: policy_service.policy,
                                  max_files=settings.service.batch_max_files,
                                  max_total_bytes=settings.service.batch_max_bytes,
                                  max_document_bytes=settings.service.max_document_bytes)
    return services


def build_workflow(settings: Settings, audit: AuditService, policy_service: PolicyService,
                   intermediates, client_store: SqliteClientStore, timestamper):
    """Documents awaiting officials and three-step signing sessions (browser signing)."""
    from signsvc.adapters.workflow_sqlite import SqliteWorkflowStore
    from signsvc.services.document_service import DocumentService
    from signsvc.services.session_service import SessionService

    store = SqliteWorkflowStore(settings.service.state_dir / "workflow.sqlite3")
    officials = lambda name: any(c.name == name and c.role == "official"  # noqa: E731
                                 for c in client_store.list())
    from signsvc.adapters.pdf_render import render_page_png

    documents = DocumentService(store, audit, officials, settings.service.max_document_bytes,
                                render=render_page_png)
    sessions = SessionService(store, documents, policy_service, audit,
                              timestamper=timestamper,
                              intermediates=tuple(intermediates),
                              ttl_seconds=settings.pages.signing_session_seconds,
                              timeout_seconds=settings.service.signing_timeout_seconds)
    sessions.purge()
    return documents, sessions, store


def create_app(settings: Settings | None = None, services: Services | None = None, *,
               reloading: bool = False) -> Flask:
    """The Flask app; builds settings and services unless given (tests give their own)."""
    from signsvc.web import create_web_app

    settings = settings or load_settings()
    services = services or build_services(settings, reloading=reloading)
    return create_web_app(services)


def build_checkpoints(settings: Settings, audit_store: SqliteAuditStore, audit: AuditService,
                      keys: KeyRegistry, timestamper, trust):
    """Signed checkpoints of the audit log, in the audit file (and one file each in ``[audit]
    checkpoint_dir``); the background thread started when ``[audit] checkpoint_key`` names a
    key (without one they are only checked). The log's integrity is checked here, at start-up
    (``checkpoint_status.startup_check``): a break fails the service closed."""
    from signsvc import __version__
    from signsvc.adapters.checkpoint_signer import CheckpointChecker, CheckpointSigner
    from signsvc.adapters.checkpoint_sqlite import SqliteCheckpointStore
    from signsvc.errors import ConfigError, Message
    from signsvc.adapters.checkpoint_files import FileCheckpointStore
    from signsvc.services.checkpoint_service import CheckpointService
    from signsvc.services.checkpoint_status import startup_check

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
        audit_store, SqliteCheckpointStore(cfg.path), audit, signer,
        CheckpointChecker(trust.anchors, trust.intermediates),
        every_records=cfg.checkpoint_every_records, every_seconds=cfg.checkpoint_every_seconds,
        export_certificates=list(certs),
        trust_anchors=[{"subject": a.subject.human_friendly, "sha256": a.sha256.hex()}
                       for a in trust.anchors],
        trust_anchors_sha256=trust.sha256,
        service_info={"name": "signsvc", "version": __version__, "trust_anchors_name": trust.name},
        external=None if cfg.checkpoint_dir is None else FileCheckpointStore(
            cfg.checkpoint_dir, audit_store.guard.key))
    startup_check(service)
    service.start()
    return service


def build_reports(settings: Settings, validation: ValidationService, audit: AuditService,
                  keys: KeyRegistry, pades: PadesSigner, timestamper, trust):
    """Filed reports: laid out with the appearance font, signed by ``[reports] key``
    (B-T when a TSA is configured); without that key, no PDF reports."""
    from signsvc import __version__
    from signsvc.adapters.reports_sqlite import SqliteReportStore
    from signsvc.errors import ConfigError, Message
    from signsvc.reports.layout import render_pdf
    from signsvc.reports.model import Anchor, ReportIssuer
    from signsvc.reports.signing import ReportSigner
    from signsvc.services.report_service import ReportService

    cfg = settings.reports
    font = settings.appearance.font_path
    signer = None
    if cfg.key:
        if not font.is_file():
            raise ConfigError(Message(
                f"Cấu hình [reports]: không có tệp phông chữ {font} ([appearance] font_path)",
                f"Configuration [reports]: the font file {font} does not exist ([appearance] font_path)"))
        signer = ReportSigner(keys.get(cfg.key), pades, timestamped=timestamper is not None)
    issuer = ReportIssuer(tool="signsvc", version=__version__, trust_name=trust.name,
                          trust_sha256=trust.sha256,
                          anchors=tuple(Anchor(a.subject.human_friendly, a.sha256.hex())
                                        for a in trust.anchors))
    store = SqliteReportStore(settings.service.state_dir / "reports.sqlite3", cfg.keep_minutes * 60)
    return ReportService(validation, audit, issuer, lambda report, who: render_pdf(report, who, font),
                         signer, store)


def build_images(settings: Settings, keys, audit):
    """Registered signature and seal images (visible signatures)."""
    from signsvc.adapters.images_sqlite import SqliteImageStore
    from signsvc.services.image_service import ImageService

    return ImageService(SqliteImageStore(settings.service.state_dir / "images.sqlite3"), keys,
                        audit, settings.appearance)


def prepare_state(settings: Settings) -> None:
    """Create the state folder and every SQLite store in it (schema, WAL mode), and load
    the policy once, in the calling process, then close them all.

    ``signsvc serve`` calls this in the gunicorn master before any worker forks, so that
    workers starting together never race to create a file or switch it to WAL ("database
    is locked" stopped 3 of 19 fresh starts), and the policy-loaded audit record is written
    once. Opens no key. Safe to call on a state folder that already exists."""
    from signsvc.adapters.checkpoint_sqlite import SqliteCheckpointStore
    from signsvc.adapters.images_sqlite import SqliteImageStore
    from signsvc.adapters.reports_sqlite import SqliteReportStore
    from signsvc.adapters.workflow_sqlite import SqliteWorkflowStore

    state = settings.service.state_dir
    state.mkdir(parents=True, exist_ok=True)
    audit_store = open_audit_store(settings)
    try:
        SqliteCheckpointStore(settings.audit.path)
        load_policy(settings, AuditService(audit_store), reloading=False)
    finally:
        audit_store.close()
    SqliteClientStore(state / "signsvc.sqlite3")
    if settings.revocation.cache:
        SqliteRevocationCache(state / "signsvc.sqlite3").close()
    SqliteWorkflowStore(state / "workflow.sqlite3")
    SqliteImageStore(state / "images.sqlite3")
    SqliteReportStore(state / "reports.sqlite3", settings.reports.keep_minutes * 60)
    # the stores without close() hold their connection in a thread-local of the object:
    # collecting them here closes it before gunicorn forks (no SQLite handle crosses a fork)
    import gc

    gc.collect()
