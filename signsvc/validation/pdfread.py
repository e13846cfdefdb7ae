"""Opening an uploaded PDF and finding its signatures; the boundary for unreadable input.

Everything pyHanko raises while reading the document structure becomes ``NotAPdf``,
``MalformedPdf`` or ``EncryptedPdf``. A single signature that cannot be parsed does not
make the document unreadable: it is returned as an entry carrying the reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.crypt import AuthStatus, StandardSecurityHandler
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

from signsvc.errors import EncryptedPdf, MalformedPdf, Message, NotAPdf, SignsvcError

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
    ``unsupported_subfilter`` or ``format_failure`` with ``reason``."""

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
    """A reader over ``data`` (pyHanko's strict reader unless ``strict`` is false),
    decrypted with the empty password when the file is encrypted that way.

    Raises ``NotAPdf`` when ``%PDF-`` is not in the first 1024 bytes, ``EncryptedPdf``
    when it needs a password or key, ``MalformedPdf`` when pyHanko cannot read it.
    """
    from signsvc.signing.pdf_input import read_pdf  # the one reading function (sign and verify)

    read = read_pdf(data, lenient=False)
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


def _entry(reader: PdfFileReader, fq_name: str, sig_obj: generic.PdfObject,
           sig_field: generic.PdfObject) -> SignatureEntry:
    sig_dict = sig_obj.get_object()
    if not isinstance(sig_dict, generic.DictionaryObject):
        sig_dict = generic.DictionaryObject()
    kind = "timestamp" if sig_dict.get("/Type") == "/DocTimeStamp" else "signature"
    revision = _signed_revision(reader, sig_field)
    supported = TIMESTAMP_SUBFILTERS if kind == "timestamp" else SIGNATURE_SUBFILTERS
    if sig_dict.get("/SubFilter") not in supported:
        return SignatureEntry(fq_name, kind, None, sig_dict, revision, "unsupported_subfilter")
    try:
        embedded = EmbeddedPdfSignature(reader, sig_field, fq_name)
        _ = embedded.signer_info["signature"]  # asn1crypto parses lazily: force it here
        return SignatureEntry(fq_name, kind, embedded, sig_dict, embedded.signed_revision)
    except Exception as exc:  # garbage CMS: a report about this signature, not a crash
        reason = f"{type(exc).__name__}: {exc}"[:200]
        return SignatureEntry(fq_name, kind, None, sig_dict, revision, "format_failure", reason)


def signature_entries(reader: PdfFileReader) -> list[SignatureEntry]:
    """Every filled signature field (signatures and document timestamps), oldest first.

    Raises ``MalformedPdf`` when the form itself cannot be read.
    """
    try:
        fields = list(enumerate_sig_fields(reader, filled_status=True))
        entries = [_entry(reader, name, obj, field) for name, obj, field in fields]
    except SignsvcError:
        raise
    except Exception as exc:
        logger.info("unreadable signature fields: %s: %s", type(exc).__name__, exc)
        raise MalformedPdf() from exc
    return sorted(entries, key=lambda e: e.signed_revision)
