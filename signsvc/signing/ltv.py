"""Long-term signatures with pyHanko: the DSS (PAdES B-LT), document timestamps (B-LTA),
and extending the signatures already in a PDF, whoever made them.

Guarantees:

- Every change is an incremental update: the bytes of the input are the prefix of the
  output, so no earlier signature is invalidated.
- ``LtvBuilder.signer_context`` checks the signer's chain (trusted, not revoked) and
  fetches its OCSP responses/CRLs *before* the key signs; ``complete`` then adds the
  signature timestamp's chain and writes one DSS revision holding the certificates (roots
  included) and the revocation data of the signer's and every timestamp's chain.
- B-LTA adds a document timestamp after the DSS, and the revocation data of that
  timestamp's chain after it (so the next renewal finds it).
- Failures are signsvc errors: ``RevocationUnavailable`` (responder down or no
  revocation data), ``SignatureNotExtendable`` (revoked, untrusted, expired),
  ``TimestampUnavailable``, ``NotSigned``, ``EncryptedPdf``/``MalformedPdf``; no partial
  output is ever returned.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from asn1crypto import x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.signers.pdf_signer import PdfTimeStamper, TimestampDSSContentSettings
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator import errors as cv_errors
from pyhanko_certvalidator.path import ValidationPath

from signsvc.errors import (
    EncryptedPdf,
    MalformedPdf,
    Message,
    NotSigned,
    RevocationUnavailable,
    SignatureNotExtendable,
    TimestampUnavailable,
)
from signsvc.names import LONG_TERM_LEVELS, PadesLevel

log = logging.getLogger(__name__)

DIGEST = "sha256"
LONG_TERM = LONG_TERM_LEVELS
#: room for a document timestamp token (TSA chain included), in hex digits
DOC_TIMESTAMP_RESERVED = 2 * 8192


@dataclass(frozen=True)
class LtvResult:
    data: bytes
    level: str                       # what the document now carries
    signatures: int                  # regular signatures covered
    document_timestamps_added: int
    dss_written: bool


def _fail_from(exc: Exception, who: tuple[str, str]) -> Exception:
    """The signsvc error for a certvalidator failure about ``who``."""
    if isinstance(exc, cv_errors.RevokedError):
        return SignatureNotExtendable(Message(
            f"Chứng thư số của {who[0]} đã bị thu hồi.", f"The certificate of {who[1]} was revoked."),
            reason="revoked")
    if isinstance(exc, (cv_errors.InsufficientRevinfoError, cv_errors.OCSPFetchError,
                        cv_errors.CRLFetchError)):
        return RevocationUnavailable(Message(
            f"Không lấy được thông tin thu hồi (OCSP/CRL) cho {who[0]}; không có tài liệu nào được trả về.",
            f"No revocation information (OCSP/CRL) could be obtained for {who[1]}; "
            "no document was returned."))
    if isinstance(exc, (cv_errors.ExpiredError, cv_errors.NotYetValidError)):
        return SignatureNotExtendable(Message(
            f"Chứng thư số của {who[0]} không còn hiệu lực.", f"The certificate of {who[1]} is not valid now."),
            reason="expired")
    return SignatureNotExtendable(Message(
        f"Chuỗi chứng thư của {who[0]} không được tin cậy.", f"The certificate chain of {who[1]} is not trusted."),
        reason="untrusted")


async def _validate(cert: x509.Certificate, others: Iterable[x509.Certificate],
                    vc: ValidationContext, who: tuple[str, str], eku: set[str] | None = None) -> ValidationPath:
    """The validated path of ``cert`` (revocation data lands in ``vc``)."""
    try:
        return await CertificateValidator(cert, intermediate_certs=list(others),
                                          validation_context=vc).async_validate_usage(set(), eku)
    except (cv_errors.PathValidationError, cv_errors.PathBuildingError,
            cv_errors.OCSPValidationError, cv_errors.CRLValidationError) as exc:
        raise _fail_from(exc, who) from None


async def _paths_for(signed_data, vc: ValidationContext, who: tuple[str, str], *, with_timestamps: bool,
                     eku: set[str] | None = None) -> list[ValidationPath]:
    info = extract_certificate_info(signed_data)
    paths = [await _validate(info.signer_cert, info.other_certs, vc, who, eku)]
    if with_timestamps:
        signer_info = signed_data["signer_infos"][0]
        for signed in (False, True):
            for tst in extract_tst_data_iter(signer_info, signed=signed):
                tinfo = extract_certificate_info(tst)
                paths.append(await _validate(tinfo.signer_cert, tinfo.other_certs, vc,
                                             ("TSA", "TSA"), {"time_stamping"}))
    return paths


def _has_signature_timestamp(emb: EmbeddedPdfSignature) -> bool:
    attrs = emb.signer_info["unsigned_attrs"]
    return bool(attrs) and any(a["type"].native == "signature_time_stamp_token" for a in attrs)


def _open(data: bytes) -> PdfFileReader:
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
    except (PdfError, ValueError, TypeError, KeyError) as exc:
        log.info("unreadable PDF: %s", exc)
        raise MalformedPdf() from None
    if reader.encrypted:
        raise EncryptedPdf()
    return reader


class LtvBuilder:
    """Adds long-term validation material; one fresh ``ValidationContext`` per call."""

    def __init__(self, timestamper: TimeStamper | None,
                 validation_context_factory: Callable[[], ValidationContext]) -> None:
        self._timestamper = timestamper
        self._vc_factory = validation_context_factory

    # -- signing path -----------------------------------------------------------------

    def signer_context(self, cert: x509.Certificate, chain: Iterable[x509.Certificate]) -> ValidationContext:
        """A context holding the signer's validated chain and its revocation data.

        Called before the key signs: a revoked or untrusted signer, or missing revocation
        data, stops the request here."""
        vc = self._vc_factory()
        asyncio.run(_validate(cert, chain, vc, ("người ký", "the signer")))
        return vc

    def complete(self, data: bytes, level: str, vc: ValidationContext) -> LtvResult:
        """``data`` (just signed at B-T) completed to ``level`` (B-LT or B-LTA)."""
        return asyncio.run(self._complete(data, level, vc, only_last=True))

    # -- extension path ---------------------------------------------------------------

    def extend(self, data: bytes, level: str) -> LtvResult:
        """Every signature of ``data`` upgraded to ``level`` (B-LT or B-LTA).

        A signature without a signature timestamp first gets a document timestamp (its
        PAdES B-T time proof). On a B-LTA document, B-LTA adds a new archive timestamp
        after refreshing the DSS for the last one (renewal)."""
        return asyncio.run(self._complete(data, level, self._vc_factory(), only_last=False))

    def renew(self, data: bytes) -> LtvResult:
        """A new archive timestamp for ``data`` (archive renewal).

        When a document timestamp already comes after the last signature, only the DSS for
        that timestamp's TSA chain is refreshed before the new timestamp: the signers'
        validation data is already in the DSS under that timestamp, and their certificates
        may have expired or been revoked since, which must not stop a renewal. Otherwise
        (no archive timestamp yet, or a signature after it) this is ``extend(data, "B-LTA")``."""
        return asyncio.run(self._renew(data, self._vc_factory()))

    async def _renew(self, data: bytes, vc: ValidationContext) -> LtvResult:
        reader = _open(data)
        sigs = reader.embedded_regular_signatures
        if not sigs:
            raise NotSigned()
        doc_ts = reader.embedded_timestamp_signatures
        if not doc_ts or doc_ts[-1].signed_revision < max(s.signed_revision for s in sigs):
            return await self._complete(data, PadesLevel.B_LTA, vc, only_last=False)
        paths = await _paths_for(doc_ts[-1].signed_data, vc, ("TSA", "TSA"), with_timestamps=False,
                                 eku={"time_stamping"})
        data, written = self._write_dss(data, paths, vc)
        data = await self._document_timestamp(data, vc)
        return LtvResult(data=data, level=PadesLevel.B_LTA, signatures=len(sigs),
                         document_timestamps_added=1, dss_written=written)

    async def _complete(self, data: bytes, level: str, vc: ValidationContext, *,
                        only_last: bool) -> LtvResult:
        if level not in LONG_TERM:
            raise ValueError(level)
        reader = _open(data)
        sigs = reader.embedded_regular_signatures
        if not sigs:
            raise NotSigned()
        targets = sigs[-1:] if only_last else sigs
        doc_ts = reader.embedded_timestamp_signatures
        ts_added = 0
        # 1. a time proof for signatures without one (B-B made elsewhere)
        last_ts_revision = doc_ts[-1].signed_revision if doc_ts else -1
        if any(not _has_signature_timestamp(s) and s.signed_revision > last_ts_revision
               for s in targets):
            data = await self._document_timestamp(data, vc)
            ts_added += 1
            reader = _open(data)
            doc_ts = reader.embedded_timestamp_signatures
            targets = reader.embedded_regular_signatures[-len(targets):]
        # 2. the DSS: signer chains, signature timestamps, the last document timestamp
        paths: list[ValidationPath] = []
        for emb in targets:
            paths += await _paths_for(emb.signed_data, vc, (f"chữ ký {emb.field_name}", f"signature {emb.field_name}"),
                                      with_timestamps=True)
        if doc_ts:
            paths += await _paths_for(doc_ts[-1].signed_data, vc, ("TSA", "TSA"), with_timestamps=False,
                                      eku={"time_stamping"})
        data, written = self._write_dss(data, paths, vc)
        # 3. the archive timestamp
        if level == PadesLevel.B_LTA:
            data = await self._document_timestamp(data, vc)
            ts_added += 1
        return LtvResult(data=data, level=level, signatures=len(targets),
                         document_timestamps_added=ts_added, dss_written=written)

    @staticmethod
    def _write_dss(data: bytes, paths: list[ValidationPath], vc: ValidationContext) -> tuple[bytes, bool]:
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        dss = DocumentSecurityStore.supply_dss_in_writer(
            writer, None, paths=paths, validation_context=vc, embed_roots=True)
        if not dss.modified:
            return data, False
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue(), True

    async def _document_timestamp(self, data: bytes, vc: ValidationContext) -> bytes:
        """``data`` with a document timestamp, then the DSS for the TSA's chain."""
        if self._timestamper is None:
            raise TimestampUnavailable(Message(
                "Chưa cấu hình máy chủ cấp dấu thời gian (TSA).", "No timestamping authority is configured."))
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        out = io.BytesIO()
        try:
            await PdfTimeStamper(self._timestamper).async_timestamp_pdf(
                writer, DIGEST, validation_context=vc, bytes_reserved=DOC_TIMESTAMP_RESERVED,
                output=out, dss_settings=TimestampDSSContentSettings(include_vri=False),
                embed_roots=True)
        except TimestampRequestError:
            log.warning("document timestamp failed", exc_info=True)
            raise TimestampUnavailable() from None
        except (cv_errors.PathValidationError, cv_errors.PathBuildingError) as exc:
            raise _fail_from(exc, ("TSA", "TSA")) from None
        return out.getvalue()


# -- levels at signing time: what to do when a TSA or a responder is down ----------------

@dataclass(frozen=True)
class Fallback:
    """``fail`` (503, no document) or ``downgrade`` (a lower level, with a warning) per
    outage; from ``[timestamp]``/``[revocation]`` ``on_unavailable`` until the policy
    module owns it per e-service profile."""

    timestamp: str = "fail"
    revocation: str = "fail"


@dataclass
class LevelPlan:
    requested: str
    level: str
    context: ValidationContext | None = None
    warnings: list[str] = field(default_factory=list)


def plan_levels(requested: str, fallback: Fallback, timestamper: TimeStamper | None,
                ltv: LtvBuilder | None, key) -> LevelPlan:
    """The level to sign at, decided before the key signs (so it signs once).

    With ``timestamp=downgrade``, an unreachable TSA (``available()`` probe) gives B-B;
    with ``revocation=downgrade``, missing OCSP/CRL for the signer gives B-T. A revoked or
    untrusted signer always stops the request (``SignatureNotExtendable``)."""
    plan = LevelPlan(requested=requested, level=requested)
    if requested != PadesLevel.B_B and fallback.timestamp == "downgrade":
        available = getattr(timestamper, "available", None)
        if available is not None and not available():
            plan.level = PadesLevel.B_B
            plan.warnings.append("timestamp-unavailable")
            return plan
    if requested in LONG_TERM and ltv is not None:
        try:
            plan.context = ltv.signer_context(key.certificate, key.chain)
        except RevocationUnavailable:
            if fallback.revocation != "downgrade":
                raise
            plan.level = PadesLevel.B_T
            plan.warnings.append("revocation-unavailable")
    return plan


def complete_levels(data: bytes, plan: LevelPlan, ltv: LtvBuilder | None,
                    fallback: Fallback) -> tuple[bytes, str, tuple[str, ...]]:
    """``data`` signed at B-T completed to ``plan.level``: (data, level, warnings). If the
    TSA chain's revocation data or the archive timestamp cannot be had, the B-T document
    is kept when the matching fallback is ``downgrade``; otherwise the error propagates."""
    if plan.level not in LONG_TERM or ltv is None or plan.context is None:
        return data, plan.level, tuple(plan.warnings)
    try:
        return ltv.complete(data, plan.level, plan.context).data, plan.level, tuple(plan.warnings)
    except RevocationUnavailable:
        if fallback.revocation != "downgrade":
            raise
        return data, PadesLevel.B_T, (*plan.warnings, "revocation-unavailable")
    except TimestampUnavailable:
        if fallback.timestamp != "downgrade":
            raise
        return data, PadesLevel.B_T, (*plan.warnings, "timestamp-unavailable")
