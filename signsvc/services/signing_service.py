"""Sign a PDF with a configured key: grant check, parse, sign, audit -- in that order.

Guarantees: the signed document is returned only after its audit record is committed
(fail closed: ``AuditUnavailable`` and no document otherwise); every refusal or failure
is audited with its error code; the key is touched only after every check passed.
``sign`` ends by ``timeout_seconds`` (``[service] signing_timeout_seconds``): every fetch on
its path is cut at that deadline (``signsvc.deadline``), and a request that is past it
answers 503 ``signing-timeout`` -- no document, one audit record.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace

from signsvc import deadline
from signsvc.audit_tags import AuditTag
from signsvc.errors import (
    EncryptedPdf,
    KeyNotPermitted,
    MalformedPdf,
    Message,
    SigningTimeout,
    SignsvcError,
    UnexpectedError,
)
from signsvc.keys.model import KeyInfo
from signsvc.keys.registry import KeyRegistry
from signsvc.names import AuditOutcome, Severity
from signsvc.policy.engine import Decision, RuleResult
from signsvc.policy.facts import SigningFacts
from signsvc.services.audit_service import AuditService
from signsvc.services.auditing import audit
from signsvc.services.context import RequestContext
from signsvc.services.policy_service import (
    PolicyService,
    decision_audit_details,
    summary_from_dict,
)
from signsvc.signing.pades import PadesSigner, SignatureRequest
from signsvc.signing.pdf_input import OpenedPdf, fully_readable, open_for_signing

log = logging.getLogger(__name__)

#: the built-in result that /v1/policy/evaluate adds for a visible signature
APPEARANCE_CHECK = "appearance.visible-signature"


@dataclass(frozen=True)
class SigningResult:
    data: bytes
    sha256: str
    level: str
    key: KeyInfo
    audit_sequence: int
    field_name: str
    policy_sha256: str = ""
    policy_version: str = ""
    policy_warnings: tuple[str, ...] = ()
    level_warnings: tuple[str, ...] = ()   # why the level is lower than requested


class SigningService:
    def __init__(self, keys: KeyRegistry, pades: PadesSigner, audit_service: AuditService,
                 policy: PolicyService, images=None, timeout_seconds: float | None = None) -> None:
        self._keys = keys
        self._timeout = timeout_seconds   # the whole of ``sign``; None: no deadline
        self.images = images   # ImageService: registered signature/seal images (visible signatures)
        self._pades = pades
        self._audit = audit_service
        self._policy = policy

    def list_keys(self, ctx: RequestContext) -> list[KeyInfo]:
        """The keys ``ctx`` may use (audited)."""
        infos = self._keys.infos(ctx.keys)
        audit(self._audit, ctx, AuditTag.KEYS_KEY_LISTED, AuditOutcome.SUCCESS,
              details={"count": len(infos)})
        return infos

    def evaluate(self, ctx: RequestContext, key_id: str, data: bytes | None,
                 request: SignatureRequest, document_facts: dict | None = None,
                 ) -> tuple[Decision, SigningFacts]:
        """The policy decision a signing request would get, without signing (audited).
        The document is the PDF (``data``) or its facts as JSON (``document_facts``)."""
        key = self._keys.get(key_id)
        eservice = self._policy.eservice(request.eservice)
        pdf, encrypted = None, False
        if data is not None:
            try:
                pdf = open_for_signing(data, self._policy.max_pages())
            except EncryptedPdf:
                encrypted = True
        facts = self._policy.gather(ctx, key, level=request.level, eservice=eservice,
                                    rsa_padding=key.info.rsa_padding, pdf=pdf, data=data,
                                    encrypted=encrypted,
                                    document=summary_from_dict(document_facts)
                                    if document_facts is not None else None,
                                    **_appearance_facts(request))
        decision = self._policy.decide(facts)
        if request.appearance is not None:
            decision = replace(decision, results=(
                *decision.results, self._appearance_check(key, key_id, pdf, request)))
        audit(self._audit, ctx, AuditTag.POLICY_DECISION_EVALUATED, AuditOutcome.SUCCESS,
              key_id=key_id,
              level=request.level,
              input_sha256=hashlib.sha256(data).hexdigest() if data is not None else None,
              details={"decision": "allow" if decision.allowed else "deny",
                       "denied_by": decision.denied_by.rule if decision.denied_by else None,
                       **decision_audit_details(decision)})
        return decision, facts

    def admit_job(self, ctx: RequestContext, key_id: str, request: SignatureRequest) -> None:
        """Raise (the policy denial audited) when the policy would refuse every document of a
        job signed by ``ctx`` with ``key_id`` at ``request.level``: the rules that do not
        read the document (custody, certificate, algorithm, minimum level). Nothing raised
        does not promise that a document will be signed: each is still checked in full."""
        key = self._keys.get(key_id)
        facts = self._policy.gather(
            ctx, key, level=request.level, eservice=self._policy.eservice(request.eservice),
            rsa_padding=key.info.rsa_padding, pdf=None, data=None, **_appearance_facts(request))
        self._policy.enforce_for_every_document(ctx, facts)

    def _appearance_check(self, key, key_id: str, pdf, request: SignatureRequest) -> RuleResult:
        """The visible signature checked as ``sign`` checks it (image registered for this key
        and of the profile's kind, placement on the document), as one more denying result
        ``appearance.visible-signature`` -- built in, not a rule of the policy file."""
        spec = request.appearance
        assert spec is not None   # called only when a visible signature is requested
        ev = {"profile": spec.profile}
        try:
            if self.images is not None:
                request = replace(request, appearance=self.images.resolve(spec, key_id))
            if pdf is None:
                return RuleResult(APPEARANCE_CHECK, "appearance", Severity.DENY, "skip", Message(
                    "Không có tệp PDF: ảnh đã kiểm tra, vị trí chữ ký trên trang chưa kiểm tra được.",
                    "No PDF given: the image was checked, the position on the page could not be."),
                    ev)
            self._pades.check_appearance(pdf, key, request)
        except SignsvcError as exc:
            return RuleResult(APPEARANCE_CHECK, "appearance", Severity.DENY, "fail", exc.message,
                              {**ev, "status": exc.status, "code": exc.code,
                               **({"parameter": exc.extra["parameter"]}
                                  if "parameter" in exc.extra else {})})
        return RuleResult(APPEARANCE_CHECK, "appearance", Severity.DENY, "pass", Message(
            "Chữ ký hiển thị đặt được như yêu cầu.", "The visible signature can be placed as asked."),
            ev)

    def reject(self, ctx: RequestContext, error: SignsvcError, key_id: str | None,
               level: str | None) -> None:
        """Audit a request refused before it reached ``sign`` (bad parameter, body, size)."""
        audit(self._audit, ctx, AuditTag.SIGNING_DOCUMENT_REJECTED, AuditOutcome.FAILURE,
              error_code=error.code,
              key_id=(key_id or None) and key_id[:128], level=(level or None) and level[:16])

    @deadline.bounded_by_timeout
    def sign(self, ctx: RequestContext, key_id: str, data: bytes,
             request: SignatureRequest) -> SigningResult:
        input_sha256 = hashlib.sha256(data).hexdigest()
        facts = {"key_id": key_id, "input_sha256": input_sha256, "level": request.level}
        pdf = None
        try:
            key = self._keys.get(key_id)
            if key_id not in ctx.keys:
                raise KeyNotPermitted()
            cert = key.info.certificate
            facts.update(certificate_serial=cert.serial, certificate_sha256=cert.sha256)
            eservice = self._policy.eservice(request.eservice)
            pdf = open_for_signing(data, self._policy.max_pages())
            gathered = self._policy.gather(
                ctx, key, level=request.level, eservice=eservice, rsa_padding=key.info.rsa_padding,
                pdf=pdf, data=data, **_appearance_facts(request))
            _in_time()  # facts fetched too late (certificate status): no decision on them
            decision = self._policy.enforce(ctx, gathered)
            if request.appearance is not None and self.images is not None:
                request = replace(request, appearance=self.images.resolve(request.appearance, key_id))
            signed = self._pades.sign(pdf, key, request)
            _in_time()  # e.g. a level downgraded after the deadline cut a fetch: not returned
        except (SignsvcError, TimeoutError) as exc:
            if deadline.expired() and "rule" not in getattr(exc, "extra", {}):
                # whatever failed last, it failed because the time was up
                audit(self._audit, ctx, AuditTag.SIGNING_DOCUMENT_FAILED, AuditOutcome.FAILURE,
                      error_code=SigningTimeout.code, **facts)
                raise SigningTimeout() from None
            if not isinstance(exc, SignsvcError):
                raise
            if "rule" not in exc.extra:  # policy denials were audited with their facts already
                audit(self._audit, ctx, AuditTag.SIGNING_DOCUMENT_FAILED,
                      AuditOutcome.DENIED if exc.status in (403, 404) else AuditOutcome.FAILURE,
                      error_code=exc.code, **facts)
            raise
        except Exception as exc:
            if unreadable(pdf):  # the library tripped over the document: 422, as any bad input
                audit(self._audit, ctx, AuditTag.SIGNING_DOCUMENT_FAILED, AuditOutcome.FAILURE,
                      error_code=MalformedPdf.code, **facts)
                raise MalformedPdf() from None
            raise audit_unexpected(self._audit, ctx, AuditTag.SIGNING_DOCUMENT_FAILED,
                                   exc, **facts) from None
        facts["level"] = signed.level  # lower than requested when a TSA/OCSP outage downgraded it
        record = audit(self._audit, ctx, AuditTag.SIGNING_DOCUMENT_SIGNED, AuditOutcome.SUCCESS,
                       output_sha256=signed.sha256,
                       details={"field": signed.field_name, "backend": key.info.backend,
                                "requested_level": request.level,
                                "level_warnings": ",".join(signed.warnings),
                                "key_protection": "hardware" if key.info.backend == "pkcs11"
                                else "software", "strict_pdf": pdf.strict, "eservice": eservice,
                                **_appearance_details(request),
                                **decision_audit_details(decision)},
                       **facts)
        return SigningResult(data=signed.data, sha256=signed.sha256, level=signed.level,
                             key=key.info, audit_sequence=record.sequence,
                             field_name=signed.field_name, policy_sha256=decision.policy_sha256,
                             policy_version=decision.policy_version,
                             policy_warnings=tuple(r.rule for r in decision.warnings),
                             level_warnings=signed.warnings)


def _in_time() -> None:
    """``SigningTimeout`` when the request's deadline has passed."""
    if deadline.expired():
        raise SigningTimeout()


def unreadable(pdf: OpenedPdf | None) -> bool:
    """True when an opened document has an object that does not parse (the failure of a
    library on it is then a malformed input, 422, not a failure of the service)."""
    return pdf is not None and not fully_readable(pdf.writer.prev)


def audit_unexpected(audit_service: AuditService, ctx: RequestContext, action: str,
                     exc: BaseException, **fields) -> SignsvcError:
    """The catch-all of a signing request: log the trace (server side only), audit ``action``
    with ``outcome=error`` and the request id, and return the error to raise:
    ``UnexpectedError`` (500, naming the request id), or ``AuditUnavailable`` (503) when even
    that record cannot be written."""
    log.error("unexpected error in request %s (%s)", ctx.request_id, action, exc_info=exc)
    details = {**(fields.pop("details", None) or {}), "exception": type(exc).__name__}
    try:
        audit(audit_service, ctx, action, AuditOutcome.ERROR, error_code=UnexpectedError.code,
              details=details, **fields)
    except SignsvcError as audit_error:
        return audit_error
    return UnexpectedError(request_id=ctx.request_id)


def _appearance_facts(request: SignatureRequest) -> dict:
    """What the policy rules see of the visible signature (WF-5, WF-6)."""
    spec = request.appearance
    return {"appearance": spec.profile if spec else None,
            "attachment_mode": spec.attachment_mode if spec else None}


def _appearance_details(request: SignatureRequest) -> dict:
    """The visible signature's profile and the SHA-256 of the image it drew, if any."""
    spec = request.appearance
    if spec is None:
        return {}
    ref = spec.resolved_image
    return {"appearance": spec.profile, "image": ref.name if ref else None,
            "image_sha256": ref.sha256 if ref else None}
