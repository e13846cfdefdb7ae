"""Upgrade the signatures of an existing PDF to B-LT or B-LTA (also PDFs signed elsewhere).

Guarantees: every existing signature stays valid (only incremental updates are added);
the extended PDF is returned only after its audit record is committed; refusals and
failures are audited with their error code, an unexpected error too (``outcome=error``,
500 naming the request id); the whole request ends by ``timeout_seconds`` (every OCSP/CRL
and TSA fetch on its path is cut at that deadline): past it, 503 ``signing-timeout``,
audited, nothing returned.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from signsvc import deadline
from signsvc.audit_tags import AuditTag
from signsvc.errors import BadRequest, Message, SigningTimeout, SignsvcError
from signsvc.names import LONG_TERM_LEVELS, AuditOutcome
from signsvc.services.audit_service import AuditService
from signsvc.services.auditing import audit
from signsvc.services.context import RequestContext
from signsvc.services.signing_service import audit_unexpected
from signsvc.signing.ltv import LtvBuilder
from signsvc.signing.pdf_input import open_for_signing

EXTEND_LEVELS = LONG_TERM_LEVELS


@dataclass(frozen=True)
class ExtendResult:
    data: bytes
    sha256: str
    level: str
    audit_sequence: int
    signatures: int
    document_timestamps_added: int


class ExtendService:
    def __init__(self, ltv: LtvBuilder, audit_service: AuditService,
                 timeout_seconds: float | None = None) -> None:
        self._ltv = ltv
        self._audit = audit_service
        self._timeout = timeout_seconds   # the whole of ``extend``; None: no deadline

    @property
    def ltv(self) -> LtvBuilder:
        """The builder (shared with ``signsvc archive renew``)."""
        return self._ltv

    def extend(self, ctx: RequestContext, data: bytes, level: str) -> ExtendResult:
        sha_in = hashlib.sha256(data).hexdigest()
        failed = AuditTag.SIGNING_DOCUMENT_EXTEND_FAILED
        with deadline.within(self._timeout):
            try:
                if level not in EXTEND_LEVELS:
                    raise BadRequest(Message("Mức nâng cấp phải là B-LT hoặc B-LTA.",
                                             "The level to extend to must be B-LT or B-LTA."),
                                     parameter="level")
                open_for_signing(data)  # not a PDF, damaged, encrypted: refused before any network
                result = self._ltv.extend(data, level)
                if deadline.expired():
                    raise SigningTimeout()
            except (SignsvcError, TimeoutError) as exc:
                if deadline.expired():  # whatever failed last, it failed because time was up
                    audit(self._audit, ctx, failed, AuditOutcome.FAILURE,
                          error_code=SigningTimeout.code, input_sha256=sha_in, level=level[:16])
                    raise SigningTimeout() from None
                if not isinstance(exc, SignsvcError):
                    raise
                outcome = AuditOutcome.DENIED if exc.status < 500 else AuditOutcome.FAILURE
                audit(self._audit, ctx, failed, outcome, error_code=exc.code, input_sha256=sha_in,
                      level=level[:16])
                raise
            except Exception as exc:
                raise audit_unexpected(self._audit, ctx, failed, exc, input_sha256=sha_in,
                                       level=level[:16]) from None
        sha_out = hashlib.sha256(result.data).hexdigest()
        record = audit(self._audit, ctx, AuditTag.SIGNING_DOCUMENT_EXTENDED, AuditOutcome.SUCCESS,
                       input_sha256=sha_in,
                       output_sha256=sha_out, level=result.level,
                       details={"signatures": result.signatures,
                                "document_timestamps_added": result.document_timestamps_added,
                                "dss_written": result.dss_written})
        return ExtendResult(result.data, sha_out, result.level, record.sequence, result.signatures,
                            result.document_timestamps_added)
