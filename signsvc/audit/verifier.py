"""Checks a sequence of audit records against the hash chain, streaming.

Pure: no I/O. Works the same on records read from the store or from an export.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from signsvc.audit.chain import GENESIS_HASH, chain_hash, record_body
from signsvc.audit.events import AuditRecord


@dataclass(frozen=True)
class ChainVerification:
    """The result of ``verify_chain``.

    ``ok`` is true only if every record was in place and intact. ``checked`` is the
    number of records found good (all of them when ``ok``; those before the first
    bad one otherwise). ``first_bad_sequence`` names the first place the chain
    breaks and ``reason`` says why in a short English phrase. ``head_sequence`` and
    ``head_hash`` are those of the last good record (None if there was none).
    """

    ok: bool
    checked: int
    first_bad_sequence: int | None
    reason: str | None
    head_sequence: int | None
    head_hash: str | None

    def as_dict(self) -> dict[str, Any]:
        """All fields as a JSON-able dict."""
        return asdict(self)


def verify_chain(
    records: Iterable[AuditRecord],
    start_prev_hash: str = GENESIS_HASH,
    start_sequence: int = 1,
) -> ChainVerification:
    """Check that ``records`` form an unbroken chain starting at ``start_sequence``.

    Records must come in stored order (by sequence). For each position the
    verifier expects the next sequence number, a ``prev_hash`` equal to the
    previous record's hash, and a ``record_hash`` that matches the record's
    content. It stops at the first failure and reports:

    - a record whose content was altered: that record's sequence ("record_hash mismatch");
    - a missing record (a gap): the missing, i.e. expected, sequence ("sequence gap");
    - a duplicate or out-of-order sequence: that record's sequence;
    - an inserted or reordered record: the first record whose ``prev_hash`` or
      ``record_hash`` no longer matches.

    Memory use is constant. An empty input is ``ok`` with ``checked == 0``.
    Records dropped from the *end* cannot be detected here; that needs a
    checkpoint of the head to compare with.
    """
    expected = start_sequence
    prev_hash = start_prev_hash
    checked = 0
    head_sequence: int | None = None
    head_hash: str | None = None

    def bad(sequence: int, reason: str) -> ChainVerification:
        return ChainVerification(False, checked, sequence, reason, head_sequence, head_hash)

    for record in records:
        sequence = record.sequence
        if type(sequence) is not int:
            return bad(expected, f"sequence is not an integer: {sequence!r}")
        if sequence > expected:
            return bad(expected, f"sequence gap: expected {expected}, found {sequence}")
        if sequence == expected - 1 and checked:
            return bad(sequence, f"duplicate sequence {sequence}")
        if sequence < expected:
            return bad(sequence, f"sequence out of order: expected {expected}, found {sequence}")
        if record.prev_hash != prev_hash:
            return bad(sequence, "prev_hash mismatch")
        try:
            actual = chain_hash(prev_hash, record_body(record))
        except ValueError:
            return bad(sequence, "record cannot be encoded")
        if actual != record.record_hash:
            return bad(sequence, "record_hash mismatch")
        checked += 1
        expected += 1
        prev_hash = record.record_hash
        head_sequence, head_hash = sequence, prev_hash
    return ChainVerification(True, checked, None, None, head_sequence, head_hash)
