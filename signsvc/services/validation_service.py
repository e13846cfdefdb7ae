"""Verify a PDF and audit that it was verified (hashes and verdict, never content)."""

from __future__ import annotations

import hashlib

from signsvc.audit_tags import AuditTag
from signsvc.errors import SignsvcError
from signsvc.names import AuditOutcome
from signsvc.services.audit_service import AuditService
from signsvc.services.auditing import audit
from signsvc.services.context import RequestContext
from signsvc.validation.report import ValidationReport
from signsvc.validation.validator import PdfValidator


class ValidationService:
    def __init__(self, validator: PdfValidator, audit_service: AuditService) -> None:
        self._validator = validator
        self._audit = audit_service

    def reject(self, ctx: RequestContext, error: SignsvcError) -> None:
        """Audit a verification request refused before reading the document."""
        audit(self._audit, ctx, AuditTag.VALIDATION_DOCUMENT_REJECTED, AuditOutcome.FAILURE,
              error_code=error.code)

    def verify(self, ctx: RequestContext, data: bytes) -> ValidationReport:
        """The report for ``data``; a bad signature is a report, an unreadable file an error."""
        try:
            report = self._validator.validate(data)
        except SignsvcError as exc:
            audit(self._audit, ctx, AuditTag.VALIDATION_DOCUMENT_FAILED, AuditOutcome.FAILURE,
                  error_code=exc.code, input_sha256=hashlib.sha256(data).hexdigest())
            raise
        # the report's document hash is the SHA-256 of ``data``: not hashed a second time
        audit(self._audit, ctx, AuditTag.VALIDATION_DOCUMENT_VERIFIED, AuditOutcome.SUCCESS,
              input_sha256=report.document.sha256,
              details={"verdict": report.verdict, "signatures": len(report.signatures)})
        return report
