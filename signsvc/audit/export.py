"""The self-contained audit export, and its offline verification.

An export is one JSON document (UTF-8) that an auditor can carry to another machine:

- ``records``: the audit records, oldest first, exactly as stored (``AuditRecord.as_dict``),
  from the first one at or after ``since`` (or sequence 1) up to the head of the newest
  checkpoint, which the service takes when exporting;
- ``checkpoints``: the signed checkpoints whose heads fall in that range, each with its CMS
  signature and RFC 3161 token in base64 DER;
- ``certificates``: base64 DER certificates that help build paths (the audit key's chain,
  the TSA's, the issuing CAs, the roots). They grant no trust: the verifier trusts only
  the anchors it is given on its own machine;
- ``trust_anchors``: subject and SHA-256 of the anchors the service used, to compare with
  published fingerprints.

``verify_export`` checks the chain from the export's start, every checkpoint's signature
and time-stamp, each checkpoint's head against the records, and that the last record is
the last checkpoint's head (nothing added after the last signature, nothing cut before it).

Pure: no I/O; the signature checker is given by the caller.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from signsvc.audit.chain import GENESIS_HASH
from signsvc.audit.checkpoints import (
    Checkpoint,
    CheckpointSignatureChecker,
    Finding,
    LogVerification,
    SignedCheckpoint,
    verify_log,
)
from signsvc.audit.events import AuditRecord

EXPORT_FORMAT = "signsvc-audit-export/1"
EXPORT_MEDIA_TYPE = "application/json"

HOW_TO_VERIFY = {
    "vi": "Kiểm tra ngoại tuyến: signsvc audit verify TỆP --trust GỐC.pem (không cần cơ sở dữ "
          "liệu, không cần mạng). Chỉ tin các chứng thư gốc bạn tự có; đối chiếu trust_anchors "
          "với dấu vân tay được công bố.",
    "en": "Verify offline: signsvc audit verify FILE --trust ROOT.pem (no database, no network). "
          "Trust only root certificates you hold yourself; compare trust_anchors with the "
          "published fingerprints.",
}


class ExportFormatError(ValueError):
    """The file is not a signsvc audit export (or not one this version reads)."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def checkpoint_dict(signed: SignedCheckpoint) -> dict[str, Any]:
    """A checkpoint as an export carries it (binary parts in base64)."""
    return {**signed.as_dict(), "signature": b64(signed.signature),
            "timestamp_token": b64(signed.timestamp_token)}


def build_export(*, created: str, exported_by: str | None, since: str | None,
                 records: list[AuditRecord], checkpoints: list[SignedCheckpoint],
                 certificates: list[bytes], trust_anchors: list[dict[str, str]],
                 trust_anchors_sha256: str, service: Mapping[str, Any]) -> dict[str, Any]:
    """The export document (a JSON-able dict)."""
    return {
        "format": EXPORT_FORMAT,
        "created": created,
        "exported_by": exported_by,
        "service": dict(service),
        "since": since,
        "first_sequence": records[0].sequence if records else None,
        "last_sequence": records[-1].sequence if records else None,
        "start_prev_hash": records[0].prev_hash if records else None,
        "records": [r.as_dict() for r in records],
        "checkpoints": [checkpoint_dict(c) for c in checkpoints],
        "certificates": [b64(c) for c in certificates],
        "trust_anchors": list(trust_anchors),
        "trust_anchors_sha256": trust_anchors_sha256,
        "how_to_verify": HOW_TO_VERIFY,
    }


def dump_export(document: Mapping[str, Any]) -> bytes:
    """The export's bytes: indented JSON (one record per few lines, easy to read and diff)."""
    return (json.dumps(document, ensure_ascii=False, indent=1, sort_keys=False) + "\n").encode()


def load_export(data: bytes) -> dict[str, Any]:
    """Parse an export; ``ExportFormatError`` (English) if it is not one."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ExportFormatError(f"not a JSON document: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise ExportFormatError(f"not a signsvc audit export ({EXPORT_FORMAT})")
    for name, kind in (("records", list), ("checkpoints", list), ("certificates", list)):
        if not isinstance(document.get(name), kind):
            raise ExportFormatError(f"'{name}' must be a list")
    return document


def certificate_ders(document: Mapping[str, Any]) -> list[bytes]:
    """The export's helper certificates, DER (unreadable entries skipped)."""
    out = []
    for item in document.get("certificates", []):
        try:
            out.append(base64.b64decode(item, validate=True))
        except (binascii.Error, TypeError, ValueError):
            continue
    return out


def _records(items: list[Any], first_sequence: int) -> tuple[list[AuditRecord], Finding | None]:
    """The records up to the first one that cannot be read, and a finding naming that one."""
    out: list[AuditRecord] = []
    for position, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise ValueError("a record is not an object")
            out.append(AuditRecord.from_dict(item))
        except (TypeError, ValueError) as exc:
            return out, Finding("unreadable", first_sequence + position, detail=str(exc)[:200])
    return out, None


def _checkpoint(item: Any) -> SignedCheckpoint:
    if not isinstance(item, dict):
        raise ValueError("a checkpoint is not an object")
    try:
        cp = Checkpoint(item["index"], item["head_sequence"], item["head_hash"], item["time"],
                        item["prev_checkpoint_sha256"])
        return SignedCheckpoint(cp, base64.b64decode(item["signature"], validate=True),
                                base64.b64decode(item["timestamp_token"], validate=True),
                                str(item.get("signer_certificate_sha256", "")))
    except (KeyError, TypeError, binascii.Error) as exc:
        raise ValueError(f"a checkpoint cannot be read: {exc}") from None


@dataclass(frozen=True)
class ExportVerification:
    """``log`` (the records against chain and checkpoints) and what the export claims."""

    log: LogVerification
    anchored_start: bool
    first_sequence: int | None
    last_sequence: int | None
    since: str | None
    created: str | None

    @property
    def ok(self) -> bool:
        return self.log.ok

    def as_dict(self) -> dict[str, Any]:
        return {**self.log.as_dict(), "anchored_start": self.anchored_start,
                "first_sequence": self.first_sequence, "last_sequence": self.last_sequence,
                "since": self.since, "created": self.created}


def verify_export(document: Mapping[str, Any],
                  checker: CheckpointSignatureChecker) -> ExportVerification:
    """Check an export (parsed by ``load_export``) completely; never raises for bad content.

    A full export (``since`` null) must start at sequence 1 after the genesis hash. A
    partial one starts wherever its first record says; that start is *anchored* only when
    a signed checkpoint names the record just before it (``anchored_start``).
    """
    raw_records = document["records"]
    extra: list[Finding] = []
    checkpoints: list[SignedCheckpoint] = []
    for item in document["checkpoints"]:
        try:
            checkpoints.append(_checkpoint(item))
        except ValueError as exc:
            index = item.get("index") if isinstance(item, dict) else None
            extra.append(Finding("checkpoint-invalid",
                                 checkpoint=index if type(index) is int else None,
                                 detail=str(exc)))
    since = document.get("since")
    first = raw_records[0] if raw_records and isinstance(raw_records[0], dict) else {}
    start_sequence, start_prev = 1, GENESIS_HASH
    if since is not None:
        seq, prev = first.get("sequence"), first.get("prev_hash")
        if type(seq) is int and seq >= 1 and isinstance(prev, str):
            start_sequence, start_prev = seq, prev
    records, unreadable = _records(raw_records, start_sequence)
    if unreadable is not None:
        extra.insert(0, unreadable)
    reordered = _reordered(records, start_sequence)
    if reordered is not None:
        extra.insert(0, reordered)
    log = verify_log(records, checkpoints, checker, verify_signatures="all",
                     start_sequence=start_sequence, start_prev_hash=start_prev,
                     require_covered=True, require_checkpoint=True)
    if reordered is not None:  # the chain calls the same place a gap; say it once, rightly
        log = replace(log, findings=tuple(
            f for f in log.findings if not (f.sequence == reordered.sequence and f.problem in
                                            ("deleted", "inserted", "reordered"))))
    claimed_last = document.get("last_sequence")
    if log.ok and raw_records and claimed_last != log.head_sequence:
        extra.append(Finding("truncated" if isinstance(claimed_last, int) and
                             claimed_last > (log.head_sequence or 0) else "inserted",
                             (log.head_sequence or 0) + 1,
                             claimed_last if isinstance(claimed_last, int) else None,
                             detail="last_sequence in the export does not match its records"))
    if extra:
        log = _with(log, extra, ok=False)
    anchored = since is None or (any(
        cp.checkpoint.head_sequence == start_sequence - 1 for cp in checkpoints) and not any(
        f.problem == "rewritten" and f.end_sequence == start_sequence - 1 for f in log.findings))
    return ExportVerification(log, anchored, log_first(raw_records), document.get("last_sequence"),
                              since, document.get("created"))


def _reordered(records: list[AuditRecord], start: int) -> Finding | None:
    """Records that are all there but not in sequence order: the first place out of order.

    (The chain check alone would call the first one a gap, i.e. a deletion.)"""
    sequences = [r.sequence for r in records]
    if not all(type(s) is int for s in sequences):
        return None
    expected = list(range(start, start + len(sequences)))
    if sequences == expected or sorted(sequences) != expected:
        return None
    position = next(i for i, s in enumerate(sequences) if s != start + i)
    return Finding("reordered", start + position,
                   detail=f"record #{sequences[position]} stands where #{start + position} belongs")


def log_first(raw_records: list[Any]) -> int | None:
    first = raw_records[0] if raw_records and isinstance(raw_records[0], dict) else {}
    seq = first.get("sequence")
    return seq if type(seq) is int else None


def _with(log: LogVerification, findings: list[Finding], *, ok: bool) -> LogVerification:
    all_findings = (*log.findings, *findings)
    firsts = [f.sequence for f in all_findings if f.sequence is not None]
    return replace(log, ok=ok and log.ok, findings=all_findings,
                   first_bad_sequence=min(firsts) if firsts else None,
                   reason="; ".join(f.message()["en"] for f in all_findings))
