"""Signed checkpoints of the chain head, and the log checked against them.

The hash chain alone cannot show that its newest records were dropped, nor that the
whole log was rewritten and every hash recomputed: whoever can write the store can do
both. A *checkpoint* closes that gap: every N records or T seconds the service signs
``(head sequence, head hash, UTC time)`` with its audit key (CMS, detached) and gets an
RFC 3161 time-stamp token over the same bytes. Rewriting the log then changes the hash
at a signed head, and dropping the tail leaves a signed head that no record reaches;
neither can be hidden without the audit key and the TSA.

Checkpoints are themselves chained (``prev_checkpoint_sha256`` is the SHA-256 of the
previous checkpoint's payload, ``index`` counts from 1), so one removed from the middle
of the list is named too. Removing the *newest* checkpoints together with the tail of
the log is what remains possible; an auditor who keeps an earlier export (or just its
last checkpoint) detects it, and ``last_checkpoint.time`` shows how stale the newest
checkpoint is.

Pure: no I/O and no cryptography here. Signatures are checked by a
``CheckpointSignatureChecker`` that the caller supplies (``signsvc.adapters``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from signsvc.audit.chain import GENESIS_HASH
from signsvc.audit.events import SHA256_RE, TIME_RE, AuditRecord
from signsvc.audit.verifier import ChainVerification, verify_chain
from signsvc.audit_tags import AuditTag

CHECKPOINT_FORMAT = "signsvc-audit-checkpoint/1"
CHECKPOINT_ACTION = AuditTag.AUDIT_CHECKPOINT_CREATED
CHECKPOINT_FAILED_ACTION = AuditTag.AUDIT_CHECKPOINT_FAILED

PAYLOAD_FIELDS = ("format", "index", "head_sequence", "head_hash", "time",
                  "prev_checkpoint_sha256")


@dataclass(frozen=True)
class Checkpoint:
    """What is signed: the head of the log at ``time`` (UTC, stored format).

    Not validated on construction (a checkpoint read back from storage or an export may
    have been edited; ``payload`` still encodes what is there and the signature says).
    """

    index: int
    head_sequence: int
    head_hash: str
    time: str
    prev_checkpoint_sha256: str = GENESIS_HASH

    def payload(self) -> bytes:
        """The canonical bytes that are signed and time-stamped (compact sorted JSON, UTF-8)."""
        body = {"format": CHECKPOINT_FORMAT, "index": self.index,
                "head_sequence": self.head_sequence, "head_hash": self.head_hash,
                "time": self.time, "prev_checkpoint_sha256": self.prev_checkpoint_sha256}
        return json.dumps(body, sort_keys=True, separators=(",", ":"),
                          ensure_ascii=True).encode("ascii")

    def payload_sha256(self) -> str:
        return hashlib.sha256(self.payload()).hexdigest()

    def well_formed(self) -> str | None:
        """None if every field has the right shape, else what is wrong (English)."""
        for name in ("index", "head_sequence"):
            value = getattr(self, name)
            if type(value) is not int or value < 1:
                return f"{name} must be a positive integer"
        for name in ("head_hash", "prev_checkpoint_sha256"):
            value = getattr(self, name)
            if not isinstance(value, str) or not SHA256_RE.fullmatch(value):
                return f"{name} must be a lower-case hex SHA-256"
        if not isinstance(self.time, str) or not TIME_RE.fullmatch(self.time):
            return "time must be UTC ISO-8601 with microseconds and Z"
        return None


def next_checkpoint(previous: Checkpoint | None, head_sequence: int, head_hash: str,
                    time: str) -> Checkpoint:
    """The checkpoint that follows ``previous`` (or the first one) for this head."""
    if previous is None:
        return Checkpoint(1, head_sequence, head_hash, time, GENESIS_HASH)
    return Checkpoint(previous.index + 1, head_sequence, head_hash, time,
                      previous.payload_sha256())


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint with its CMS signature and RFC 3161 token (both DER)."""

    checkpoint: Checkpoint
    signature: bytes
    timestamp_token: bytes
    signer_certificate_sha256: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The checkpoint's fields and the payload's SHA-256 (no binary parts)."""
        cp = self.checkpoint
        return {"index": cp.index, "head_sequence": cp.head_sequence, "head_hash": cp.head_hash,
                "time": cp.time, "prev_checkpoint_sha256": cp.prev_checkpoint_sha256,
                "payload_sha256": cp.payload_sha256(),
                "signer_certificate_sha256": self.signer_certificate_sha256}


@dataclass(frozen=True)
class SignatureCheck:
    """What a ``CheckpointSignatureChecker`` found for one checkpoint.

    ``ok`` only when the CMS signature over the payload is intact and its signer chains
    to a trust anchor, and the time-stamp token is intact, covers the same payload and
    its TSA chains to a trust anchor. ``reason`` (English) says what failed.
    """

    ok: bool
    reason: str | None = None
    signer_subject: str | None = None
    signer_certificate_sha256: str | None = None
    timestamp_time: str | None = None
    tsa_subject: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


CheckpointSignatureChecker = Callable[[bytes, bytes, bytes], SignatureCheck]
"""``(payload, cms_signature_der, timestamp_token_der) -> SignatureCheck``; never raises."""


# -- the problems a verification names ---------------------------------------------------

PROBLEMS: Mapping[str, tuple[str, str]] = {
    "altered": ("bản ghi #{s} đã bị sửa (băm không khớp)",
                "record #{s} was altered (its hash does not match)"),
    "deleted": ("thiếu bản ghi #{s} (đã bị xóa)", "record #{s} is missing (deleted)"),
    "inserted": ("bản ghi #{s} bị chèn thêm hoặc trùng số thứ tự",
                 "record #{s} was inserted (duplicate sequence)"),
    "reordered": ("bản ghi #{s} bị đổi thứ tự", "record #{s} is out of order (reordered)"),
    "relinked": ("bản ghi #{s} không nối với bản ghi trước nó (prev_hash): tại đây có bản ghi "
                 "bị chèn, xóa hoặc đổi thứ tự",
                 "record #{s} does not link to the record before it (prev_hash): records were "
                 "inserted, removed or reordered here"),
    "unreadable": ("bản ghi #{s} không đọc được", "record #{s} cannot be read"),
    "truncated": ("nhật ký bị cắt cụt: các bản ghi từ #{s} đến #{e} đã được điểm kiểm soát "
                  "#{c} ký xác nhận nhưng không còn",
                  "the log was truncated: records #{s} to #{e}, covered by signed checkpoint "
                  "#{c}, are gone"),
    "rewritten": ("nhật ký bị viết lại và tính lại chuỗi băm trong khoảng bản ghi #{s}–#{e}: "
                  "băm của bản ghi #{e} khác với điểm kiểm soát #{c} đã ký",
                  "the log was rewritten and re-chained between records #{s} and #{e}: the "
                  "hash of record #{e} differs from signed checkpoint #{c}"),
    "checkpoint-invalid": ("chữ ký hoặc dấu thời gian của điểm kiểm soát #{c} không hợp lệ: {r}",
                           "the signature or time-stamp of checkpoint #{c} is not valid: {r}"),
    "checkpoint-missing": ("thiếu điểm kiểm soát #{c} (chuỗi điểm kiểm soát bị đứt)",
                           "checkpoint #{c} is missing (the checkpoint chain is broken)"),
    "uncovered": ("các bản ghi từ #{s} đến #{e} không được điểm kiểm soát nào ký xác nhận",
                  "records #{s} to #{e} are not covered by any signed checkpoint"),
    "no-checkpoint": ("không có điểm kiểm soát đã ký nào", "there is no signed checkpoint"),
    "forged": ("bản ghi #{s} không có mã xác thực (HMAC) đúng: bản ghi bị sửa, chèn hoặc chuỗi bị "
               "tính lại bởi người không giữ khóa bí mật",
               "record #{s} does not carry a valid MAC (HMAC): it was edited, inserted or "
               "re-chained by someone without the secret key"),
    "checkpoint-backwards": ("điểm kiểm soát #{c} lùi về bản ghi #{s} (không lớn hơn điểm trước)",
                             "checkpoint #{c} moves backwards to record #{s} (not after the "
                             "previous one)"),
    "checkpoint-deleted-db": ("điểm kiểm soát #{c} có ở thư mục ngoài nhưng đã bị xóa khỏi cơ sở "
                              "dữ liệu", "checkpoint #{c} is in the external folder but was "
                              "deleted from the database"),
    "checkpoint-deleted-external": ("điểm kiểm soát #{c} có trong cơ sở dữ liệu nhưng thiếu ở "
                                    "thư mục ngoài", "checkpoint #{c} is in the database but "
                                    "missing from the external folder"),
    "checkpoint-mismatch": ("điểm kiểm soát #{c} trong cơ sở dữ liệu khác bản ở thư mục ngoài",
                            "checkpoint #{c} in the database differs from its external copy"),
    "keyed-marker": ("dấu mốc bắt đầu chuỗi có khóa (HMAC) bị xóa hoặc sửa: {r}",
                     "the marker of where the keyed (HMAC) chain starts was removed or "
                     "altered: {r}"),
}

_CHAIN_REASONS = (("record_hash mismatch", "altered"), ("sequence gap", "deleted"),
                  ("duplicate sequence", "inserted"), ("sequence out of order", "reordered"),
                  ("prev_hash mismatch", "relinked"))


def chain_problem(reason: str | None) -> str:
    """The problem name of a ``verify_chain`` reason."""
    for prefix, problem in _CHAIN_REASONS:
        if reason and reason.startswith(prefix):
            return problem
    return "unreadable"


@dataclass(frozen=True)
class Finding:
    """One thing found wrong: ``problem`` (a ``PROBLEMS`` key), where, and the message."""

    problem: str
    sequence: int | None = None          # the first record concerned
    end_sequence: int | None = None      # the last record concerned (ranges)
    checkpoint: int | None = None        # the checkpoint index concerned
    detail: str | None = None            # the checker's or the chain's reason (English)

    def message(self) -> dict[str, str]:
        vi, en = PROBLEMS[self.problem]
        values = {"s": self.sequence, "e": self.end_sequence, "c": self.checkpoint,
                  "r": self.detail or ""}
        return {"vi": vi.format(**values), "en": en.format(**values)}

    def as_dict(self) -> dict[str, Any]:
        return {"problem": self.problem, "sequence": self.sequence,
                "end_sequence": self.end_sequence, "checkpoint": self.checkpoint,
                "detail": self.detail, "message": self.message()}


@dataclass(frozen=True)
class LogVerification:
    """The log checked against its hash chain and its signed checkpoints.

    ``ok`` only if the chain is unbroken, every checkpoint that was checked is validly
    signed and time-stamped, every checkpoint's head is in the log with the signed hash,
    and (when ``require_covered``) the last checkpoint is the head. ``first_bad_sequence``
    is the first record an auditor should look at; ``findings`` say what and where.
    The first six fields are those of ``ChainVerification`` (same meaning).
    """

    ok: bool
    checked: int
    first_bad_sequence: int | None
    reason: str | None
    head_sequence: int | None
    head_hash: str | None
    last_checkpoint: dict[str, Any] | None
    checkpoints: int
    checkpoints_verified: int
    uncovered_records: int
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in
               ("ok", "checked", "first_bad_sequence", "reason", "head_sequence", "head_hash",
                "last_checkpoint", "checkpoints", "checkpoints_verified", "uncovered_records")}
        out["findings"] = [f.as_dict() for f in self.findings]
        out["messages"] = {"vi": [f.message()["vi"] for f in self.findings],
                           "en": [f.message()["en"] for f in self.findings]}
        return out


def verify_log(
    records: Iterable[AuditRecord],
    checkpoints: Sequence[SignedCheckpoint],
    checker: CheckpointSignatureChecker | None,
    *,
    verify_signatures: str = "all",
    start_sequence: int = 1,
    start_prev_hash: str = GENESIS_HASH,
    require_covered: bool = False,
    require_checkpoint: bool = False,
    max_time_skew_seconds: float = 600.0,
) -> LogVerification:
    """Check ``records`` (in stored order, streamed) against the chain and ``checkpoints``.

    ``checkpoints`` in index order. ``verify_signatures`` is ``"all"`` (an export),
    ``"last"`` (the live log: the newest signature, the others' heads), or ``"none"``.
    ``start_sequence``/``start_prev_hash`` are where a partial log begins: a checkpoint
    at ``start_sequence - 1`` anchors ``start_prev_hash``. Memory: the checkpoints plus
    one hash per checkpoint; the records are streamed.
    """
    wanted = {cp.checkpoint.head_sequence for cp in checkpoints}
    seen: dict[int, str] = {}
    if start_sequence - 1 in wanted:
        seen[start_sequence - 1] = start_prev_hash

    def tap(items: Iterable[AuditRecord]) -> Iterator[AuditRecord]:
        for record in items:
            if record.sequence in wanted and isinstance(record.record_hash, str):
                seen[record.sequence] = record.record_hash
            yield record

    chain: ChainVerification = verify_chain(tap(records), start_prev_hash, start_sequence)
    findings: list[Finding] = []
    if not chain.ok:
        findings.append(Finding(chain_problem(chain.reason), chain.first_bad_sequence,
                                detail=chain.reason))
    # the last record known good, and so the range of records checked
    good_head = chain.head_sequence if chain.head_sequence is not None else start_sequence - 1

    verified = 0
    last_info: dict[str, Any] | None = None
    previous: Checkpoint | None = None
    last_matching_head = start_sequence - 1
    truncated_by: Checkpoint | None = None
    for position, signed in enumerate(checkpoints):
        cp = signed.checkpoint
        shape = cp.well_formed()
        if shape is not None:
            findings.append(Finding("checkpoint-invalid", checkpoint=cp.index
                                    if type(cp.index) is int else None, detail=shape))
            previous = cp
            continue
        if previous is not None and (cp.index != previous.index + 1 or
                                     cp.prev_checkpoint_sha256 != previous.payload_sha256()):
            findings.append(Finding("checkpoint-missing", checkpoint=previous.index + 1,
                                    detail="prev_checkpoint_sha256 or index does not follow"))
        elif previous is None and cp.index == 1 and cp.prev_checkpoint_sha256 != GENESIS_HASH:
            findings.append(Finding("checkpoint-missing", checkpoint=1,
                                    detail="the first checkpoint does not start the chain"))
        if previous is not None and type(previous.head_sequence) is int \
                and cp.head_sequence <= previous.head_sequence:
            findings.append(Finding("checkpoint-backwards", cp.head_sequence, checkpoint=cp.index))
        is_last = position == len(checkpoints) - 1
        check: SignatureCheck | None = None
        if checker is not None and (verify_signatures == "all" or
                                    (verify_signatures == "last" and is_last)):
            check = checker(cp.payload(), signed.signature, signed.timestamp_token)
            skew = _skew_seconds(cp.time, check.timestamp_time) if check.ok else None
            if skew is not None and skew > max_time_skew_seconds:
                check = replace(check, ok=False, reason=(
                    f"the time-stamp ({check.timestamp_time}) is {skew:.0f} s away from the "
                    f"checkpoint's time ({cp.time})"))
            if check.ok:
                verified += 1
            else:
                findings.append(Finding("checkpoint-invalid", checkpoint=cp.index,
                                        detail=check.reason))
        if is_last:
            last_info = {**signed.as_dict(), "signature_checked": check is not None,
                         "signature_valid": None if check is None else check.ok,
                         "timestamp_time": None if check is None else check.timestamp_time,
                         "signer_subject": None if check is None else check.signer_subject,
                         "tsa_subject": None if check is None else check.tsa_subject}
        previous = cp
        head = cp.head_sequence
        if head < start_sequence - 1:
            continue  # before this (partial) log: nothing to compare
        if head > good_head:
            if chain.ok:
                truncated_by = cp  # the newest such checkpoint names the whole loss
            continue  # after a chain break the records there are not trusted anyway
        if seen.get(head) != cp.head_hash:
            findings.append(Finding("rewritten", last_matching_head + 1, head, cp.index,
                                    detail="head_hash differs from the record's hash"))
        else:
            last_matching_head = head

    if truncated_by is not None:
        findings.append(Finding("truncated", good_head + 1, truncated_by.head_sequence,
                                truncated_by.index))
    covered_to = max((cp.checkpoint.head_sequence for cp in checkpoints
                      if type(cp.checkpoint.head_sequence) is int), default=start_sequence - 1)
    uncovered = max(0, good_head - covered_to) if chain.ok else 0
    if require_checkpoint and not checkpoints:
        findings.append(Finding("no-checkpoint"))
    elif require_covered and uncovered:
        findings.append(Finding("uncovered", covered_to + 1, good_head))

    firsts = [f.sequence for f in findings if f.sequence is not None]
    first_bad = min(firsts) if firsts else None
    reason = None
    if findings:
        reason = "; ".join(f.message()["en"] for f in findings)
    return LogVerification(
        ok=not findings, checked=chain.checked, first_bad_sequence=first_bad, reason=reason,
        head_sequence=chain.head_sequence, head_hash=chain.head_hash,
        last_checkpoint=last_info, checkpoints=len(checkpoints), checkpoints_verified=verified,
        uncovered_records=uncovered, findings=tuple(findings))


def _skew_seconds(claimed: str, stamped: str | None) -> float | None:
    """Seconds between the checkpoint's own time and the TSA's (None if either is unreadable)."""
    if stamped is None:
        return None
    try:
        return abs((datetime.fromisoformat(stamped) - datetime.fromisoformat(claimed))
                   .total_seconds())
    except (TypeError, ValueError):
        return None
