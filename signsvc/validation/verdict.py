"""What a person should conclude about the whole document (pure: reports in, verdict out)."""

from __future__ import annotations

from collections.abc import Sequence

from .report import DocumentTimestampReport, SignatureReport, TimestampInfo


def _broken(ts: TimestampInfo) -> bool:
    return not (ts.intact and ts.signature_valid)


def document_verdict(signatures: Sequence[SignatureReport],
                     document_timestamps: Sequence[DocumentTimestampReport] = ()) -> str:
    """The document verdict.

    - ``unsigned``: no signature (document timestamps alone do not sign a document);
    - ``invalid``: some signature TOTAL-FAILED (digest mismatch, bad signature value,
      unreadable, revoked before signing), or followed by changes of level ``other`` or
      by changes its certification forbids; or a document timestamp is broken;
    - ``indeterminate``: otherwise, when some signature is not TOTAL-PASSED (untrusted,
      revocation unknown, …) or a document timestamp is untrusted;
    - ``valid_modified_after``: all passed, but annotations or unsigned trailing data came
      after a signature;
    - ``valid``: every signature TOTAL-PASSED and only permitted changes (form filling,
      further signatures, document timestamps, DSS updates) after any of them.
    """
    if not signatures:
        return "unsigned"
    if any(s.indication == "TOTAL-FAILED" or s.modifications == "other"
           or not s.modifications_permitted for s in signatures):
        return "invalid"
    if any(_broken(t.timestamp) or t.modifications == "other" for t in document_timestamps):
        return "invalid"
    if any(s.indication != "TOTAL-PASSED" for s in signatures):
        return "indeterminate"
    if any(not t.timestamp.trusted for t in document_timestamps):
        return "indeterminate"
    if any(s.modifications == "annotations" or s.trailing_data for s in signatures):
        return "valid_modified_after"
    return "valid"
