"""The revision view: what each incremental update of a PDF added, and which revision each
signature and document timestamp covers.

Reads the file's cross-reference sections (one per revision) and each revision's object
graph through pyHanko's historical resolvers (``snapshot``); never decodes a stream (so
decompression bombs cost nothing here) and never follows a reference twice. The work is
bounded: at most ``MAX_REVISIONS`` revisions are analysed, each page tree, annotation
list, form and DSS walk stops at its cap, and a revision still unanalysed when
``TIME_BUDGET_SECONDS`` have passed is listed without detail. Whatever is cut is said in
that revision's summary (``analysed`` false or ``added.truncated`` true). Never raises for
a readable file: a revision whose objects cannot be read is listed as not analysed.
"""

from __future__ import annotations

import logging
import time

from pyhanko.pdf_utils.reader import PdfFileReader

from ..pdfread import SignatureEntry
from ..report import RevisionAdded, RevisionReport
from .added import added
from .ranges import covered_revision, prefix_hashes, revision_ends
from .snapshot import Snapshot, ref_key, snapshot
from .summary import summarise

logger = logging.getLogger(__name__)

MAX_REVISIONS = 100          # revisions analysed in detail (the first ones); later ones are listed only
TIME_BUDGET_SECONDS = 10.0   # for the whole view


def revision_view(reader: PdfFileReader, data: bytes, entries: list[SignatureEntry],
                  *, max_revisions: int = MAX_REVISIONS,
                  time_budget: float = TIME_BUDGET_SECONDS) -> tuple[RevisionReport, ...]:
    """One ``RevisionReport`` per revision of the file, oldest first (see the module doc)."""
    deadline = time.monotonic() + time_budget
    total = reader.xrefs.total_revisions
    ends = revision_ends(reader, data)
    hashes = prefix_hashes(data, ends)
    sigs: dict[int, list[str]] = {}
    stamps: dict[int, list[str]] = {}
    for entry in entries:
        target = stamps if entry.kind == "timestamp" else sigs
        target.setdefault(covered_revision(entry, ends), []).append(entry.field)

    reports = []
    prev: Snapshot | None = None
    stopped: str | None = None
    for rev in range(total):
        number = rev + 1
        details: RevisionAdded | None = None
        if stopped is None and rev >= max_revisions:
            stopped = "revisions"
        elif stopped is None and time.monotonic() > deadline:
            stopped = "time"
        if stopped is None:
            try:
                explicit = {ref_key(r) for r in reader.xrefs.explicit_refs_in_revision(rev)}
                cur, _ = snapshot(reader, rev, prev, explicit)
                details = added(reader, rev, cur, prev)
                prev = cur
            except Exception as exc:  # unreadable objects in this revision: listed, not analysed
                logger.info("revision %d not analysed: %s: %s", number, type(exc).__name__, exc)
                prev = None
        reason = stopped or ("unreadable" if details is None else None)
        summary = summarise(
            number, details, signatures=sigs.get(number, []), timestamps=stamps.get(number, []),
            not_analysed=reason, max_revisions=max_revisions)
        reports.append(RevisionReport(
            number=number, end_offset=ends[rev], sha256=hashes[rev],
            signatures=tuple(sigs.get(number, ())), document_timestamps=tuple(stamps.get(number, ())),
            added=details or RevisionAdded(), analysed=details is not None,
            summary_vi=summary.vi, summary_en=summary.en))
    return tuple(reports)
