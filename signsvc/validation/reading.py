"""Reading what real software writes, safely: the way in for ``PdfValidator``.

In order, the first that works:

1. pyHanko's strict reader (``reading`` ``strict``). A hybrid-reference file (a table plus
   an ``/XRefStm``, as Microsoft Word writes) is read with both, as ISO 32000-2 7.5.8.4
   says (``reading`` ``hybrid``), and any object that the table and the stream of the same
   section resolve to different places is a finding (``hybrid_conflict``): that
   difference is how hidden-content attacks work;
2. pyHanko's non-strict reader (``lenient``), for files the strict reader refuses over
   details (e.g. a free entry of generation 0 in an update), the refusal named;
3. the object scan of ``repair`` (``repaired``): the report then says so and caps every
   indication at INDETERMINATE, except what the exact hash of the ``/ByteRange`` shows.
   A cross-reference chain that loops is not repaired (a reference loop is a malformed
   file, not damage).

Also found here: objects written after a signed range but listed in no cross-reference
section (``hidden_objects``), the incremental saving attack that hides content behind an
empty or truncated update. A conforming reader does not show them, so they are reported
like unsigned trailing data (the signature does not cover what follows it), not as a
forbidden change.

Raises ``NotAPdf``, ``EncryptedPdf``, or ``MalformedPdf`` when nothing reads the file.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from pyhanko.pdf_utils.reader import PdfFileReader

from signsvc.errors import EncryptedPdf, MalformedPdf, Message, NotAPdf
from signsvc.names import SubIndication

from . import messages, repair
from .pdfread import SignatureEntry, open_pdf, signature_entries

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Opened:
    reader: PdfFileReader
    reader_data: bytes                # what the reader reads (the upload, or the upload + rebuilt xref)
    entries: list[SignatureEntry]
    reading: str                      # strict | hybrid | lenient | repaired
    repair: str | None = None         # what was tolerated or rebuilt
    findings: tuple[tuple[int, Message], ...] = ()  # (byte position, finding); see DocumentFacts
    cap: tuple[str, Message] | None = None
    appended: tuple[tuple[int, Message], ...] = ()  # unlisted objects after a signed range


def _strict_refusal(data: bytes) -> str:
    """Why pyHanko's strict reader refuses ``data`` (the boundary maps it to MalformedPdf)."""
    try:
        PdfFileReader(io.BytesIO(data), strict=True)
    except Exception as exc:  # the reason is only reported
        return f"{type(exc).__name__}: {exc}"[:160]
    return "strict reading refused the form or catalog"


def _read(data: bytes, strict: bool) -> tuple[PdfFileReader, list[SignatureEntry]]:
    reader = open_pdf(data, strict=strict)
    return reader, signature_entries(reader)


def hybrid_conflicts(reader: PdfFileReader) -> list[int]:
    """Object numbers in use in both the table and the /XRefStm of one section, at
    different places (ISO 32000-2 7.5.8.4: readers that ignore the stream see other objects)."""
    found: list[int] = []
    for revision in range(reader.xrefs.total_revisions):
        section = reader.xrefs.get_xref_data(revision)
        hybrid = section.hybrid.xref_data if section.hybrid is not None else None
        if hybrid is None:
            continue
        for idnum, (gen, offset) in section.standard_xrefs.items():
            other = hybrid.standard_xrefs.get(idnum)
            if (other is not None and other != (gen, offset)) or idnum in hybrid.xrefs_in_objstm:
                found.append(idnum)
    return sorted(set(found))


def _listed_offsets(reader: PdfFileReader) -> set[int]:
    offsets: set[int] = set()
    for revision in range(reader.xrefs.total_revisions):
        section = reader.xrefs.get_xref_data(revision)
        for data in (section, section.hybrid.xref_data if section.hybrid is not None else None):
            if data is not None:
                offsets.update(offset for _, offset in data.standard_xrefs.values())
    return offsets


def hidden_objects(reader: PdfFileReader, data: bytes, entries: list[SignatureEntry]) -> tuple[int, int]:
    """(count, position of the first): objects after the end of the first signed range
    that no cross-reference section lists."""
    ends = []
    for e in entries:
        try:
            _a, _b, c, d = (int(x) for x in e.sig_object["/ByteRange"])
            ends.append(c + d)
        except (KeyError, ValueError, TypeError):
            continue
    if not ends:
        return 0, 0
    listed = _listed_offsets(reader)
    found = [m.start(1) for m in repair.OBJECT_HEADER.finditer(data, min(ends)) if m.start(1) not in listed]
    return len(found), (found[0] if found else 0)


def open_for_validation(data: bytes) -> Opened:
    """The document read as described in the module docstring; never returns a reader
    over a file none of the three ways could read."""
    if b"%PDF-" not in data[:1024]:
        raise NotAPdf()
    try:
        reader, entries = _read(data, strict=True)
        reading, tolerated = "strict", None
    except MalformedPdf:
        strict_error = _strict_refusal(data)
        try:
            reader, entries = _read(data, strict=False)
            reading, tolerated = "lenient", strict_error
        except (EncryptedPdf, NotAPdf):
            raise
        except MalformedPdf:
            return _repaired(data, strict_error)
    findings: list[tuple[int, Message]] = []
    if reader.xrefs.hybrid_xrefs_present:
        reading = "hybrid" if reading == "strict" else reading
        reader.strict = False  # pyHanko refuses hybrid files in strict mode; both parts were read
        conflicts = hybrid_conflicts(reader)
        if conflicts:
            findings.append((-1, messages.text("hybrid_conflict", objects=", ".join(map(str, conflicts[:10])))))
    count, first = hidden_objects(reader, data, entries)
    appended = ((first, messages.text("hidden_objects", count=str(count))),) if count else ()
    return Opened(reader, data, entries, reading, tolerated, tuple(findings), appended=appended)


def _repaired(data: bytes, strict_error: str) -> Opened:
    if "loop" in strict_error:  # a /Prev chain that loops is built that way, not damaged: malformed
        logger.info("unreadable PDF, reference loop: %s", strict_error)
        raise MalformedPdf()
    rebuilt = repair.rebuild(data)
    if rebuilt is None:
        logger.info("unreadable PDF, not repairable: %s", strict_error)
        raise MalformedPdf()
    try:
        reader, entries = _read(rebuilt.data, strict=False)
    except MalformedPdf:
        raise
    description = f"{rebuilt.description} ({strict_error})"
    cap = (SubIndication.FORMAT_FAILURE, messages.text("repaired_structure", repair=rebuilt.description))
    return Opened(reader, rebuilt.data, entries, "repaired", description, (), cap)
