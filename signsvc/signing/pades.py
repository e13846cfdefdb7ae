"""PAdES baseline signing (ETSI EN 319 142-1) with any ``SigningKey``.

Guarantees: the output is the input plus one incremental update holding one
``/ETSI.CAdES.detached`` signature (with the ESS signing-certificate-v2 attribute); B-T and
higher carry an RFC 3161 signature timestamp; B-LT adds a DSS with the certificates and
revocation data; B-LTA adds a document timestamp. The room for the CMS is reserved from the
key and the level -- the key signs exactly once. Any failure raises a signsvc error and no
partial output exists.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass
from datetime import datetime

from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError

from signsvc.errors import (
    BadRequest,
    MalformedPdf,
    Message,
    SigningFailed,
    SignsvcError,
    TimestampUnavailable,
)
from signsvc.keys.model import CertificateInfo, SigningKey
from signsvc.names import PADES_LEVELS, PadesLevel
from signsvc.settings.model import AppearanceSettings
from signsvc.signing import event_loops
from signsvc.signing.appearance.spec import AppearanceSpec
from signsvc.signing.appearance.visible import plan_visible
from signsvc.signing.appearance.words import PageWords
from signsvc.signing.clock import ClockMonitor
from signsvc.signing.ltv import LONG_TERM, Fallback, LtvBuilder, complete_levels, plan_levels
from signsvc.signing.pdf_input import OpenedPdf, fully_readable

log = logging.getLogger(__name__)

#: room for the signed attributes, SignerInfo and CMS structure around the signature
CMS_OVERHEAD = 3072
#: room for one RFC 3161 timestamp token (TSA certificate chain included)
TIMESTAMP_ALLOWANCE = 10240
DIGEST = "sha256"


@dataclass(frozen=True)
class SignatureRequest:
    level: str
    reason: str | None = None
    location: str | None = None
    field_name: str | None = None
    eservice: str | None = None        # level3 | level4 | copy (policy profile)
    appearance: AppearanceSpec | None = None   # visible signature (Decree 30/2020, App. I)


@dataclass(frozen=True)
class SignedDocument:
    data: bytes
    sha256: str
    level: str
    field_name: str
    certificate: CertificateInfo
    signing_time: datetime | None
    requested_level: str = ""
    warnings: tuple[str, ...] = ()     # e.g. revocation-unavailable when downgraded


def reserved_bytes(key: SigningKey, level: str) -> int:
    """Room for ``/Contents`` from the key's certificates, signature size and level.

    pyHanko's ``bytes_reserved`` counts hex digits, two per byte of DER.
    """
    certs = len(key.certificate.dump()) + sum(len(c.dump()) for c in key.chain)
    size = CMS_OVERHEAD + certs + key.raw_signature_size
    if level != PadesLevel.B_B:
        size += TIMESTAMP_ALLOWANCE
    return 2 * ((size + 1023) // 1024 * 1024)


class PadesSigner:
    """Signs opened PDFs; holds what does not change between requests."""

    def __init__(self, timestamper: TimeStamper | None,
                 validation_context_factory=None, clock: ClockMonitor | None = None,
                 fallback: Fallback = Fallback(),
                 appearance: AppearanceSettings = AppearanceSettings(),
                 page_words: PageWords | None = None) -> None:
        """``validation_context_factory()`` returns a fresh ``ValidationContext`` for B-LT/B-LTA;
        ``clock`` is told the genTime of every signature timestamp obtained; ``fallback``
        says whether a TSA or OCSP/CRL outage fails the request or lowers the level."""
        self._timestamper = timestamper
        self._page_words = page_words     # anchor placement: the words of pages (a port)
        self._vc_factory = validation_context_factory
        self._clock = clock
        self._fallback = fallback
        self._appearance = appearance
        self._ltv = LtvBuilder(timestamper, validation_context_factory) \
            if validation_context_factory is not None else None

    def check_appearance(self, pdf: OpenedPdf, key: SigningKey, request: SignatureRequest) -> None:
        """Plan the visible signature of ``request`` exactly as ``sign`` would, without
        signing (a dry run for /v1/policy/evaluate): ``AppearanceError`` (422) when the
        placement or appearance cannot be honoured; nothing is written."""
        if request.appearance is None:
            return
        field_name = request.field_name or _next_field_name(pdf)
        plan_visible(pdf, request.appearance, self._appearance, key.certificate, field_name,
                     request.field_name is not None, page_words=self._page_words)

    def sign(self, pdf: OpenedPdf, key: SigningKey, request: SignatureRequest) -> SignedDocument:
        if request.level not in PADES_LEVELS:
            raise BadRequest(Message(f"Mức chữ ký không hợp lệ: {request.level!r}.",
                                     f"Unknown signature level {request.level!r}."))
        needs_ts = request.level != PadesLevel.B_B
        if needs_ts and self._timestamper is None:
            raise TimestampUnavailable(Message(
                "Chưa cấu hình máy chủ cấp dấu thời gian (TSA) cho mức chữ ký này.",
                "No timestamping authority is configured for this signature level."))
        if self._ltv is None and request.level in LONG_TERM:
            raise BadRequest(Message("Mức B-LT/B-LTA chưa được cấu hình.",
                                     "B-LT/B-LTA is not configured."))
        # B-LT/B-LTA: the signer's chain and revocation data are settled before the key signs
        plan = plan_levels(request.level, self._fallback, self._timestamper, self._ltv, key)
        needs_ts = plan.level != PadesLevel.B_B
        field_name = request.field_name or _next_field_name(pdf)
        visible = plan_visible(pdf, request.appearance, self._appearance, key.certificate,
                               field_name, request.field_name is not None,
                               page_words=self._page_words) \
            if request.appearance is not None else None
        meta = signers.PdfSignatureMetadata(
            field_name=field_name,
            md_algorithm=DIGEST,
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=request.reason,
            location=request.location,
        )
        timestamper = self._timestamper if needs_ts else None
        pdf_signer = visible.pdf_signer(meta, key.signer, timestamper) if visible is not None \
            else signers.PdfSigner(meta, key.signer, timestamper=timestamper)
        out = io.BytesIO()
        try:
            # pyHanko's sign_pdf, on this thread's kept event loop instead of a new one
            # per call (the TSA session is kept with it: signsvc.adapters.tsa_http)
            event_loops.run(pdf_signer.async_sign_pdf(
                pdf.writer, output=out, bytes_reserved=reserved_bytes(key, request.level)))
        except SignsvcError:
            raise
        except TimestampRequestError:
            log.warning("timestamp request failed", exc_info=True)
            raise TimestampUnavailable() from None
        except SigningError as exc:
            log.error("signing failed: %s", exc)
            raise SigningFailed() from None
        except Exception:  # library internals: never leak a trace, never return a half file
            if not fully_readable(pdf.writer.prev):  # an object of the input does not parse
                log.info("signing stopped on an unreadable object of the document")
                raise MalformedPdf() from None
            log.exception("unexpected signing failure")
            raise SigningFailed() from None
        signed = out.getvalue()
        data, level, warnings = complete_levels(signed, plan, self._ltv, self._fallback)
        if needs_ts and self._clock is not None:
            gen_time = signature_timestamp_time(signed)   # this signature's, before any LTA
            if gen_time is not None:
                self._clock.observe(gen_time)
        return SignedDocument(
            data=data, sha256=hashlib.sha256(data).hexdigest(), level=level,
            field_name=field_name, certificate=key.info.certificate,
            signing_time=visible.signing_time if visible is not None else None,
            requested_level=request.level, warnings=warnings)


_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")


def _last_signer_info(data: bytes):
    """The SignerInfo of the CMS in the gap of the last ``/ByteRange`` of ``data`` (the
    signature the newest update added), read without parsing the PDF (a reader took 20 ms
    per 3 MB document); None when that does not work out."""
    from asn1crypto import cms

    at = data.rfind(b"/ByteRange")
    match = _BYTE_RANGE.match(data, at) if at >= 0 else None
    if match is None:
        return None
    start, length, after, _ = map(int, match.groups())
    if not (0 <= start + length < after <= len(data)):
        return None
    try:
        contents = bytes.fromhex(data[start + length + 1:after - 1].decode("ascii"))
        return cms.ContentInfo.load(contents)["content"]["signer_infos"][0]
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def signature_timestamp_time(data: bytes) -> datetime | None:
    """genTime of the signature timestamp on the last signature of ``data``, if any."""
    from asn1crypto import tsp
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        signer_info = _last_signer_info(data)
        if signer_info is None:
            signer_info = PdfFileReader(io.BytesIO(data)).embedded_signatures[-1].signer_info
        attrs = signer_info["unsigned_attrs"]
        for attr in attrs:
            if attr["type"].native == "signature_time_stamp_token":
                content = attr["values"][0]["content"]["encap_content_info"]["content"]
                return tsp.TSTInfo.load(content.contents)["gen_time"].native
    except (IndexError, KeyError, ValueError, TypeError):
        log.warning("could not read the signature timestamp's genTime")
    return None


def _next_field_name(pdf: OpenedPdf) -> str:
    existing = {name for name, _, _ in fields.enumerate_sig_fields(pdf.writer.prev)}
    n = len(existing) + 1
    while f"Signature{n}" in existing:
        n += 1
    return f"Signature{n}"
