"""Build small, real PDFs for tests with pyHanko's writer (no binary fixtures needed)."""

from __future__ import annotations

import io
import os

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.writer import PdfFileWriter

N = generic.NameObject


def make_pdf(pages: int = 1, text: str = "signsvc test document", pad_to: int = 0) -> bytes:
    """A valid PDF with ``pages`` A4 pages showing ``text`` (Latin-1 subset).

    ``pad_to`` (bytes) adds an incompressible stream object so that the file reaches at
    least that size (for size-limit and benchmark tests).
    """
    w = PdfFileWriter()
    font_ref = w.add_object(generic.DictionaryObject({
        N("/Type"): N("/Font"), N("/Subtype"): N("/Type1"), N("/BaseFont"): N("/Helvetica"),
    }))
    safe = text.encode("latin-1", "replace").replace(b"(", b"[").replace(b")", b"]")
    for i in range(pages):
        stream = b"BT /F1 18 Tf 72 770 Td (" + safe + b" - page %d) Tj ET" % (i + 1)
        page = generic.DictionaryObject({
            N("/Type"): N("/Page"),
            N("/MediaBox"): generic.ArrayObject([generic.NumberObject(x) for x in (0, 0, 595, 842)]),
            N("/Resources"): generic.DictionaryObject({
                N("/Font"): generic.DictionaryObject({N("/F1"): font_ref})}),
            N("/Contents"): w.add_object(generic.StreamObject(stream_data=stream)),
        })
        w.insert_page(page)
    if pad_to:
        w.root[N("/SignsvcPadding")] = w.add_object(generic.StreamObject(stream_data=os.urandom(pad_to)))
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def make_encrypted_pdf(user_password: str = "secret") -> bytes:
    """A valid PDF encrypted with the standard security handler (AES-256)."""
    w = PdfFileWriter()
    stream = b"BT /F1 18 Tf 72 770 Td (encrypted) Tj ET"
    page = generic.DictionaryObject({
        N("/Type"): N("/Page"),
        N("/MediaBox"): generic.ArrayObject([generic.NumberObject(x) for x in (0, 0, 595, 842)]),
        N("/Contents"): w.add_object(generic.StreamObject(stream_data=stream)),
    })
    w.insert_page(page)
    w.encrypt("owner-" + user_password, user_password)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()
