"""Compatibility with agents that sign the whole file (the VGCA agent's way).

The page gets two one-time URLs bound to the official, the document and its revision: the
agent downloads the revision, signs it itself and uploads the result. The upload is
untrusted: it is accepted only if it is byte-for-byte the served revision followed by
exactly one incremental update that adds exactly one signature, covering the whole file,
that validates (TOTAL-PASSED) and whose certificate is registered to that official.
Anything else is refused with the reason, audited, and the stored revision is kept.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from signsvc import errors
from signsvc.audit_tags import AuditTag
from signsvc.errors import Message, SignsvcError
from signsvc.names import AuditOutcome, Indication, Role
from signsvc.services.audit_service import AuditService
from signsvc.services.auditing import audit
from signsvc.services.context import RequestContext
from signsvc.services.document_service import DocumentService
from signsvc.signing.pdf_input import (
    open_for_signing,
    revisions_and_signatures,
    update_only_adds_signatures,
)

TICKET_TTL = timedelta(minutes=5)


def _now() -> datetime:
    return datetime.now(UTC)


def _rejected(vi: str, en: str) -> errors.SignsvcError:
    return errors.BadRequest(Message(f"Tệp tải lên bị từ chối: {vi}", f"Upload refused: {en}"),
                             parameter="uploadfile")


def _h(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class WholeFileService:
    def __init__(self, store: Any, documents: DocumentService, validate: Callable[[bytes], Any],
                 audit_service: AuditService) -> None:
        self._store = store
        self._documents = documents
        self._validate = validate
        self._audit = audit_service

    def tickets(self, ctx: RequestContext, document_id: str) -> dict[str, str]:
        """A one-time download URL and upload URL for the caller's document (5 minutes)."""
        doc = self._documents.visible(ctx, document_id)
        if doc.assignee != ctx.actor or doc.state != "awaiting":
            raise errors.Forbidden(Message("Tài liệu này không chờ chữ ký của bạn.",
                                           "This document is not awaiting your signature."))
        token = secrets.token_urlsafe(32)
        expires = (_now() + TICKET_TTL).isoformat(timespec="microseconds")
        self._store.add_ticket(_h(token), ctx.actor, doc.id, doc.revision, doc.sha256, expires)
        audit(self._audit, ctx, AuditTag.SIGNING_TICKET_ISSUED, AuditOutcome.SUCCESS,
              input_sha256=doc.sha256,
              details={"document_id": doc.id, "revision": doc.revision})
        return {"ticket": token, "download_url": f"/v1/whole-file/{token}/download",
                "upload_url": f"/v1/whole-file/{token}/upload", "expires_at": expires}

    def _ticket(self, ctx: RequestContext, token: str, column: str) -> dict:
        ticket = self._store.ticket(_h(token)) if isinstance(token, str) and len(token) < 100 else None
        if ticket is None or not self._store.use_ticket(_h(token), column, _now().isoformat()):
            audit(self._audit, ctx, AuditTag.SIGNING_TICKET_REJECTED, AuditOutcome.DENIED,
                  error_code="forbidden",
                  details={"use": column, "known": ticket is not None})
            raise errors.Forbidden(Message("Đường dẫn một lần không hợp lệ, đã dùng hoặc đã hết hạn.",
                                           "The one-time URL is not valid, already used or expired."))
        return ticket

    def download(self, ctx: RequestContext, token: str) -> bytes:
        ticket = self._ticket(ctx, token, "downloaded")
        data = self._store.document_content(ticket["document_id"]) or b""
        doc = self._store.document(ticket["document_id"])
        if doc is None or doc.revision != ticket["revision"]:
            raise errors.StaleRevision()
        return data

    def upload(self, ctx: RequestContext, token: str, data: bytes) -> Any:
        """Store the upload as the next revision if it passes every check (see module doc)."""
        ticket = self._ticket(ctx, token, "uploaded")
        ctx = RequestContext(ctx.request_id, ticket["owner"], Role.OFFICIAL, ctx.client_address)
        sha = hashlib.sha256(data).hexdigest()
        try:
            doc = self._store.document(ticket["document_id"])
            served = self._store.document_content(ticket["document_id"]) or b""
            if doc is None or doc.revision != ticket["revision"]:
                raise errors.StaleRevision()
            if not data.startswith(served) or len(data) == len(served):
                raise _rejected("không phải là bản đã tải về cộng thêm một lần cập nhật.",
                                "it is not the served revision plus an incremental update.")
            open_for_signing(data)
            revs_before, sigs_before = revisions_and_signatures(served)
            revs_after, sigs_after = revisions_and_signatures(data)
            if revs_after != revs_before + 1:
                raise _rejected("cần đúng một lần cập nhật gia tăng.",
                                "exactly one incremental update is required.")
            if not update_only_adds_signatures(data, revs_before):
                raise _rejected("lần cập nhật có thay đổi khác ngoài chữ ký.",
                                "the update changes more than adding the signature.")
            if sigs_after != sigs_before + 1:
                raise _rejected("cần đúng một chữ ký mới.", "exactly one new signature is required.")
            report = self._validate(data)
            new = report.signatures[-1]
            registered = {s for s, _ in self._store.certificates_of(ticket["owner"])}
            if new.coverage != "entire_file" or new.indication != Indication.TOTAL_PASSED:
                raise _rejected("chữ ký mới không hợp lệ hoặc không bao toàn bộ tệp.",
                                "the new signature is not valid or does not cover the whole file.")
            if new.signer is None or new.signer.certificate_sha256 not in registered:
                raise errors.CertificateNotRegistered()
            if not self._store.advance_document(doc.id, doc.revision, data, sha, "signed"):
                raise errors.StaleRevision()
        except SignsvcError as exc:
            audit(self._audit, ctx, AuditTag.SIGNING_UPLOAD_REJECTED, AuditOutcome.DENIED,
                  error_code=exc.code,
                  input_sha256=ticket["base_sha256"], output_sha256=sha,
                  details={"document_id": ticket["document_id"], "reason": exc.message.en[:300]})
            raise
        audit(self._audit, ctx, AuditTag.SIGNING_DOCUMENT_SIGNED, AuditOutcome.SUCCESS,
              input_sha256=ticket["base_sha256"],
              output_sha256=sha, certificate_sha256=new.signer.certificate_sha256,
              details={"document_id": doc.id, "path": "whole-file-upload"})
        return self._store.document(doc.id)
