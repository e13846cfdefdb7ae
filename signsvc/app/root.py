"""``build_services``: every service of one process, built once, complete and typed
(``signsvc.services.container.Services``), from the settings alone."""

from __future__ import annotations

from datetime import UTC, datetime

from signsvc.app.builders import stores
from signsvc.app.builders.audit import build_checkpoints
from signsvc.app.builders.clients import build_clients, build_login
from signsvc.app.builders.features import build_batch, build_images, build_reports
from signsvc.app.builders.idempotency import build_idempotency
from signsvc.app.builders.jobs import build_jobs
from signsvc.app.builders.keys import open_keys
from signsvc.app.builders.observability import build_readiness, install_metrics, key_backends
from signsvc.app.builders.policy import (
    POLICY_CHECK_SECONDS,
    build_policy_service,
    load_policy,
    policy_watch,
)
from signsvc.app.builders.signing import (
    build_extend,
    build_signing_parts,
    load_trust,
    quiet_pyhanko,
)
from signsvc.app.builders.workflow import build_workflow
from signsvc.services.audit_service import AuditService
from signsvc.services.container import Services
from signsvc.services.metrics_services import (
    MeteredAudit,
    MeteredSigningService,
    MeteredValidationService,
)
from signsvc.services.policy_service import PolicyHolder
from signsvc.services.rate_limits import RateLedger
from signsvc.settings import Settings


def build_services(settings: Settings, *, reloading: bool = False) -> Services:
    """Everything the service needs, built once at start-up (a worker, a console command).
    A bad policy file stops it (``reloading``: the last good policy is kept instead), as
    does a key, trust store or configuration that cannot be used (``ConfigError``).
    ``Services.shutdown`` releases keys, stores and the checkpoint thread."""
    quiet_pyhanko()
    trust = load_trust(settings)
    audit_store = stores.audit_store(settings)
    policy = load_policy(settings, AuditService(audit_store), reloading=reloading)
    holder = PolicyHolder(policy, refresh=policy_watch(settings), every=POLICY_CHECK_SECONDS)
    rate_store = stores.rate_counters(settings)
    rates = RateLedger(rate_store, lambda: datetime.now(UTC))
    metrics = install_metrics()
    audit = MeteredAudit(audit_store, holder, rates, metrics=metrics,
                         backends=key_backends(settings))
    client_store = stores.client_store(settings)
    keys = open_keys(settings)
    parts = build_signing_parts(settings, trust, policy)
    policy_service = build_policy_service(settings, holder, audit, trust=trust,
                                          validator=parts.validator, client_store=client_store,
                                          clock=parts.clock, rates=rates)
    checkpoints = build_checkpoints(settings, audit_store, audit, keys, parts.timestamper, trust)

    def close() -> None:
        job_workers.stop()
        checkpoints.stop()
        keys.close()
        audit_store.close()
        rate_store.close()
        parts.close()

    images = build_images(settings, keys, audit)
    validation = MeteredValidationService(parts.validator, audit, metrics=metrics)
    workflow = build_workflow(settings, audit, policy_service, parts, client_store, images)
    clients = build_clients(client_store, audit, (k.info.id for k in keys))
    signing = MeteredSigningService(keys, parts.pades, audit, policy_service, images=images,
                                    timeout_seconds=settings.service.signing_timeout_seconds,
                                    metrics=metrics, backends=key_backends(settings))
    jobs, job_workers = build_jobs(settings, signing, clients, audit, metrics)
    return Services(
        settings=settings,
        audit=audit,
        clients=clients,
        signing=signing,
        validation=validation,
        readiness=build_readiness(settings, keys, {"audit": audit_store.check,
                                                   "clients": client_store.check},
                                  parts.timestamper, audit_store.integrity),
        policy=policy_service,
        checkpoints=checkpoints,
        extend=build_extend(settings, parts, audit),
        login=build_login(settings, client_store, audit),
        documents=workflow.documents,
        sessions=workflow.sessions,
        whole_file=workflow.whole_file,
        reports=build_reports(settings, validation, audit, keys, parts),
        batch=build_batch(settings, parts.validator, audit, lambda: policy_service.policy),
        idempotency=build_idempotency(settings, audit),
        jobs=jobs,
        job_workers=job_workers,
        trust_anchors_name=trust.name,
        trust_anchors_sha256=trust.sha256,
        close=close,
        metrics=metrics,
    )
