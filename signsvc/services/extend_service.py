"""Upgrade the signatures of an existing PDF to B-LT or B-LTA (also PDFs signed elsewhere).

Guarantees: every existing signature stays valid (only incremental updates are added);
the extended PDF is returned only after its audit record is committed; refusals and
failures are audited with their error code.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from signsvc.errors import BadRequest, Message, SignsvcError
from signsvc.services.audit_service import AuditService
from signsvc.services.auditing import audit
from signsvc.services.context import RequestContext
from signsvc.signing.ltv import LtvBuilder
from signsvc.signing.pdf_input import open_for_signing

EXTEND_LEVELS = ("B-LT", "B-LTA")


@dataclass(frozen=True)
class ExtendResult:
    data: bytes
    sha256: str
    level: str
    audit_sequence: int
    signatures: int
    document_timestamps_added: int


class ExtendService:
    def __init__(self, ltv: LtvBuilder, audit_service: AuditService) -> None:
        self._ltv = ltv
        self._audit = audit_service

    @property
    def ltv(self) -> LtvBuilder:
        """The builder (shared with ``signsvc archive renew``)."""
        return self._ltv

    def extend(self, ctx: RequestContext, data: bytes, level: str) -> ExtendResult:
        sha_in = hashlib.sha256(data).hexdigest()
        try:
            if level not in EXTEND_LEVELS:
                raise BadRequest(Message("Mức nâng cấp phải là B-LT hoặc B-LTA.",
                                         "The level to extend to must be B-LT or B-LTA."),
                                 parameter="level")
            open_for_signing(data)  # not a PDF, damaged, encrypted: refused before any network
            result = self._ltv.extend(data, level)
        except SignsvcError as exc:
            audit(self._audit, ctx, "signing:document:extend_failed",
                  "denied" if exc.status < 500 else "failure", error_code=exc.code,
                  input_sha256=sha_in, level=level[:16])
            raise
        sha_out = hashlib.sha256(result.data).hexdigest()
        record = audit(self._audit, ctx, "signing:document:extended", "success", input_sha256=sha_in,
                       output_sha256=sha_out, level=result.level,
                       details={"signatures": result.signatures,
                                "document_timestamps_added": result.document_timestamps_added,
                                "dss_written": result.dss_written})
        return ExtendResult(result.data, sha_out, result.level, record.sequence, result.signatures,
                            result.document_timestamps_added)
