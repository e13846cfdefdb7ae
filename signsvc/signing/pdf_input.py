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
