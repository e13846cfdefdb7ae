"""Open an untrusted PDF for signing; every reader error becomes a signsvc error."""

from __future__ import annotations

import io
from dataclasses import dataclass

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError, PdfReadError, PdfStrictReadError

from signsvc.errors import EncryptedPdf, MalformedPdf, NotAPdf

HEADER_WINDOW = 1024


@dataclass
class OpenedPdf:
    """A PDF ready for an incremental update; ``strict`` is False when pyHanko could read
    it only in its lenient mode (hybrid cross-reference files and the like)."""

    writer: IncrementalPdfFileWriter
    strict: bool
    pages: int


def looks_like_pdf(data: bytes) -> bool:
    """True when ``%PDF-`` appears in the first 1024 bytes (as PDF readers accept)."""
    return b"%PDF-" in data[:HEADER_WINDOW]


def open_for_signing(data: bytes) -> OpenedPdf:
    """Parse ``data`` for an incremental update.

    Raises ``NotAPdf`` (no PDF header), ``EncryptedPdf``, or ``MalformedPdf`` (truncated,
    garbled, no usable cross-reference). Never returns a half-usable document.
    """
    if not looks_like_pdf(data):
        raise NotAPdf()
    strict = True
    try:
        try:
            writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=True)
        except PdfStrictReadError:
            strict = False
            writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        if writer.prev.encrypted:
            raise EncryptedPdf()
        pages = int(writer.root["/Pages"]["/Count"])
    except (EncryptedPdf, NotAPdf):
        raise
    except (PdfReadError, PdfError, KeyError, TypeError, ValueError, IndexError, AttributeError,
            RecursionError, OverflowError):
        raise MalformedPdf() from None
    if pages < 1:
        raise MalformedPdf()
    return OpenedPdf(writer=writer, strict=strict, pages=pages)


def revisions_and_signatures(data: bytes) -> tuple[int, int]:
    """(number of revisions, number of signatures incl. document timestamps) of a PDF;
    ``MalformedPdf`` if it cannot be read."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        return reader.xrefs.total_revisions, len(reader.embedded_signatures)
    except (PdfReadError, PdfError, KeyError, TypeError, ValueError, IndexError, AttributeError,
            RecursionError):
        raise MalformedPdf() from None


def update_only_adds_signatures(data: bytes, base_revisions: int) -> bool:
    """True when every revision of ``data`` after its first ``base_revisions`` only adds a
    signature: objects that existed may change only where a signature is attached (the
    catalog's /AcroForm, the AcroForm's /Fields, a page's /Annots); new objects may only be
    signature dictionaries, signature fields / widgets, arrays, form XObjects and fonts of
    an appearance. Conservative: anything unexpected or unreadable gives False.
    pyHanko's own diff analysis needs an AcroForm in the base revision, which a document
    signed for the first time does not have."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.reader import PdfFileReader

    # (/Extensions: the ESIC developer extension a PAdES signer declares; /ModDate,
    # /Producer: the document information dictionary a writer updates)
    allowed_changes = {"/AcroForm", "/Fields", "/Annots", "/SigFlags", "/DR", "/DA", "/NeedAppearances",
                       "/Extensions", "/ModDate", "/Producer"}
    new_types = {"/Sig", "/Annot", "/XObject", "/Font", "/FontDescriptor", "/DocTimeStamp", None}
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        for rev in range(base_revisions, reader.xrefs.total_revisions):
            old = reader.get_historical_resolver(rev - 1)
            new = reader.get_historical_resolver(rev)
            for ref in reader.xrefs.explicit_refs_in_revision(rev):
                new_obj = new(ref)
                try:
                    old_obj = old(ref)
                except Exception:  # not present before: a new object
                    old_obj = None
                if isinstance(old_obj, generic.NullObject):
                    old_obj = None
                if isinstance(old_obj, generic.DictionaryObject):
                    if not isinstance(new_obj, generic.DictionaryObject):
                        return False
                    changed = {k for k in set(old_obj) | set(new_obj)
                               if k not in old_obj or k not in new_obj or old_obj.raw_get(k) != new_obj.raw_get(k)}
                    if not changed <= allowed_changes:
                        return False
                elif old_obj is not None and not isinstance(old_obj, generic.ArrayObject):
                    return False  # a changed stream or value that existed before
                elif isinstance(new_obj, generic.StreamObject):
                    if new_obj.get("/Type") in ("/XRef", "/ObjStm"):
                        continue  # cross-reference and object streams of the update itself
                    if new_obj.get("/Subtype") not in ("/Form", "/Type1C", "/CIDFontType0C", None) \
                            and new_obj.get("/Type") not in ("/XObject", None):
                        return False
                elif isinstance(new_obj, generic.DictionaryObject):
                    kind = new_obj.get("/Type")
                    if kind not in new_types and new_obj.get("/FT") != "/Sig" \
                            and "/Fields" not in new_obj:
                        return False
                    if new_obj.get("/Subtype") not in (None, "/Widget", "/Form", "/Type0", "/CIDFontType2",
                                                       "/TrueType", "/Type1"):
                        return False
    except Exception:  # noqa: BLE001 - any surprise in an untrusted file means "no"
        return False
    return True
