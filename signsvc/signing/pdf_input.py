"""Read an untrusted PDF; the one boundary where every reader error becomes a signsvc error.

:func:`read_pdf` is the single reading function for signing (through
:func:`open_for_signing`) and verification (``signsvc.validation.pdfread.open_pdf``): whatever
pyHanko raises while parsing the header, the cross-reference data, the trailer or the
catalog (``PdfReadError``, ``PdfStrictReadError``, ``AssertionError``, ``KeyError``,
``RecursionError``, ...) becomes ``MalformedPdf`` (422), never an unexpected exception.
:func:`count_pages` walks the page tree with a counter and an explicit stack: it stops as
soon as the count passes the limit (a 100 000-page file costs no more than the limit) and
refuses a page tree that reaches a node twice (a cycle) with ``MalformedPdf``.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfStrictReadError
from pyhanko.pdf_utils.reader import PdfFileReader

from signsvc.errors import EncryptedPdf, MalformedPdf, Message, NotAPdf, SignsvcError

log = logging.getLogger(__name__)

HEADER_WINDOW = 1024
#: pages counted at most when the caller gives no limit (the policy's document.pages is lower)
DEFAULT_MAX_PAGES = 10_000
#: depth of the page tree walked at most (a deeper tree is refused as malformed)
MAX_PAGE_TREE_DEPTH = 64

PAGE_TREE_CYCLE = Message(
    "Cây trang của tệp PDF có vòng lặp (một nút trang xuất hiện hai lần); tệp bị từ chối.",
    "The PDF's page tree contains a cycle (a page node is reached twice); the file is refused.")
PAGE_TREE_BROKEN = Message(
    "Cây trang của tệp PDF bị hỏng (nút không phải từ điển hoặc quá sâu); tệp bị từ chối.",
    "The PDF's page tree is broken (a node that is not a dictionary, or too deep); "
    "the file is refused.")


@dataclass
class ReadPdf:
    """A parsed PDF: ``strict`` is False when pyHanko could read it only in its lenient mode
    (hybrid cross-reference files and the like); ``encrypted`` when it has an /Encrypt."""

    reader: PdfFileReader
    strict: bool
    encrypted: bool


@dataclass
class OpenedPdf:
    """A PDF ready for an incremental update; ``strict`` is False when pyHanko could read
    it only in its lenient mode (hybrid cross-reference files and the like). ``pages`` is the
    number of pages, or ``max_pages + 1`` when the walk stopped at the limit."""

    writer: IncrementalPdfFileWriter
    strict: bool
    pages: int


def looks_like_pdf(data: bytes) -> bool:
    """True when ``%PDF-`` appears in the first 1024 bytes (as PDF readers accept)."""
    return b"%PDF-" in data[:HEADER_WINDOW]


def _malformed(exc: BaseException, where: str) -> MalformedPdf:
    log.info("unreadable PDF (%s): %s: %s", where, type(exc).__name__, str(exc)[:200])
    return MalformedPdf()


def read_pdf(data: bytes, *, lenient: bool = True) -> ReadPdf:
    """Parse ``data`` (strict mode, then lenient mode when ``lenient`` and strict parsing
    refused it) and check that the trailer's /Root is a dictionary with a /Pages dictionary
    (unless encrypted: the catalog is checked after decryption by the caller).

    Raises ``NotAPdf`` (no ``%PDF-`` in the first 1024 bytes) or ``MalformedPdf`` for any
    error of the parser; never any other exception."""
    if not looks_like_pdf(data):
        raise NotAPdf()
    strict = True
    try:
        try:
            reader = PdfFileReader(io.BytesIO(data), strict=True)
        except PdfStrictReadError:
            if not lenient:
                raise
            strict = False
            reader = PdfFileReader(io.BytesIO(data), strict=False)
        encrypted = reader.encrypted
        if not encrypted:
            check_catalog(reader)
    except SignsvcError:
        raise
    except Exception as exc:
        raise _malformed(exc, "read") from None
    return ReadPdf(reader=reader, strict=strict, encrypted=encrypted)


def check_catalog(reader: PdfFileReader) -> None:
    """``MalformedPdf`` unless the catalog is a dictionary whose /Pages is a dictionary."""
    try:
        root = reader.trailer_view["/Root"]
        pages = root["/Pages"] if isinstance(root, generic.DictionaryObject) else None
        ok = isinstance(pages, generic.DictionaryObject)
        if ok:
            _ = reader.root  # pyHanko asserts the same; make sure it agrees
    except SignsvcError:
        raise
    except Exception as exc:
        raise _malformed(exc, "catalog") from None
    if not ok:
        raise MalformedPdf()


def count_pages(reader: PdfFileReader, max_pages: int = DEFAULT_MAX_PAGES) -> int:
    """The number of page leaves, walking /Kids with an explicit stack; stops and returns
    ``max_pages + 1`` as soon as the count passes ``max_pages`` (the rest is never read).
    ``MalformedPdf`` when a node is reached twice (a cycle or a shared subtree), a node is not
    a dictionary, or the tree is deeper than :data:`MAX_PAGE_TREE_DEPTH`."""
    try:
        first = reader.root.raw_get("/Pages")
        declared = generic_int(reader.root["/Pages"].get("/Count"))
        if declared > max_pages:  # it says so itself: refused by the page limit, nothing walked
            return max_pages + 1
        stack: list[tuple[object, int]] = [(first, 0)]
        seen: set[tuple[int, int]] = set()
        count = 0
        while stack:
            raw, depth = stack.pop()
            if isinstance(raw, generic.IndirectObject):
                key = (raw.idnum, raw.generation)
                if key in seen:
                    raise MalformedPdf(PAGE_TREE_CYCLE)
                seen.add(key)
                node = raw.get_object()
            else:
                node = raw
            if not isinstance(node, generic.DictionaryObject) or depth > MAX_PAGE_TREE_DEPTH:
                raise MalformedPdf(PAGE_TREE_BROKEN)
            kind = node.get("/Type")
            if kind == "/Pages" or (kind != "/Page" and "/Kids" in node):
                kids = node.raw_get("/Kids") if "/Kids" in node else generic.ArrayObject()
                if isinstance(kids, generic.IndirectObject):
                    kids = kids.get_object()
                if not isinstance(kids, generic.ArrayObject):
                    raise MalformedPdf(PAGE_TREE_BROKEN)
                # raw entries: a kid is dereferenced only when it is popped
                stack.extend((kids.raw_get(i), depth + 1) for i in range(len(kids) - 1, -1, -1))
                continue
            count += 1
            if count > max_pages:
                return count
        return count
    except SignsvcError:
        raise
    except Exception as exc:
        raise _malformed(exc, "page tree") from None


def generic_int(value: object) -> int:
    """``value`` as an int when it is a PDF integer, else 0."""
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else 0


def open_for_signing(data: bytes, max_pages: int = DEFAULT_MAX_PAGES) -> OpenedPdf:
    """Parse ``data`` for an incremental update (through :func:`read_pdf`).

    Raises ``NotAPdf`` (no PDF header), ``EncryptedPdf``, or ``MalformedPdf`` (truncated,
    garbled, no usable cross-reference, no catalog, a page-tree cycle, no page). Pages are
    counted up to ``max_pages`` (``pages`` is then ``max_pages + 1``). Never returns a
    half-usable document and never raises anything else."""
    read = read_pdf(data)
    if read.encrypted:
        raise EncryptedPdf()
    try:
        writer = IncrementalPdfFileWriter.from_reader(read.reader)
    except SignsvcError:
        raise
    except Exception as exc:
        raise _malformed(exc, "writer") from None
    pages = count_pages(read.reader, max_pages)
    if pages < 1:
        raise MalformedPdf()
    return OpenedPdf(writer=writer, strict=read.strict, pages=pages)


def fully_readable(reader: PdfFileReader, max_objects: int = 100_000) -> bool:
    """True when every object the cross-reference data lists (in the latest revision's view)
    parses, at most ``max_objects`` of them (more: False). For the failure path of signing:
    it tells a document that cannot be read (422) from a failure of the service (500).
    Never raises."""
    try:
        refs: set = set()
        for rev in range(reader.xrefs.total_revisions):
            refs |= reader.xrefs.explicit_refs_in_revision(rev)
            if len(refs) > max_objects:
                return False
        for ref in refs:
            reader.get_object(ref)
    except Exception:
        return False
    return True


def revisions_and_signatures(data: bytes) -> tuple[int, int]:
    """(number of revisions, number of signatures incl. document timestamps) of a PDF;
    ``MalformedPdf`` if it cannot be read."""
    try:
        reader = read_pdf(data).reader
        return reader.xrefs.total_revisions, len(reader.embedded_signatures)
    except SignsvcError:
        raise
    except Exception as exc:
        raise _malformed(exc, "signatures") from None


def signer_certificate_policies(data: bytes) -> dict[str, frozenset[str]]:
    """SHA-256 (hex) of each embedded signature's signer certificate -> the certificate
    policy OIDs it carries. Signatures whose certificate cannot be read are left out;
    an unreadable file gives ``{}``. Never raises."""
    out: dict[str, frozenset[str]] = {}
    try:
        signatures = read_pdf(data).reader.embedded_signatures
    except Exception:
        return out
    for sig in signatures:
        try:
            cert = sig.signer_cert
            policies = cert.certificate_policies_value
            out[cert.sha256.hex()] = frozenset(
                p["policy_identifier"].dotted for p in policies) if policies else frozenset()
        except Exception:
            continue
    return out


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
    except Exception:
        return False
    return True
