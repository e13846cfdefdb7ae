"""The information-security policy: loaded from its file (audited when it changes), the
policy service with its certificate-status and prior-signature lookups."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from signsvc.adapters.cert_status import CertificateStatusChecker
from signsvc.adapters.clients_sql import SqlClientStore
from signsvc.adapters.policy_file import load_policy_file
from signsvc.adapters.workflow_sql import SqlWorkflowStore
from signsvc.app.builders import stores
from signsvc.audit.events import AuditEvent
from signsvc.audit_tags import AuditTag
from signsvc.names import AuditOutcome, Indication, Role
from signsvc.policy.engine import Policy
from signsvc.policy.facts import PriorSignature
from signsvc.policy.loader import PolicyError, parse_policy
from signsvc.services.audit_service import AuditService
from signsvc.services.context import RequestContext
from signsvc.services.policy_service import PolicyHolder, PolicyService
from signsvc.services.rate_limits import RateLedger
from signsvc.settings import Settings
from signsvc.signing.clock import ClockMonitor
from signsvc.signing.pdf_input import signer_certificate_policies
from signsvc.validation.trust import TrustAnchors
from signsvc.validation.validator import PdfValidator

log = logging.getLogger(__name__)


def load_policy(settings: Settings, audit: AuditService, *, reloading: bool) -> Policy:
    """The policy from its file. At start-up a bad file stops the service; on a reload
    (SIGHUP) the last policy that was in force is kept and the failed attempt audited.
    A policy different from the last one in force is audited with both hashes."""
    active = stores.policy_files(settings)
    known_keys = {k.id for k in settings.keys}
    ctx = RequestContext(request_id=uuid.uuid4().hex, actor="system", role=Role.ADMIN,
                         client_address="local")
    try:
        policy = load_policy_file(settings.policy.path, known_keys)
    except PolicyError as exc:
        kept = active.last_good() if reloading else None
        if kept is None:
            raise
        policy = parse_policy(kept, known_keys)
        audit.record(AuditEvent(action=AuditTag.POLICY_POLICY_RELOAD_FAILED,
                                outcome=AuditOutcome.FAILURE, actor=ctx.actor, role=ctx.role,
                                request_id=ctx.request_id, error_code=exc.code,
                                details={"error": exc.message.en[:500], "kept_sha256": policy.sha256}))
        return policy
    record_policy(settings, audit, policy, ctx)
    return policy


def record_policy(settings: Settings, audit: AuditService, policy: Policy,
                  ctx: RequestContext) -> bool:
    """Record ``policy`` as the one in force for every instance on this database (each
    switches to it within ``POLICY_CHECK_SECONDS``); a change is audited once, by whoever
    made it, with the old and new hashes. True when it changed."""
    changed, old = stores.policy_files(settings).remember(policy, by=ctx.actor or "system")
    if changed:
        audit.record(AuditEvent(action=AuditTag.POLICY_POLICY_LOADED, outcome=AuditOutcome.SUCCESS,
                                actor=ctx.actor, role=ctx.role, request_id=ctx.request_id,
                                details={"old_sha256": old, "new_sha256": policy.sha256,
                                         "version": policy.version[:64]}))
    return changed


#: how often a process looks for a policy recorded in force by another one
POLICY_CHECK_SECONDS = 2.0


def policy_watch(settings: Settings) -> Callable[[Policy], Policy | None]:
    """For ``PolicyHolder(refresh=...)``: the newest policy recorded in force, when it is not
    the one given; None otherwise. One indexed read when nothing changed; a recorded text
    this instance cannot use (a key it does not have) is logged once and not applied."""
    shared = stores.policy_files(settings)
    known_keys = {k.id for k in settings.keys}
    seen: list[int] = []

    def refresh(current: Policy) -> Policy | None:
        newest = shared.newest()
        if newest is None or (seen and seen[-1] == newest[0]) or newest[1] == current.sha256:
            return None
        seen[:] = [newest[0]]
        text = shared.text_of(newest[0])
        if text is None:
            return None
        try:
            return parse_policy(text, known_keys)
        except PolicyError as exc:
            log.error("policy %s recorded in force cannot be used here: %s", newest[1],
                      exc.message.en)
            return None
    return refresh


def read_policy_file(settings: Settings) -> Policy:
    """The policy file's policy, checked (``PolicyError`` names the line); nothing recorded."""
    return load_policy_file(settings.policy.path, {k.id for k in settings.keys})


def policy_in_force_text(settings: Settings) -> str | None:
    """The text of the policy last in force (None before the service first loaded one)."""
    return stores.policy_files(settings).last_good()


def policy_or_none(settings: Settings) -> Policy | None:
    """The policy file's policy, else the last one in force, else None."""
    try:
        return read_policy_file(settings)
    except PolicyError:
        text = policy_in_force_text(settings)
        return parse_policy(text, {k.id for k in settings.keys}) if text is not None else None


def prior_signatures(validator: PdfValidator, official_certificates: Callable[[], set[str]],
                     ) -> Callable[[bytes], tuple[PriorSignature, ...]]:
    """Existing signatures of a document, as the seal-after-official rule needs them (WF-2):
    ``official`` is True only for a certificate registered to a client of role ``official``
    (``official_certificates()``: their SHA-256, read now, so a registration or a role change
    applies at once); ``policy_oids`` are the certificate policies the signer's certificate
    carries (the rule may accept the personal signature's policy). A seal key's or a
    portal's certificate never counts as an official's."""

    def read(data: bytes) -> tuple[PriorSignature, ...]:
        report = validator.validate(data)
        officials = official_certificates()
        policies = signer_certificate_policies(data)
        return tuple(PriorSignature(
            signer=((s.signer.common_name or "?") if s.signer else "?"),
            valid=s.indication == Indication.TOTAL_PASSED,
            official=s.signer is not None and s.signer.certificate_sha256 in officials,
            policy_oids=policies.get(s.signer.certificate_sha256, frozenset()) if s.signer
            else frozenset())
            for s in report.signatures)
    return read


def registered_official_certificates(client_store: SqlClientStore,
                                     workflow: SqlWorkflowStore) -> Callable[[], set[str]]:
    """SHA-256 of every certificate registered (``signsvc clients register-cert``) to a client
    whose role is ``official``, read from the stores on each call."""

    def read() -> set[str]:
        return {sha for c in client_store.list() if c.role == Role.OFFICIAL
                for sha, _ in workflow.certificates_of(c.name)}
    return read


def build_policy_service(settings: Settings, holder: PolicyHolder, audit: AuditService, *,
                         trust: TrustAnchors, validator: PdfValidator,
                         client_store: SqlClientStore, clock: ClockMonitor,
                         rates: RateLedger) -> PolicyService:
    """The policy service: decisions with certificate status (cached ``certificate_status_
    ttl_seconds``), prior signatures of the document, the clock and the rate ledger."""
    status = CertificateStatusChecker(trust.anchors, trust.intermediates,
                                      allow_fetching=settings.trust.allow_fetching,
                                      ttl_seconds=settings.policy.certificate_status_ttl_seconds)
    officials = registered_official_certificates(client_store, stores.workflow_store(settings))
    return PolicyService(holder, audit, service_profile=settings.service.profile,
                         archive=stores.policy_files(settings).archived,
                         cert_status=status.status,
                         prior_signatures=prior_signatures(validator, officials),
                         clock=clock, rates=rates)
