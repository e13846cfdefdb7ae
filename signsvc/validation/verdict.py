"""What a person should conclude about the whole document (pure: reports in, verdict out).

The verdict follows the ETSI EN 319 102-1 indications of the signatures and document
timestamps, never anything else (changes after signing already decided those):

| verdict | when |
|---|---|
| ``unsigned`` | no signature (document timestamps alone do not sign a document) |
| ``invalid`` | some signature or document timestamp is TOTAL-FAILED |
| ``indeterminate`` | none TOTAL-FAILED, some not TOTAL-PASSED |
| ``valid_modified_after`` | all TOTAL-PASSED, with permitted annotations or unsigned trailing data after a signature |
| ``valid`` | all TOTAL-PASSED, nothing else after them but permitted updates |
"""

from __future__ import annotations

from collections.abc import Sequence

from signsvc.names import Indication, Verdict

from .report import DocumentTimestampReport, SignatureReport


def document_verdict(signatures: Sequence[SignatureReport],
                     document_timestamps: Sequence[DocumentTimestampReport] = ()) -> str:
    """The document verdict (see the module table); ``invalid`` only with a TOTAL-FAILED,
    ``valid`` only when every signature and document timestamp is TOTAL-PASSED."""
    if not signatures:
        return Verdict.UNSIGNED
    indications = [s.indication for s in signatures] + [t.indication for t in document_timestamps]
    if Indication.TOTAL_FAILED in indications:
        return Verdict.INVALID
    if any(i != Indication.TOTAL_PASSED for i in indications):
        return Verdict.INDETERMINATE
    if any(s.modifications == "annotations" or s.trailing_data for s in signatures):
        return Verdict.VALID_MODIFIED_AFTER
    return Verdict.VALID
