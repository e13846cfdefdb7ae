"""Apply the information-security policy before a key is touched.

Facts are gathered first (certificate status, document inspection, prior signatures,
usage counters, clock), then the pure engine decides. A denial is audited with the facts
that were evaluated and raised as ``PolicyDenied`` (403) or the rule's own error (409
``seal-before-official``); warnings are returned for the response header and the audit
record. Every audit record carries the policy's SHA-256 and version.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

from signsvc import errors
from signsvc.audit.events import AuditEvent, AuditRecord
from signsvc.audit.ports import AuditStore
from signsvc.audit_tags import AuditTag
from signsvc.errors import Message
from signsvc.keys.model import CertifiedKey
from signsvc.names import AuditOutcome, KeyKind, Severity
from signsvc.policy.engine import Decision, Policy, RuleResult, evaluate
from signsvc.policy.facts import (
    CertificateFacts,
    DocumentSummary,
    PriorSignature,
    SigningFacts,
    Usage,
)
from signsvc.policy.rules import CATALOGUE
from signsvc.services.audit_service import AuditService
from signsvc.services.auditing import audit
from signsvc.services.context import RequestContext
from signsvc.services.rate_limits import RateLedger
from signsvc.signing.clock import ClockMonitor
from signsvc.signing.pdf_input import OpenedPdf

SIGNED_ACTION = AuditTag.SIGNING_DOCUMENT_SIGNED
#: the error a denying rule raises, by the rule's code (403 policy-denied otherwise)
# rules whose outcome is the same for every document of a request (see
# enforce_for_every_document); eservice.minimum-level reads only the level and the e-service
_DOCUMENT_FREE_FAMILIES = frozenset({"crypto", "cert", "custody"})
_DOCUMENT_FREE_RULES = frozenset({"eservice.minimum-level"})

_RULE_ERRORS = {"seal-before-official": errors.SealBeforeOfficial,
                "key-not-permitted": errors.KeyNotPermitted,
                "attachment-mode": errors.AttachmentModeConflict}
ESERVICES = ("level3", "level4", "copy")
log = logging.getLogger(__name__)


class PolicyHolder:
    """The policy in force; swapped atomically on reload. With ``refresh`` (given the
    policy in force, it answers a newer one recorded elsewhere -- another instance, the
    command line -- or None), it is asked at most every ``every`` seconds, by the one thread
    that reads the policy then (the others keep going with the policy in force); a failing
    ``refresh`` is logged and the policy in force kept."""

    def __init__(self, policy: Policy, *, refresh: Callable[[Policy], Policy | None] | None = None,
                 every: float = 2.0) -> None:
        self._policy = policy
        self._lock = threading.Lock()
        self._refresh = refresh
        self._every = every
        self._checking = threading.Lock()
        self._next_check = time.monotonic() + every

    @property
    def policy(self) -> Policy:
        if self._refresh is not None and time.monotonic() >= self._next_check:
            self._check()
        with self._lock:
            return self._policy

    def _check(self) -> None:
        if not self._checking.acquire(blocking=False):
            return
        try:
            self._next_check = time.monotonic() + self._every
            assert self._refresh is not None
            newer = self._refresh(self._policy)
            if newer is not None:
                old = self.replace(newer)
                log.info("policy in force switched from %s to %s (recorded in the database)",
                         old.sha256, newer.sha256)
        except Exception as exc:   # e.g. the database is down: keep serving the policy in force
            log.warning("the policy in force could not be checked (%s: %s); the current one "
                        "is kept", type(exc).__name__, exc)
        finally:
            self._checking.release()

    def replace(self, policy: Policy) -> Policy:
        with self._lock:
            old, self._policy = self._policy, policy
            return old


class PolicyStampedAudit(AuditService):
    """An ``AuditService`` that writes the policy hash and version into every record and,
    with ``rates``, tells the rate counters each signing outcome (see ``RateLedger``)."""

    def __init__(self, store: AuditStore, holder: PolicyHolder,
                 rates: RateLedger | None = None) -> None:
        super().__init__(store)
        self._holder = holder
        self.rates = rates

    def record(self, event: AuditEvent) -> AuditRecord:
        p = self._holder.policy
        details = {**event.details, "policy_sha256": p.sha256, "policy_version": p.version[:64]}
        try:
            record = super().record(dataclasses.replace(event, details=details))
        except BaseException:
            self._observe(event, written=False)
            raise
        self._observe(event, written=True)
        return record

    def _observe(self, event: AuditEvent, written: bool) -> None:
        if self.rates is None:
            return
        try:
            self.rates.observe(event, written)
        except Exception:
            log.exception("rate counters not updated for request %s", event.request_id)


def certificate_facts(key: CertifiedKey, chain: str, revocation: str) -> CertificateFacts:
    cert = key.certificate
    ku = cert.key_usage_value
    policies = cert.certificate_policies_value
    return CertificateFacts(
        key_algorithm=key.info.algorithm, key_size=key.info.key_size,
        key_usage=frozenset(ku.native) if ku is not None else frozenset(),
        not_before=cert.not_valid_before, not_after=cert.not_valid_after,
        issuer=cert.issuer.human_friendly, subject=cert.subject.human_friendly,
        sha256=key.info.certificate.sha256,
        policy_oids=frozenset(p["policy_identifier"].dotted for p in policies) if policies else frozenset(),
        chain=chain, revocation=revocation)


def document_summary(facts: Any) -> DocumentSummary:
    return DocumentSummary(size=facts.size, pages=facts.pages, encrypted=facts.encrypted,
                           strict=facts.strict, javascript=facts.javascript,
                           launch_actions=facts.launch_actions,
                           embedded_files=facts.embedded_files, xfa=facts.xfa,
                           truncated=facts.truncated)


_SUMMARY_TYPES = {"size": int, "pages": int, "encrypted": bool, "strict": bool, "javascript": list,
                  "launch_actions": list, "embedded_files": list, "xfa": bool, "truncated": bool}


def summary_from_dict(data: Any) -> DocumentSummary:
    """Document facts given as JSON (for a dry run without the PDF); ``BadRequest`` if wrong."""
    def bad(why_vi: str, why_en: str) -> errors.BadRequest:
        return errors.BadRequest(Message(f"Dữ kiện tài liệu không hợp lệ: {why_vi}.",
                                         f"Invalid document facts: {why_en}."), parameter="document")
    if not isinstance(data, dict):
        raise bad("phải là một đối tượng JSON", "must be a JSON object")
    unknown = sorted(set(data) - set(_SUMMARY_TYPES))
    if unknown:
        raise bad(f"khóa không hợp lệ {', '.join(unknown)}", f"unknown key(s) {', '.join(unknown)}")
    for name in ("size", "pages"):
        if name not in data:
            raise bad(f"thiếu '{name}'", f"'{name}' is missing")
    values: dict[str, Any] = {"encrypted": False, "strict": True}
    for name, value in data.items():
        t = _SUMMARY_TYPES[name]
        if not isinstance(value, t) or (t is int and isinstance(value, bool)) or (
                isinstance(value, list) and not all(isinstance(v, str) for v in value)):
            raise bad(f"'{name}' sai kiểu", f"'{name}' has the wrong type")
        values[name] = tuple(value) if isinstance(value, list) else value
    return DocumentSummary(**values)


class PolicyService:
    def __init__(self, holder: PolicyHolder, audit_service: AuditService, *, service_profile: str,
                 archive: Callable[[str], str | None] = lambda sha: None,
                 cert_status: Callable[[Any, Sequence[Any]], tuple[str, str]],
                 prior_signatures: Callable[[bytes], tuple[PriorSignature, ...]],
                 clock: ClockMonitor, digest: str = "sha256",
                 now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 rates: RateLedger | None = None) -> None:
        self._holder = holder
        self._rates = rates   # exact counters; None: counted from the audit log (slow, racy)
        self._audit = audit_service
        self._profile = service_profile
        self._archive = archive
        self._cert_status = cert_status
        self._prior = prior_signatures
        self._clock = clock
        self._digest = digest
        self._now = now

    @property
    def policy(self) -> Policy:
        return self._holder.policy

    def archived_text(self, sha256: str) -> str:
        """The text of the policy with this hash (in force now or earlier), or ``NotFound``."""
        if sha256 == self.policy.sha256:
            return self.policy.text
        text = self._archive(sha256.lower())
        if text is None:
            raise errors.NotFound(Message("Không có chính sách với mã băm này.",
                                          "No policy with this hash was ever in force here."))
        return text

    def eservice(self, requested: str | None) -> str:
        value = requested or self.policy.default_eservice
        if value not in ESERVICES:
            raise errors.BadRequest(Message(
                f"eservice phải là một trong: {', '.join(ESERVICES)}.",
                f"eservice must be one of: {', '.join(ESERVICES)}."), parameter="eservice")
        return value

    def _usage(self, client: str, key_id: str, now: datetime) -> Usage:
        if self._rates is not None:
            return self._rates.usage(client, key_id)
        minute, day = now - timedelta(minutes=1), now.replace(hour=0, minute=0, second=0, microsecond=0)
        count = self._audit.count
        return Usage(client_minute=count(action=SIGNED_ACTION, since=minute, actor=client),
                     client_day=count(action=SIGNED_ACTION, since=day, actor=client),
                     key_minute=count(action=SIGNED_ACTION, since=minute, key_id=key_id),
                     key_day=count(action=SIGNED_ACTION, since=day, key_id=key_id))

    def _configured(self, rule_id: str) -> bool:
        return any(r.id == rule_id for r in self.policy.rules)

    def _param(self, rule_id: str, name: str) -> Any:
        """A configured rule's parameter (the catalogue default when the rule is not configured)."""
        rule = next((r for r in self.policy.rules if r.id == rule_id), None)
        return rule.params[name] if rule is not None else CATALOGUE[rule_id].params[name]

    def required_level(self, eservice: str | None = None) -> str | None:
        """The minimum level that the e-service profile ``eservice`` (default: the policy's
        ``default_eservice``) asks for under the configured ``eservice.minimum-level`` rule;
        None when the rule is not configured or names no level for that profile."""
        if not self._configured("eservice.minimum-level"):
            return None
        value = self._param("eservice.minimum-level", self.eservice(eservice).replace("-", "_"))
        return value if isinstance(value, str) else None

    def max_pages(self) -> int:
        """Pages read at most from a document: the ``document.pages`` limit when configured
        (a walk stops one page past it), else pdf_input's default bound."""
        from signsvc.signing.pdf_input import DEFAULT_MAX_PAGES

        if not self._configured("document.pages"):
            return DEFAULT_MAX_PAGES
        return int(self._param("document.pages", "max_pages"))

    def copy_roles(self) -> tuple[str, ...]:
        """The roles the ``workflow.copies`` rule allows to sign copies (WF-6; the clerk)."""
        return tuple(self._param("workflow.copies", "roles"))

    def gather(self, ctx: RequestContext, key: CertifiedKey, *, level: str, eservice: str,
               rsa_padding: str, pdf: OpenedPdf | None, data: bytes | None,
               encrypted: bool = False, document: DocumentSummary | None = None,
               appearance: str | None = None, attachment_mode: str | None = None) -> SigningFacts:
        """Every fact the rules need, gathered once (certificate status is cached).
        ``appearance`` is the visible-signature profile asked for, ``attachment_mode`` the
        WF-5 mode as the request said it (None when not said)."""
        now = self._now()
        chain, revocation = self._cert_status(key.certificate, key.chain)
        if data is not None:
            from signsvc.signing.inspect import encrypted_facts, inspect_pdf

            doc = (encrypted_facts(len(data)) if encrypted or pdf is None
                   else inspect_pdf(pdf.writer.prev, size=len(data), strict=pdf.strict,
                                    max_pages=self.max_pages()))
            document = document_summary(doc)
        prior = None
        if (data is not None and pdf is not None and key.info.kind == KeyKind.AGENCY_SEAL
                and self._configured("eservice.seal-after-official")):
            # no signature field, inspection complete: no prior signature to validate
            # (validating a blank document was 14% of a signing request's CPU)
            prior = () if doc.signature_fields == 0 and not doc.truncated else self._prior(data)
        return SigningFacts(
            now=now, service_profile=self._profile, client=ctx.actor or "", role=ctx.role or "",
            client_keys=frozenset(ctx.keys), key_id=key.info.id, key_backend=key.info.backend,
            key_kind=key.info.kind, rsa_padding=rsa_padding, digest=self._digest, level=level,
            eservice=eservice, certificate=certificate_facts(key, chain, revocation),
            document=document, prior_signatures=prior,
            usage=self._usage(ctx.actor or "", key.info.id, now),
            clock_skew_seconds=self._clock.skew_seconds, appearance=appearance,
            attachment_mode=attachment_mode, copy_roles=self.copy_roles())

    def decide(self, facts: SigningFacts) -> Decision:
        return evaluate(self.policy, facts)

    def enforce(self, ctx: RequestContext, facts: SigningFacts) -> Decision:
        """The decision; a denial is audited (with the evaluated facts) and raised. With rate
        counters, the decision is made on the counts of this instant and an allowed request
        is counted in the same transaction (concurrent requests cannot pass a limit)."""
        if self._rates is not None:
            decision = self._rates.admit(
                ctx.request_id, facts.client, facts.key_id,
                lambda usage: self.decide(dataclasses.replace(facts, usage=usage)))
        else:
            decision = self.decide(facts)
        denied = decision.denied_by
        if denied is None:
            return decision
        self._refuse(ctx, facts, decision, denied)

    def enforce_for_every_document(self, ctx: RequestContext, facts: SigningFacts) -> None:
        """Refuse (audited, raised as ``enforce`` would) when a denying rule that does not
        depend on the document fails on ``facts`` gathered without one: the key, its
        certificate, the client's role and grants, the level for the e-service. Used before
        a batch job is queued, so that a job every document of which the policy would deny
        is refused at once, not accepted and failed document by document. Rules about the
        document, the workflow or rates are left to each signature."""
        decision = self.decide(facts)
        for result in decision.results:
            if (result.outcome == "fail" and result.severity == Severity.DENY
                    and (result.family in _DOCUMENT_FREE_FAMILIES
                         or result.rule in _DOCUMENT_FREE_RULES)):
                self._refuse(ctx, facts, decision, result)

    def _refuse(self, ctx: RequestContext, facts: SigningFacts, decision: Decision,
                denied: RuleResult) -> NoReturn:
        """Audit the denial with the evaluated facts and raise the rule's error."""
        spec = CATALOGUE[denied.rule]
        detail: dict[str, Any] = {"rule": denied.rule, "reason": denied.message.en[:500],
                  "warnings": ",".join(r.rule for r in decision.warnings)}
        for name, value in list(denied.evaluated.items())[:10]:
            detail[f"fact_{name}"] = value if isinstance(value, (str, int, bool)) or value is None \
                else str(value)[:500]
        audit(self._audit, ctx, AuditTag.POLICY_RULE_DENIED, AuditOutcome.DENIED,
              error_code=spec.code,
              key_id=facts.key_id, level=facts.level,
              input_sha256=None, certificate_sha256=facts.certificate.sha256,
              certificate_serial=None, details=detail)
        error_cls = _RULE_ERRORS.get(spec.code, errors.PolicyDenied)
        raise error_cls(Message(f"{denied.message.vi} (luật {denied.rule})",
                                f"{denied.message.en} (rule {denied.rule})"),
                        rule=denied.rule, policy_sha256=decision.policy_sha256)


def decision_audit_details(decision: Decision) -> dict[str, str]:
    """Compact, auditor-readable record of which rules allowed a signature."""
    passed = ",".join(r.rule for r in decision.results if r.outcome == "pass")
    return {"policy_passed": passed[:512],
            "policy_warned": ",".join(r.rule for r in decision.warnings)[:512],
            "policy_skipped": ",".join(r.rule for r in decision.results if r.outcome == "skip")[:512]}
