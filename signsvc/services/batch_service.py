"""Batch verification of incoming documents (VAL-9): one ``accept``/``return`` per file.

Each file is validated on its own; the intake rules of the policy in force decide. A file
that is not a PDF, is damaged, encrypted or too large is a ``return`` with the reason,
never a failure of the batch. Exactly one audit record per file
(``validation:batch:accepted`` / ``validation:batch:returned``, with the file's SHA-256, its
verdict, the decision, the rule that returned it and the batch id). The bounds on the
number of files and their total size are checked before anything is validated.
"""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from signsvc.audit_tags import AuditTag
from signsvc.errors import BadRequest, DocumentTooLarge, Message, SignsvcError
from signsvc.names import AuditOutcome
from signsvc.policy.engine import Policy
from signsvc.policy.intake import IntakeDecision, IntakeFacts, evaluate_intake
from signsvc.services.audit_service import AuditService
from signsvc.services.auditing import audit
from signsvc.services.context import RequestContext
from signsvc.validation.report import ValidationReport

NAME_MAX = 200


def clean_name(name: str | None, index: int) -> str:
    """A printable file name (no path, no control characters, at most 200 characters);
    ``file-N`` when none was given."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:NAME_MAX] or f"file-{index}"


@dataclass(frozen=True)
class BatchItem:
    name: str
    sha256: str
    size: int
    decision: IntakeDecision
    verdict: str | None                  # None: the file could not be read
    report: ValidationReport | None
    error_code: str | None = None        # the problem type when it could not be read

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "size": self.size,
                "decision": self.decision.decision, "verdict": self.verdict,
                "reason": {"vi": self.decision.reason.vi, "en": self.decision.reason.en},
                "returned_by": self.decision.returned_by, "error_code": self.error_code,
                "report": self.report.as_dict() if self.report is not None else None}


@dataclass(frozen=True)
class BatchResult:
    batch_id: str
    items: tuple[BatchItem, ...]
    policy_sha256: str
    policy_version: str

    @property
    def accepted(self) -> int:
        return sum(1 for i in self.items if i.decision.decision == "accept")

    @property
    def returned(self) -> int:
        return len(self.items) - self.accepted

    def as_dict(self) -> dict[str, Any]:
        return {"batch_id": self.batch_id, "results": [i.as_dict() for i in self.items],
                "accepted": self.accepted, "returned": self.returned,
                "policy_sha256": self.policy_sha256, "policy_version": self.policy_version}


def too_many_files(limit: int) -> DocumentTooLarge:
    return DocumentTooLarge(Message(
        f"Lô tài liệu có quá nhiều tệp (tối đa {limit}); không tệp nào được kiểm tra.",
        f"The batch has too many files (at most {limit}); no file was checked."), max_files=limit)


def batch_too_large(limit: int) -> DocumentTooLarge:
    mib = limit / (1024 * 1024)
    return DocumentTooLarge(Message(
        f"Tổng kích thước lô tài liệu vượt quá {mib:.1f} MiB; không tệp nào được kiểm tra.",
        f"The batch exceeds {mib:.1f} MiB in total; no file was checked."), max_bytes=limit)


def no_files() -> BadRequest:
    return BadRequest(Message("Lô tài liệu không có tệp nào (phần 'file' của multipart/form-data).",
                              "The batch holds no file (the 'file' parts of multipart/form-data)."),
                      parameter="file")


class BatchService:
    def __init__(self, validate: Callable[[bytes], ValidationReport], audit_service: AuditService,
                 policy: Callable[[], Policy], *, max_files: int, max_total_bytes: int,
                 max_document_bytes: int) -> None:
        self._validate = validate
        self._audit = audit_service
        self._policy = policy
        self.max_files = max_files
        self.max_total_bytes = max_total_bytes
        self.max_document_bytes = max_document_bytes

    def check_bounds(self, count: int, total_bytes: int) -> None:
        """Raises (413 problem) when ``count`` files or ``total_bytes`` exceed the bounds,
        ``BadRequest`` when there is no file."""
        if count == 0:
            raise no_files()
        if count > self.max_files:
            raise too_many_files(self.max_files)
        if total_bytes > self.max_total_bytes:
            raise batch_too_large(self.max_total_bytes)

    def reject(self, ctx: RequestContext, error: SignsvcError) -> None:
        """Audit a batch refused before any file was checked."""
        audit(self._audit, ctx, AuditTag.VALIDATION_BATCH_REJECTED, AuditOutcome.FAILURE,
              error_code=error.code)

    def verify_batch(self, ctx: RequestContext, files: Sequence[tuple[str | None, bytes]]) -> BatchResult:
        """One decision per file, in the order given (bounds checked first)."""
        self.check_bounds(len(files), sum(len(data) for _, data in files))
        policy = self._policy()
        batch_id = uuid.uuid4().hex
        items = tuple(self._one(ctx, policy, batch_id, index, clean_name(name, index), data)
                      for index, (name, data) in enumerate(files, start=1))
        return BatchResult(batch_id, items, policy.sha256, policy.version)

    def _one(self, ctx: RequestContext, policy: Policy, batch_id: str, index: int, name: str,
             data: bytes) -> BatchItem:
        sha256 = hashlib.sha256(data).hexdigest()
        report: ValidationReport | None = None
        error: SignsvcError | None = None
        if len(data) > self.max_document_bytes:
            error = DocumentTooLarge(Message(
                f"Tệp vượt quá kích thước tối đa {self.max_document_bytes / 1048576:.1f} MiB.",
                f"The file exceeds the maximum size of {self.max_document_bytes / 1048576:.1f} MiB."))
        else:
            try:
                report = self._validate(data)
            except SignsvcError as exc:   # not a PDF, damaged, encrypted: returned, not fatal
                error = exc
        if report is not None:
            facts = IntakeFacts(report.verdict, finding=Message(report.messages.vi[0], report.messages.en[0])
                                if report.messages.vi else None)
        else:
            facts = IntakeFacts(None, problem=error.message if error else None)
        decision = evaluate_intake(policy, facts)
        item = BatchItem(name=name, sha256=sha256, size=len(data), decision=decision,
                         verdict=report.verdict if report else None, report=report,
                         error_code=error.code if error else None)
        audit(self._audit, ctx, AuditTag.VALIDATION_BATCH_ACCEPTED if decision.decision == "accept"
              else AuditTag.VALIDATION_BATCH_RETURNED, AuditOutcome.SUCCESS,
              input_sha256=sha256, error_code=item.error_code,
              details={"batch": batch_id, "index": index, "decision": decision.decision,
                       "verdict": item.verdict, "returned_by": decision.returned_by,
                       "signatures": len(report.signatures) if report else 0})
        return item
