"""Coverage of a signature's byte range and the changes made after it, as plain values.

``DocumentFacts`` is what every signature check needs to know about the document: the
reader, the bytes as uploaded, the DSS evidence, and document-wide findings of the reading
step (a repaired structure caps every indication at INDETERMINATE; a structural finding such
as a hybrid-reference conflict is a forbidden change for every signature).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DiffResult, ModificationLevel
from pyhanko.sign.validation.status import ModificationInfo, SignatureCoverageLevel

from signsvc.errors import Message

from .diff.policy import DIFF_POLICY, policy_for
from .evidence import Evidence
from .pdfread import SignatureEntry

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocumentFacts:
    """What every signature check needs to know about the document."""

    reader: PdfFileReader
    data: bytes                             # the bytes as uploaded (never the repaired copy)
    evidence: Evidence                      # from the DSS
    doc_timestamp_revisions: tuple[int, ...]
    cap: tuple[str, Message] | None = None  # at most INDETERMINATE: (sub-indication, reason)
    findings: tuple[tuple[int, Message], ...] = ()  # (byte position, forbidden structural change)
    repaired: bool = False                  # the reader reads a rebuilt cross-reference
    appended: tuple[tuple[int, Message], ...] = ()  # (byte position, unsigned objects no xref lists)

    def finding_for(self, entry: SignatureEntry) -> Message | None:
        """The first structural finding that concerns ``entry``: one at position -1 concerns
        every signature, else those whose signed range ends at or before its position."""
        return _first_after(self.findings, entry)

    def appended_after(self, entry: SignatureEntry) -> Message | None:
        """Objects no cross-reference section lists, after ``entry``'s signed range."""
        return _first_after(self.appended, entry)


def _first_after(found: tuple[tuple[int, Message], ...], entry: SignatureEntry) -> Message | None:
    end = range_end(entry)
    for position, finding in found:
        if position < 0 or (end is not None and position >= end):
            return finding
    return None


def range_end(entry: SignatureEntry) -> int | None:
    """Where the entry's /ByteRange ends, or ``None`` when it is not four integers."""
    try:
        _, _, start2, len2 = (int(x) for x in entry.sig_object["/ByteRange"])
        return start2 + len2
    except (KeyError, ValueError, TypeError):
        return None


def range_past_end(entry: SignatureEntry, doc: DocumentFacts) -> bool:
    """The /ByteRange reaches past the end of the upload: signed bytes are missing."""
    end = range_end(entry)
    return end is not None and end > len(doc.data)


@dataclass(frozen=True)
class Integrity:
    coverage: str = "partial"
    modifications: str = "other"
    permitted: bool = True
    trailing: bool = False


TRAILING_WHITESPACE = b" \t\r\n\x00\x0c"
_COVERAGE = {SignatureCoverageLevel.ENTIRE_FILE: "entire_file",
             SignatureCoverageLevel.ENTIRE_REVISION: "entire_revision"}
_MODIFICATIONS = {ModificationLevel.NONE: "none", ModificationLevel.LTA_UPDATES: "none",
                  ModificationLevel.FORM_FILLING: "form_filling",
                  ModificationLevel.ANNOTATIONS: "annotations"}


def coverage_name(level: SignatureCoverageLevel | None) -> str:
    """``entire_file`` / ``entire_revision``; anything else is ``partial``."""
    return _COVERAGE.get(level, "partial") if level is not None else "partial"


def modification_name(level: ModificationLevel | None) -> str:
    """``none`` (also for DSS/timestamp updates) / ``form_filling`` / ``annotations``;
    ``other`` for anything else, including an unknown level."""
    return _MODIFICATIONS.get(level, "other") if level is not None else "other"


def _trailing(entry: SignatureEntry, doc: DocumentFacts, coverage: SignatureCoverageLevel | None) -> bool:
    """Non-blank bytes after the signed range of the file's last revision."""
    if coverage != SignatureCoverageLevel.ENTIRE_REVISION:
        return False
    if entry.signed_revision != doc.reader.xrefs.total_revisions - 1:
        return False
    try:
        _, _, start2, len2 = (int(x) for x in entry.sig_object["/ByteRange"])
    except (KeyError, ValueError, TypeError):
        return False
    return bool(doc.data[start2 + len2:].strip(TRAILING_WHITESPACE))


def _repaired_integrity(entry: SignatureEntry, doc: DocumentFacts) -> Integrity:
    """In a repaired file only the bytes tell: the whole upload signed, or unsigned bytes after."""
    end = range_end(entry)
    rest = doc.data[end:].strip(TRAILING_WHITESPACE) if end is not None else b"?"
    if not rest:
        return Integrity(coverage="entire_file", modifications="none")
    return Integrity(coverage="partial", modifications="other", trailing=True)


def integrity_of(entry: SignatureEntry, doc: DocumentFacts, info: ModificationInfo) -> Integrity:
    """What pyHanko's integrity info says: coverage, change level, whether it is permitted."""
    if doc.repaired:
        return _repaired_integrity(entry, doc)
    return Integrity(coverage=coverage_name(info.coverage),
                     modifications=modification_name(info.modification_level),
                     permitted=info.docmdp_ok is not False,
                     trailing=_trailing(entry, doc, info.coverage))


def integrity_without_status(entry: SignatureEntry, doc: DocumentFacts) -> Integrity:
    """Coverage and later changes when pyHanko's full check did not finish."""
    emb = entry.embedded
    if doc.repaired:
        return _repaired_integrity(entry, doc)
    try:
        if emb is not None:
            if emb.coverage is None:
                emb.compute_integrity_info(diff_policy=policy_for(emb.docmdp_level))
            return integrity_of(entry, doc, ModificationInfo(**emb.summarise_integrity_info()))
        last = doc.reader.xrefs.total_revisions - 1
        if entry.signed_revision >= last:
            return Integrity(coverage="entire_revision", modifications="none")
        result = DIFF_POLICY.review_file(doc.reader, entry.signed_revision)
        level = result.modification_level if isinstance(result, DiffResult) else ModificationLevel.OTHER
        return Integrity(coverage="entire_revision", modifications=modification_name(level))
    except Exception as exc:  # best effort only: the signature is already reported as failed
        logger.info("integrity of %s not determined: %s", entry.field, exc)
        return Integrity()


