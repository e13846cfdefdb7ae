"""Reports people file: the validation report as a signed PDF, and reports kept for the
auditor's page.

Guarantees: a PDF report is handed out only after its audit record
(``reports:report:issued``: who, the document's SHA-256 as input, the report's SHA-256
as output, the report key) is committed; a failure is audited
(``reports:report:failed``) and nothing is returned. A report is signed only for a
validation made against the trust store in force (else it would name the wrong anchors).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable

from signsvc.audit_tags import AuditTag
from signsvc.errors import Message, ReportNotFound, ReportUnavailable, SignsvcError
from signsvc.names import AuditOutcome
from signsvc.reports.model import IssuedReport, ReportIssuer
from signsvc.services.audit_service import AuditService
from signsvc.services.auditing import audit
from signsvc.services.context import RequestContext
from signsvc.services.pii import mask_for
from signsvc.services.validation_service import ValidationService

_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def canonical_json(report: dict) -> bytes:
    """The report as canonical JSON (sorted keys, UTF-8): what ``report_json_sha256`` hashes."""
    return json.dumps(report, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


class ReportService:
    def __init__(self, validation: ValidationService, audit_service: AuditService,
                 issuer: ReportIssuer, render: Callable[[dict, ReportIssuer], bytes],
                 signer=None, store=None) -> None:
        """``render(report, issuer)`` lays out the unsigned PDF; ``signer`` (a
        ``signsvc.reports.signing.ReportSigner``) signs it, or None when no report key is
        configured; ``store`` keeps reports for the pages (``put``/``get``)."""
        self._validation = validation
        self._audit = audit_service
        self.issuer = issuer
        self._render = render
        self._signer = signer
        self._store = store

    @property
    def pdf_available(self) -> bool:
        return self._signer is not None

    def verify(self, ctx: RequestContext, data: bytes) -> dict:
        """The validation report of ``data`` as JSON (validation audited), with personal
        identifiers (CMND/CCCD/MST) masked unless ``ctx``'s role may see them (SEC-5,
        signsvc.services.pii): the JSON, the HTML page and the PDF report are made from it."""
        return mask_for(ctx.role, self._validation.verify(ctx, data).as_dict())

    def verify_pdf(self, ctx: RequestContext, data: bytes) -> tuple[dict, IssuedReport]:
        """Validate ``data`` and issue its signed PDF report."""
        report = self.verify(ctx, data)
        return report, self.issue_pdf(ctx, report)

    def issue_pdf(self, ctx: RequestContext, report: dict) -> IssuedReport:
        """The signed PDF report of ``report`` (``ReportUnavailable`` without a report key
        or for a report made against another trust store; signing errors as they are)."""
        document_sha256 = (report.get("document") or {}).get("sha256")
        facts = {"input_sha256": document_sha256,
                 "key_id": self._signer.key_id if self._signer else None}
        try:
            if self._signer is None:
                raise ReportUnavailable(Message(
                    "Chưa cấu hình khóa ký báo cáo ([reports] key); không lập được báo cáo PDF.",
                    "No report key is configured ([reports] key); no PDF report can be made."))
            if report.get("trust_anchors_sha256") != self.issuer.trust_sha256:
                raise ReportUnavailable(Message(
                    "Tập chứng thư gốc tin cậy đã thay đổi từ khi kiểm tra; hãy kiểm tra lại tài liệu.",
                    "The trust anchors changed since this verification; verify the document again."))
            signed = self._signer.sign(self._render(report, self.issuer))
        except SignsvcError as exc:
            audit(self._audit, ctx, AuditTag.REPORTS_REPORT_FAILED, AuditOutcome.FAILURE,
                  error_code=exc.code, **facts)
            raise
        cert = self._signer.certificate
        record = audit(self._audit, ctx, AuditTag.REPORTS_REPORT_ISSUED, AuditOutcome.SUCCESS,
                       output_sha256=signed.sha256, level=signed.level,
                       certificate_serial=cert.serial, certificate_sha256=cert.sha256,
                       details={"format": "pdf", "verdict": str(report.get("verdict"))[:32],
                                "report_json_sha256": hashlib.sha256(canonical_json(report)).hexdigest(),
                                "signatures": len(report.get("signatures") or [])},
                       **facts)
        return IssuedReport(data=signed.data, sha256=signed.sha256, level=signed.level,
                            key_id=self._signer.key_id, document_sha256=document_sha256 or "",
                            verdict=str(report.get("verdict")), audit_sequence=record.sequence)

    # -- reports kept for the auditor's page ------------------------------------------------

    def keep(self, ctx: RequestContext, report: dict) -> str:
        """Keep ``report`` for its viewer (``ctx.actor``) a short while; returns its id."""
        report_id = secrets.token_urlsafe(24)
        self._store.put(report_id, ctx.actor or "", json.dumps(report, ensure_ascii=False))
        return report_id

    def kept(self, ctx: RequestContext, report_id: str) -> dict:
        """A report kept by ``keep`` for the same viewer; ``ReportNotFound`` otherwise."""
        if not report_id or len(report_id) > 64 or not set(report_id) <= _ID_CHARS:
            raise ReportNotFound()
        raw = self._store.get(report_id, ctx.actor or "")
        if raw is None:
            raise ReportNotFound()
        return json.loads(raw)
