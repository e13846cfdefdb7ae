"""The three-step signing sessions of documents awaiting an official's signature
(the documents themselves: ``signsvc.services.document_service``).

Bindings enforced (design/browser-signing.md): the session belongs to the official who
started it; it is used at most once (atomic claim); it expires (default 5 minutes); the
certificate at step 3 is the one of step 1; the prepared PDF is byte-for-byte what was
stored; the document's revision is still the one the session started from (a second
official finishing on an old revision gets 409); the raw signature verifies over the
stored signed attributes before anything is embedded. The policy is evaluated at step 1,
before any hash is handed out. Every step is audited; the signed revision is stored and
its audit record committed before it is returned.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from asn1crypto import x509

from signsvc import deadline, errors
from signsvc.audit_tags import AuditTag
from signsvc.errors import Message, SignsvcError
from signsvc.keys.model import CertificateInfo, KeyInfo, describe_public_key
from signsvc.names import LONG_TERM_LEVELS, AuditOutcome, KeyKind
from signsvc.permissions import Permission, roles_for
from signsvc.services.audit_service import AuditService
from signsvc.services.auditing import audit
from signsvc.services.context import RequestContext
from signsvc.services.document_service import DocumentService, iso, utc_now
from signsvc.services.policy_service import PolicyService, decision_audit_details
from signsvc.services.signing_service import audit_unexpected, unreadable
from signsvc.sessions import layout
from signsvc.sessions.model import StoredDocument, StoredSession
from signsvc.signing import deferred
from signsvc.signing.pdf_input import open_for_signing

ASSIGNERS = roles_for(Permission.ASSIGN_DOCUMENT)
SIGNERS = roles_for(Permission.SIGN_IN_SESSION)
LONG_TERM = LONG_TERM_LEVELS
#: what the official's agent may report when step 2 failed (signsvc.agent.protocol.ERRORS)
AGENT_FAILURES = ("pin-incorrect", "pin-cancelled", "pin-locked", "token-not-present",
                  "certificate-not-found", "token-failed")


@dataclass(frozen=True)
class TokenCertificateKey:
    """The official's token key, as the policy engine sees it (no private key here)."""

    info: KeyInfo
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    raw_signature_size: int

    @classmethod
    def of(cls, cert: x509.Certificate, chain: tuple[x509.Certificate, ...]) -> TokenCertificateKey:
        algorithm, bits, raw = describe_public_key(cert)
        info = CertificateInfo.of(cert)
        return cls(KeyInfo(id=f"token:{info.sha256[:16]}", backend="pkcs11", algorithm=algorithm,
                           key_size=bits, kind=KeyKind.OFFICIAL, description="USB token",
                           certificate=info, rsa_padding="pss"), cert, chain, raw)


def _load_certificate(b64: Any) -> x509.Certificate:
    bad = errors.BadRequest(Message("Chứng thư số gửi lên không hợp lệ (cần DER mã hóa base64).",
                                    "The certificate is not valid (base64 DER expected)."),
                            parameter="certificate")
    if not isinstance(b64, str) or len(b64) > 20000:
        raise bad
    try:
        cert = x509.Certificate.load(base64.b64decode(b64, validate=True))
        _ = cert.native  # parse fully now, not later
        return cert
    except (ValueError, TypeError, binascii.Error):
        raise bad from None


class SessionService:
    def __init__(self, store: Any, documents: DocumentService,
                 policy: PolicyService, audit_service: AuditService, *, timestamper,
                 intermediates: tuple[x509.Certificate, ...], ttl_seconds: int = 300,
                 now: Callable[[], datetime] = utc_now, timeout_seconds: float | None = None) -> None:
        self._timeout = timeout_seconds   # steps 1 and 3 each end by it (OCSP/CRL/TSA cut)
        self._store = store
        self._documents = documents
        self._policy = policy
        self._audit = audit_service
        self._ts = timestamper
        self._intermediates = intermediates
        self._ttl = ttl_seconds
        self._now = now
        self._images = None          # visible signatures: ImageService, AppearanceSettings
        self._look = None
        self._page_words = None
        self._ltv = None             # B-LT / B-LTA: signsvc.signing.ltv.LtvBuilder

    def use_ltv(self, ltv) -> None:
        """Allow B-LT and B-LTA: the signer's chain and revocation data are checked at step 1
        (before any hash is handed out) and embedded (DSS, and for B-LTA a document
        timestamp) at step 3."""
        self._ltv = ltv

    def use_appearance(self, images, settings, page_words=None) -> None:
        """Let officials draw a visible signature (``appearance`` at step 1); ``page_words``
        finds anchor texts (``signsvc.signing.appearance.words.PageWords``)."""
        self._images, self._look, self._page_words = images, settings, page_words

    def _chain_for(self, cert: x509.Certificate) -> tuple[x509.Certificate, ...]:
        return tuple(c for c in self._intermediates if c.subject == cert.issuer)

    # -- step 1 ---------------------------------------------------------------------------
    @deadline.bounded_by_timeout
    def create(self, ctx: RequestContext, document_id: str, certificate_b64: Any, level: str,
               eservice: str | None, rsa_padding: str = "pss",
               appearance=None, field: str | None = None) -> dict[str, Any]:
        """Step 1. ``appearance``: an ``AppearanceSpec`` (visible signature, placed by page
        + rectangle, anchor, ...); ``field``: the name of an existing empty signature field
        to sign (drawn with ``appearance``, or the signer/agency/time text when None).
        Returns the hash to sign and what is being signed; nothing is stored on error."""
        facts: dict[str, Any] = {}
        look: dict[str, Any] = {}
        pdf = None
        try:
            doc = self._documents.visible(ctx, document_id)
            if doc.assignee != ctx.actor:
                raise errors.Forbidden(Message("Tài liệu này không chờ chữ ký của bạn.",
                                               "This document is not awaiting your signature."))
            if rsa_padding not in ("pss", "pkcs1v15"):
                raise errors.BadRequest(Message("rsa_padding phải là pss hoặc pkcs1v15.",
                                                "rsa_padding must be pss or pkcs1v15."),
                                        parameter="rsa_padding")
            cert = _load_certificate(certificate_b64)
            key = TokenCertificateKey.of(cert, self._chain_for(cert))
            facts = {"certificate_sha256": key.info.certificate.sha256,
                     "certificate_serial": key.info.certificate.serial, "input_sha256": doc.sha256,
                     "level": level}
            if not self._store.is_registered(ctx.actor or "", key.info.certificate.sha256):
                raise errors.CertificateNotRegistered()
            data = self._store.document_content(doc.id) or b""
            pdf = open_for_signing(data, self._policy.max_pages())
            token_ctx = RequestContext(ctx.request_id, ctx.actor, ctx.role, ctx.client_address,
                                       (key.info.id,), session=ctx.session)
            decision = self._policy.enforce(token_ctx, self._policy.gather(
                token_ctx, key, level=level, eservice=self._policy.eservice(eservice),
                rsa_padding=rsa_padding, pdf=pdf, data=data))
            if field is not None and (not isinstance(field, str) or not layout.FIELD_NAME.match(field)):
                raise errors.BadRequest(Message(
                    "Tên trường chữ ký chỉ gồm chữ, số, '_', '.', '-' (tối đa 64).",
                    "A field name uses letters, digits, '_', '.', '-' (64 at most)."), parameter="field")
            field_name = field or f"Signature{doc.revision}-{secrets.token_hex(3)}"
            if field is not None:
                from signsvc.signing.appearance.placement import existing_field
                from signsvc.signing.appearance.spec import AppearanceSpec

                existing_field(pdf.writer.prev, field)   # there, empty and visible, else 422
                appearance = appearance or AppearanceSpec(profile="text")
            visible = None
            if appearance is not None and self._images is not None:
                from signsvc.signing.appearance.three_step import three_step_spec
                from signsvc.signing.appearance.visible import plan_visible

                # no time drawn unless it equals the signature's own (VS-8, VS-11)
                spec = three_step_spec(self._images.resolve(appearance, f"official:{ctx.actor}"),
                                       level, key.info.certificate.common_name)
                visible = plan_visible(pdf, spec, self._look, cert, field_name, field is not None,
                                       page_words=self._page_words)
                look = {"appearance": spec.profile, "image_sha256": visible.image_sha256,
                        "page": visible.page + 1,
                        "rect": ",".join(f"{v:.2f}" for v in visible.rect),
                        **({"field": field} if field else {})}
            if level in LONG_TERM:
                if self._ltv is None:
                    raise errors.BadRequest(Message(
                        f"Dịch vụ chưa được cấu hình để ký mức {level}.",
                        f"The service is not configured for level {level}."), parameter="level")
                self._ltv.signer_context(cert, key.chain)  # revoked/untrusted/no OCSP: stop now
            prepared = deferred.prepare(pdf, cert, key.chain, level=level,
                                        field_name=field_name,
                                        prefer_pss=rsa_padding == "pss", visible=visible)
        except SignsvcError as exc:
            if deadline.expired() and "rule" not in exc.extra:
                raise self._timed_out(ctx, facts, {"document_id": str(document_id)[:64],
                                                   "step": "prepare"}) from None
            if "rule" not in exc.extra:
                audit(self._audit, ctx, AuditTag.SIGNING_SESSION_REJECTED,
                      AuditOutcome.DENIED if exc.status < 500
                      else AuditOutcome.FAILURE, error_code=exc.code, **facts,
                      details={"document_id": document_id[:64], "step": "prepare"})
            raise
        except Exception as exc:
            if isinstance(exc, TimeoutError) and deadline.expired():
                raise self._timed_out(ctx, facts, {"document_id": str(document_id)[:64],
                                                   "step": "prepare"}) from None
            if unreadable(pdf):  # the library tripped over the document: 422, as any bad input
                audit(self._audit, ctx, AuditTag.SIGNING_SESSION_REJECTED, AuditOutcome.DENIED,
                      error_code=errors.MalformedPdf.code, **facts,
                      details={"document_id": str(document_id)[:64], "step": "prepare"})
                raise errors.MalformedPdf() from None
            raise audit_unexpected(self._audit, ctx, AuditTag.SIGNING_SESSION_REJECTED,
                                   exc, **facts,
                                   details={"document_id": str(document_id)[:64],
                                            "step": "prepare"}) from None
        now = self._now()
        self._store.purge_expired(iso(now))  # expired sessions lose their prepared files
        session = StoredSession(
            id=secrets.token_urlsafe(24), owner=ctx.actor or "", document_id=doc.id,
            base_revision=doc.revision, base_sha256=doc.sha256, certificate=cert.dump(), level=level,
            field_name=prepared.field_name, prepared_pdf=prepared.prepared_pdf,
            prepared_sha256=hashlib.sha256(prepared.prepared_pdf).hexdigest(),
            document_digest=prepared.document_digest, reserved_start=prepared.reserved_start,
            reserved_end=prepared.reserved_end, signed_attrs=prepared.signed_attrs,
            mechanism=prepared.mechanism, state="prepared", created_at=iso(now),
            expires_at=iso(now + timedelta(seconds=self._ttl)), result_sha256=None)
        self._store.add_session(session)
        audit(self._audit, ctx, AuditTag.SIGNING_SESSION_PREPARED, AuditOutcome.SUCCESS, **facts,
              details={"session": session.id[:16], "document_id": doc.id,
                       "hash_to_sign": prepared.hash_to_sign.hex(), **look,
                       **decision_audit_details(decision)})
        return {
            "id": session.id, "state": "prepared", "expires_at": session.expires_at,
            "hash": base64.b64encode(prepared.hash_to_sign).decode(), "hash_algorithm": "sha256",
            "data_to_sign": base64.b64encode(prepared.signed_attrs).decode(),
            "signature_algorithm": prepared.signature_algorithm,
            "pss_salt_length": prepared.pss_salt_length, "level": level,
            "document": {"id": doc.id, "title": doc.title, "number": doc.number, "pages": doc.pages,
                         "sha256": doc.sha256, "revision": doc.revision},
            "policy_warnings": [r.rule for r in decision.warnings],
        }

    def _owned(self, ctx: RequestContext, session_id: str) -> StoredSession:
        session = self._store.session(session_id) if isinstance(session_id, str) else None
        if session is None or session.owner != ctx.actor:
            if session is not None:
                audit(self._audit, ctx, AuditTag.SIGNING_SESSION_REJECTED, AuditOutcome.DENIED,
                      error_code="session-not-found", details={"reason": "not the owner",
                                                                "session": session_id[:16]})
            raise errors.SessionNotFound()
        return session

    def status(self, ctx: RequestContext, session_id: str) -> dict[str, Any]:
        s = self._owned(ctx, session_id)
        state = s.state
        if state == "prepared" and s.expires_at <= iso(self._now()):
            state = "expired"
        return {"id": s.id, "state": state, "expires_at": s.expires_at, "document_id": s.document_id,
                "level": s.level, "result_sha256": s.result_sha256}

    def cancel(self, ctx: RequestContext, session_id: str, reason: str | None = None) -> None:
        """End an unused session. ``reason``: why the official's side gave up, as its agent
        reported it (one of ``AGENT_FAILURES``; recorded as reported, not verified)."""
        s = self._owned(ctx, session_id)
        if reason is not None and reason not in AGENT_FAILURES:
            raise errors.BadRequest(Message(f"Lý do không hợp lệ; dùng một trong: {', '.join(AGENT_FAILURES)}.",
                                            f"Unknown reason; use one of: {', '.join(AGENT_FAILURES)}."),
                                    parameter="reason")
        if not self._store.cancel_session(s.id):
            raise errors.SessionUsed()
        if reason is None:
            audit(self._audit, ctx, AuditTag.SIGNING_SESSION_CANCELLED, AuditOutcome.SUCCESS,
                  details={"session": s.id[:16], "document_id": s.document_id})
        else:
            audit(self._audit, ctx, AuditTag.SIGNING_SESSION_REJECTED, AuditOutcome.DENIED,
                  error_code=reason,
                  certificate_sha256=hashlib.sha256(s.certificate).hexdigest(),
                  input_sha256=s.base_sha256, level=s.level,
                  details={"session": s.id[:16], "document_id": s.document_id, "step": "sign",
                           "reported_by": "agent"})

    # -- step 3 ---------------------------------------------------------------------------
    @deadline.bounded_by_timeout
    def complete(self, ctx: RequestContext, session_id: str, signature_b64: Any,
                 certificate_b64: Any = None) -> tuple[StoredDocument, bytes]:
        s = self._owned(ctx, session_id)
        cert = x509.Certificate.load(s.certificate)
        facts = {"certificate_sha256": hashlib.sha256(s.certificate).hexdigest(),
                 "certificate_serial": format(cert.serial_number, "X"), "input_sha256": s.base_sha256,
                 "level": s.level}
        try:
            if certificate_b64 is not None and _load_certificate(certificate_b64).dump() != s.certificate:
                raise errors.CertificateMismatch()
            try:
                raw = base64.b64decode(signature_b64, validate=True) if isinstance(signature_b64, str) \
                    else None
            except ValueError:  # binascii.Error, and non-ASCII text ("é")
                raw = None
            if not raw or len(raw) > 1024:
                raise errors.BadRequest(Message("Thiếu chữ ký (base64).", "The signature (base64) is missing."),
                                        parameter="signature")
            if not self._store.claim_session(s.id, iso(self._now())):
                current = self._store.session(s.id)
                if current and current.state == "prepared":
                    self._store.purge_expired(iso(self._now()))
                    raise errors.SessionExpired()
                raise errors.SessionUsed()
            if hashlib.sha256(s.prepared_pdf).hexdigest() != s.prepared_sha256:
                self._store.finish_session(s.id, "rejected")
                raise errors.PreparedDocumentChanged()
            doc = self._store.document(s.document_id)
            if doc is None or doc.revision != s.base_revision:
                self._store.finish_session(s.id, "rejected")
                raise errors.StaleRevision()
            prepared = deferred.PreparedSignature(
                prepared_pdf=s.prepared_pdf, document_digest=s.document_digest,
                reserved_start=s.reserved_start, reserved_end=s.reserved_end,
                signed_attrs=s.signed_attrs, mechanism=s.mechanism, field_name=s.field_name,
                level=s.level)
            try:
                signature = deferred.verify_raw_signature(cert, prepared, raw)
            except SignsvcError:
                self._store.finish_session(s.id, "rejected")
                raise
            try:
                signed = deferred.complete(prepared, cert, self._chain_for(cert), signature, self._ts)
                if s.level in LONG_TERM and self._ltv is not None:
                    chain = self._chain_for(cert)
                    signed = self._ltv.complete(signed, s.level,
                                                self._ltv.signer_context(cert, chain)).data
            except (SignsvcError, TimeoutError):
                self._store.finish_session(s.id, "rejected")
                raise
            sha = hashlib.sha256(signed).hexdigest()
            if not self._store.advance_document(s.document_id, s.base_revision, signed, sha, "signed"):
                self._store.finish_session(s.id, "rejected")
                raise errors.StaleRevision()
        except SignsvcError as exc:
            if deadline.expired():
                raise self._timed_out(ctx, facts, {"session": s.id[:16], "document_id": s.document_id,
                                                   "step": "complete"}) from None
            audit(self._audit, ctx, AuditTag.SIGNING_SESSION_REJECTED,
                  AuditOutcome.DENIED if exc.status < 500
                  else AuditOutcome.FAILURE, error_code=exc.code, **facts,
                  details={"session": s.id[:16], "document_id": s.document_id, "step": "complete"})
            raise
        except Exception as exc:
            if isinstance(exc, TimeoutError) and deadline.expired():
                raise self._timed_out(ctx, facts, {"session": s.id[:16], "document_id": s.document_id,
                                                   "step": "complete"}) from None
            raise audit_unexpected(self._audit, ctx, AuditTag.SIGNING_SESSION_REJECTED,
                                   exc, **facts,
                                   details={"session": s.id[:16], "document_id": s.document_id,
                                            "step": "complete"}) from None
        self._store.finish_session(s.id, "completed", sha)
        audit(self._audit, ctx, AuditTag.SIGNING_DOCUMENT_SIGNED, AuditOutcome.SUCCESS,
              output_sha256=sha, **facts,
              details={"session": s.id[:16], "document_id": s.document_id,
                       "hash_signed": prepared.hash_to_sign.hex(), "path": "browser-session",
                       "key_protection": "hardware"})
        stored = self._store.document(s.document_id)
        assert stored is not None
        return stored, signed

    def _timed_out(self, ctx: RequestContext, facts: dict[str, Any],
                   details: dict[str, Any]) -> errors.SigningTimeout:
        """Audit a step that ran past its deadline; the error to raise (503 signing-timeout)."""
        audit(self._audit, ctx, AuditTag.SIGNING_SESSION_REJECTED, AuditOutcome.FAILURE,
              error_code=errors.SigningTimeout.code, **facts, details=details)
        return errors.SigningTimeout()

    def reject(self, ctx: RequestContext, error: SignsvcError, step: str) -> None:
        """Audit a session request refused before it reached ``create``/``complete`` (its JSON
        body or a parameter): every signing request leaves one record."""
        audit(self._audit, ctx, AuditTag.SIGNING_SESSION_REJECTED,
              AuditOutcome.DENIED if error.status < 500
              else AuditOutcome.FAILURE, error_code=error.code, details={"step": step})

    def registered_certificates(self, ctx: RequestContext) -> list[str]:
        """SHA-256 fingerprints of the certificates registered to the caller."""
        return [sha for sha, _ in self._store.certificates_of(ctx.actor or "")]

    def purge(self) -> int:
        return self._store.purge_expired(iso(self._now()))
