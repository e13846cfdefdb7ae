"""The whole log checked in every mode: hash chain, keyed chain (MACs), signed checkpoints,
and the checkpoints in the database against their copies outside it.

``verify_full`` is what ``signsvc audit verify`` and ``GET /v1/audit/verify`` compute. With
an external checkpoint folder, its checkpoints are the ones the log is checked against
(whoever can write the database cannot delete them), and each checkpoint must be in both
places with the same content.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from signsvc.audit.checkpoints import (
    CheckpointSignatureChecker,
    Finding,
    LogVerification,
    SignedCheckpoint,
    verify_log,
)
from signsvc.audit.events import AuditRecord
from signsvc.audit.keyed import MacCheck


def compare_checkpoints(db: Sequence[SignedCheckpoint],
                        external: Sequence[SignedCheckpoint]) -> list[Finding]:
    """A finding for each checkpoint missing on one side or different on the two."""
    ours = {c.checkpoint.index: c for c in db}
    theirs = {c.checkpoint.index: c for c in external}
    findings = []
    for index in sorted(set(ours) | set(theirs), key=lambda i: (type(i) is not int, str(i))):
        a, b = ours.get(index), theirs.get(index)
        if a is None:
            findings.append(Finding("checkpoint-deleted-db", checkpoint=index))
        elif b is None:
            findings.append(Finding("checkpoint-deleted-external", checkpoint=index))
        elif (a.checkpoint, a.signature, a.timestamp_token) != \
                (b.checkpoint, b.signature, b.timestamp_token):
            findings.append(Finding("checkpoint-mismatch", checkpoint=index,
                                    sequence=b.checkpoint.head_sequence
                                    if type(b.checkpoint.head_sequence) is int else None))
    return findings


@dataclass(frozen=True)
class AuditVerification(LogVerification):
    """A ``LogVerification`` that also says which protections were in force."""

    keyed: bool = False
    keyed_from_sequence: int | None = None
    external_checkpoints: int | None = None
    acknowledged_sequence: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "keyed": self.keyed,
                "keyed_from_sequence": self.keyed_from_sequence,
                "external_checkpoints": self.external_checkpoints,
                "acknowledged_sequence": self.acknowledged_sequence}


def verify_full(items: Iterable[tuple[AuditRecord, str | None]],
                db_checkpoints: Sequence[SignedCheckpoint],
                external: Sequence[SignedCheckpoint] | None,
                checker: CheckpointSignatureChecker | None, *,
                key: bytes | None, mac_from: int | None,
                external_mac_from: int | None = None, external_problems: Sequence[str] = (),
                verify_signatures: str = "last",
                acknowledged_sequence: int | None = None) -> AuditVerification:
    """Check ``items`` (``(record, mac)``, stored order, streamed) in every mode available.

    ``external`` is None without an external folder. ``external_mac_from`` is where the
    external copies say the keyed chain starts (a database whose marker was removed or
    moved is named). ``external_problems`` are unreadable or altered external files.
    """
    macs = MacCheck(key, mac_from, None)
    checkpoints = list(external) if external is not None else list(db_checkpoints)
    log = verify_log(macs.tap(items), checkpoints, checker, verify_signatures=verify_signatures)
    findings = list(log.findings)
    if macs.first_bad is not None:
        chain_first = next((f.sequence for f in findings if f.problem in (
            "altered", "deleted", "inserted", "reordered", "relinked", "unreadable")), None)
        if chain_first is None or macs.first_bad < chain_first:
            findings.insert(0, Finding("forged", macs.first_bad, detail=macs.detail))
    if external is not None:
        findings += compare_checkpoints(db_checkpoints, external)
        if external_mac_from is not None and external_mac_from != mac_from:
            findings.append(Finding("keyed-marker", detail=(
                f"the external checkpoints say record #{external_mac_from}, the database "
                f"says {mac_from}")))
        findings += [Finding("checkpoint-invalid", detail=p) for p in external_problems]
    firsts = [f.sequence for f in findings if f.sequence is not None]
    base = replace(log, ok=not findings, findings=tuple(findings),
                   first_bad_sequence=min(firsts) if firsts else None,
                   reason="; ".join(f.message()["en"] for f in findings) or None)
    fields = {name: getattr(base, name) for name in LogVerification.__dataclass_fields__}
    return AuditVerification(**fields, keyed=key is not None, keyed_from_sequence=mac_from,
                             external_checkpoints=None if external is None else len(external),
                             acknowledged_sequence=acknowledged_sequence)


def unacknowledged(findings: Iterable[Finding], acknowledged_sequence: int | None,
                   acknowledged_checkpoint: int | None) -> list[Finding]:
    """The findings an operator has not acknowledged yet (after the newest acknowledgement)."""
    out = []
    for f in findings:
        if acknowledged_sequence and f.sequence is not None and f.sequence <= acknowledged_sequence:
            continue
        if acknowledged_checkpoint and f.checkpoint is not None and \
                f.checkpoint <= acknowledged_checkpoint:
            continue
        if acknowledged_sequence and f.sequence is None and f.checkpoint is None:
            continue
        out.append(f)
    return out
