"""Opening an uploaded PDF and finding its signatures; the boundary for unreadable input.

Everything pyHanko raises while reading the document structure becomes ``NotAPdf``,
``MalformedPdf`` or ``EncryptedPdf``. A single signature that cannot be parsed does not
make the document unreadable: it is returned as an entry carrying the reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import cast

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.crypt import AuthStatus, StandardSecurityHandler
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

from signsvc.errors import EncryptedPdf, MalformedPdf, Message, SignsvcError

logger = logging.getLogger(__name__)

HEADER_WINDOW = 1024
SIGNATURE_SUBFILTERS = frozenset({"/adbe.pkcs7.detached", "/ETSI.CAdES.detached", "/ETSI.PAdES.detached"})
TIMESTAMP_SUBFILTERS = frozenset({"/ETSI.RFC3161"})

ENCRYPTED_FOR_VALIDATION = Message(
    "Tệp PDF đã được mã hóa bằng mật khẩu hoặc khóa; không đọc được để kiểm tra chữ ký.",
    "The PDF is encrypted with a password or key; it cannot be read to check its signatures.")


@dataclass(frozen=True)
class SignatureEntry:
    """A filled signature field: ``kind`` is ``signature`` or ``timestamp``;
    ``embedded`` is ``None`` when it could not be parsed, and then ``problem`` is
    ``unsupported_subfilter``, ``several_signers`` (a CMS with more than one SignerInfo)
    or ``format_failure`` with ``reason``."""

    field: str
    kind: str
    embedded: EmbeddedPdfSignature | None
    sig_object: generic.DictionaryObject
    signed_revision: int
    problem: str | None = None
    reason: str | None = None

    @property
    def subfilter(self) -> str:
        return str(self.sig_object.get("/SubFilter", "(none)"))


def open_pdf(data: bytes, *, strict: bool = True) -> PdfFileReader:
    """A reader over ``data`` (pyHanko's strict reader; unless ``strict`` is false, then
    its non-strict reader when the strict one refuses), decrypted with the empty password
    when the file is encrypted that way.

    Raises ``NotAPdf`` when ``%PDF-`` is not in the first 1024 bytes, ``EncryptedPdf``
    when it needs a password or key, ``MalformedPdf`` when pyHanko cannot read it.
    """
    from signsvc.signing.pdf_input import read_pdf  # the one reading function (sign and verify)

    read = read_pdf(data, lenient=not strict)
    reader, encrypted = read.reader, read.encrypted
    if encrypted:
        _decrypt(reader)
    try:
        _ = reader.root["/Pages"]
    except Exception as exc:
        logger.info("PDF without a readable catalog: %s: %s", type(exc).__name__, exc)
        raise MalformedPdf() from exc
    return reader


def _decrypt(reader: PdfFileReader) -> None:
    try:
        handler = reader.security_handler
        if not isinstance(handler, StandardSecurityHandler):
            raise EncryptedPdf(ENCRYPTED_FOR_VALIDATION)
        result = reader.decrypt("")
    except SignsvcError:
        raise
    except Exception as exc:
        logger.info("cannot decrypt PDF: %s: %s", type(exc).__name__, exc)
        raise EncryptedPdf(ENCRYPTED_FOR_VALIDATION) from exc
    if result.status == AuthStatus.FAILED:
        raise EncryptedPdf(ENCRYPTED_FOR_VALIDATION)


def _signed_revision(reader: PdfFileReader, sig_field: generic.PdfObject) -> int:
    try:
        value = sig_field.get_object().raw_get("/V")
        if isinstance(value, generic.IndirectObject):
            return reader.xrefs.get_last_change(value.reference)
    except (KeyError, ValueError, TypeError, AttributeError):
        pass
    return reader.xrefs.total_revisions - 1


def _plain(value):
    """The value itself: encrypted files wrap objects in pyHanko's ``DecryptedObjectProxy``
    (a signature's /Contents is never encrypted; its ``raw_object`` is what the file holds)."""
    if isinstance(value, generic.DecryptedObjectProxy):
        return value.raw_object
    return value


def _malformed_dictionary(sig_dict: generic.DictionaryObject) -> str | None:
    """Why the signature dictionary cannot hold a verifiable signature (``/ByteRange`` not
    four non-negative integers starting at 0 in increasing order, ``/Contents`` missing or
    empty), or ``None``. These are the universal signature forgery shapes."""
    try:
        byte_range = _plain(sig_dict.get("/ByteRange"))
        contents = _plain(sig_dict.get("/Contents"))
    except Exception:  # a dangling reference
        return "/ByteRange or /Contents cannot be read"
    values = list(byte_range) if isinstance(byte_range, generic.ArrayObject) else []
    if len(values) != 4 or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values):
        return "/ByteRange is not four non-negative integers"
    if values[0] != 0 or values[1] > values[2]:
        return "/ByteRange does not start at 0 or its ranges overlap"
    if isinstance(contents, generic.TextStringObject):
        raw = contents.original_bytes
    elif isinstance(contents, generic.ByteStringObject):
        raw = bytes(contents)
    else:
        raw = b""
    if not raw.strip(b"\x00"):
        return "/Contents is missing or empty"
    return None


def _entry(reader: PdfFileReader, fq_name: str, sig_obj: generic.PdfObject,
           sig_field: generic.PdfObject) -> SignatureEntry:
    sig_dict = sig_obj.get_object()
    if not isinstance(sig_dict, generic.DictionaryObject):
        sig_dict = generic.DictionaryObject()
    kind = "timestamp" if sig_dict.get("/Type") == "/DocTimeStamp" else "signature"
    revision = _signed_revision(reader, sig_field)
    supported = TIMESTAMP_SUBFILTERS if kind == "timestamp" else SIGNATURE_SUBFILTERS
    malformed = _malformed_dictionary(sig_dict)
    if malformed is not None:  # ISO 32000-2 12.8.1: a signature cannot be checked without these
        return SignatureEntry(fq_name, kind, None, sig_dict, revision, "format_failure", malformed)
    if sig_dict.get("/SubFilter") not in supported:
        return SignatureEntry(fq_name, kind, None, sig_dict, revision, "unsupported_subfilter")
    try:
        # the field dictionary as enumerate_sig_fields gives it (typed as any PDF object)
        embedded = EmbeddedPdfSignature(reader, cast(generic.DictionaryObject, sig_field), fq_name)
        _ = embedded.signer_info["signature"]  # asn1crypto parses lazily: force it here
        return SignatureEntry(fq_name, kind, embedded, sig_dict, embedded.signed_revision)
    except Exception as exc:  # garbage CMS: a report about this signature, not a crash
        reason = f"{type(exc).__name__}: {exc}"[:200]
        problem = "several_signers" if "exactly one entry" in str(exc) else "format_failure"
        return SignatureEntry(fq_name, kind, None, sig_dict, revision, problem, reason)


MAX_FIELD_DEPTH = 32


def _parent_loop(sig_field: generic.PdfObject) -> bool:
    """The field's /Parent chain returns to a field already seen (or is absurdly deep):
    the field tree of ISO 32000-2 12.7.4 is not a tree, so the field has no defined name."""
    seen: set[generic.Reference] = set()
    node = sig_field
    for _ in range(MAX_FIELD_DEPTH):
        if isinstance(node, generic.IndirectObject):
            if node.reference in seen:
                return True
            seen.add(node.reference)
        node = node.get_object()
        if not isinstance(node, generic.DictionaryObject) or "/Parent" not in node:
            return False
        node = node.raw_get("/Parent")
    return True


def _kids(sig_field: generic.PdfObject) -> list[generic.PdfObject]:
    """The field's widget kids as stored (references), at most ``MAX_FIELD_DEPTH``."""
    node = sig_field.get_object()
    kids = node.get("/Kids") if isinstance(node, generic.DictionaryObject) else None
    if not isinstance(kids, generic.ArrayObject):
        return []
    return [kids.raw_get(i) for i in range(min(len(kids), MAX_FIELD_DEPTH))]


def signature_entries(reader: PdfFileReader) -> list[SignatureEntry]:
    """Every filled signature field (signatures and document timestamps), oldest first.

    Raises ``MalformedPdf`` when the form itself cannot be read, or a signature field is
    part of a loop of /Parent references.
    """
    try:
        fields = list(enumerate_sig_fields(reader, filled_status=True))
        if any(_parent_loop(node) for _, _, field in fields for node in (field, *_kids(field))):
            raise MalformedPdf()
        entries = [_entry(reader, name, obj, field) for name, obj, field in fields]
    except SignsvcError:
        raise
    except Exception as exc:
        logger.info("unreadable signature fields: %s: %s", type(exc).__name__, exc)
        raise MalformedPdf() from exc
    return sorted(entries, key=lambda e: e.signed_revision)
