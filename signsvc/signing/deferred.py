"""Deferred (hash) signing for the official's own token: prepare here, sign there, embed here.

Step 1 ``prepare``: the signature field and dictionary are appended as an incremental
update with ``/Contents`` reserved (room for the timestamp too when the level asks for
one), the ByteRange digest is computed, and the CMS signed attributes (content-type,
message-digest, signing-certificate-v2) are built once; their DER is kept and the hash
of it is what the token signs.

Step 3 ``complete``: the raw signature is checked against the certificate over exactly
the stored signed attributes *before* anything is embedded (pyHanko would embed any
value), ECDSA raw r‖s is converted to DER, the CMS is assembled with the stored
attributes (plus a signature timestamp for B-T and higher) and written into the
reserved region of the stored prepared PDF.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from dataclasses import dataclass

from asn1crypto import algos, cms, x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import load_der_public_key
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signsvc.errors import (
    BadRequest,
    Message,
    SignatureInvalid,
    SigningFailed,
    TimestampUnavailable,
)
from signsvc.keys.model import describe_public_key
from signsvc.names import PadesLevel
from signsvc.signing.cms_attributes import FastPadesAttributes
from signsvc.signing.pades import CMS_OVERHEAD, TIMESTAMP_ALLOWANCE
from signsvc.signing.pdf_input import OpenedPdf

DIGEST = "sha256"


@dataclass(frozen=True)
class PreparedSignature:
    prepared_pdf: bytes
    document_digest: bytes
    reserved_start: int
    reserved_end: int
    signed_attrs: bytes          # DER of the CMS signed attributes
    mechanism: bytes             # DER of the SignedDigestAlgorithm the token must use
    field_name: str
    level: str

    @property
    def hash_to_sign(self) -> bytes:
        return hashlib.sha256(self.signed_attrs).digest()

    @property
    def signature_algorithm(self) -> str:
        """rsassa_pkcs1v15 | rsassa_pss | ecdsa (what the agent is asked to do)."""
        return algos.SignedDigestAlgorithm.load(self.mechanism).signature_algo

    @property
    def pss_salt_length(self) -> int | None:
        mech = algos.SignedDigestAlgorithm.load(self.mechanism)
        if mech.signature_algo != "rsassa_pss":
            return None
        return int(mech["parameters"]["salt_length"].native)


class _ExternalSigner(FastPadesAttributes, signers.ExternalSigner):
    """pyHanko's ExternalSigner with the constant PAdES attributes pre-encoded."""


def _reserved(cert: x509.Certificate, chain: tuple[x509.Certificate, ...], level: str) -> int:
    size = CMS_OVERHEAD + len(cert.dump()) + sum(len(c.dump()) for c in chain) \
        + describe_public_key(cert)[2]
    if level != PadesLevel.B_B:
        size += TIMESTAMP_ALLOWANCE
    return 2 * ((size + 1023) // 1024 * 1024)


def prepare(pdf: OpenedPdf, cert: x509.Certificate, chain: tuple[x509.Certificate, ...], *,
            level: str, field_name: str, prefer_pss: bool, reason: str | None = None,
            location: str | None = None, visible=None) -> PreparedSignature:
    """Step 1: the prepared incremental update and the signed attributes to be signed.
    ``visible``: a ``VisiblePlan`` (signsvc.signing.appearance.visible) to draw, or None."""
    placeholder = describe_public_key(cert)[2]
    signer = _ExternalSigner(cert, SimpleCertificateStore.from_certs(chain),
                             signature_value=placeholder, prefer_pss=prefer_pss, embed_roots=False)
    signer._prepare_constant_attributes(cert)
    meta = signers.PdfSignatureMetadata(field_name=field_name, md_algorithm=DIGEST,
                                        subfilter=fields.SigSeedSubFilter.PADES,
                                        reason=reason, location=location)
    pdf_signer = visible.pdf_signer(meta, signer, None) if visible is not None \
        else signers.PdfSigner(meta, signer)

    async def run():
        prep, _tbs, output = await pdf_signer.async_digest_doc_for_signing(
            pdf.writer, bytes_reserved=_reserved(cert, chain, level))
        attrs = await signer.signed_attrs(prep.document_digest, DIGEST, use_pades=True,
                                          is_pdf_sig=True)
        return prep, output, attrs

    try:
        prep, output, attrs = asyncio.run(run())
    except SigningError as exc:
        raise BadRequest(Message(f"Không chuẩn bị được tài liệu để ký: {exc}",
                                 f"The document cannot be prepared for signing: {exc}")) from None
    output.seek(0)
    mech = signer.get_signature_mechanism_for_digest(DIGEST)
    return PreparedSignature(
        prepared_pdf=output.read(), document_digest=prep.document_digest,
        reserved_start=prep.reserved_region_start, reserved_end=prep.reserved_region_end,
        signed_attrs=attrs.dump(), mechanism=mech.dump(), field_name=field_name, level=level)


def verify_raw_signature(cert: x509.Certificate, prepared: PreparedSignature, raw: bytes) -> bytes:
    """The signature in the form CMS needs (DER for ECDSA), if and only if it verifies
    under ``cert`` over the stored signed attributes; ``SignatureInvalid`` otherwise."""
    public = load_der_public_key(cert.public_key.dump())
    data = prepared.signed_attrs
    algo = prepared.signature_algorithm
    bad = SignatureInvalid()
    try:
        if algo == "rsassa_pkcs1v15" and isinstance(public, rsa.RSAPublicKey):
            public.verify(raw, data, padding.PKCS1v15(), hashes.SHA256())
            return raw
        if algo == "rsassa_pss" and isinstance(public, rsa.RSAPublicKey):
            public.verify(raw, data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                                 salt_length=prepared.pss_salt_length or 32),
                          hashes.SHA256())
            return raw
        if algo == "ecdsa" and isinstance(public, ec.EllipticCurvePublicKey):
            n = (public.curve.key_size + 7) // 8
            der = raw
            if len(raw) == 2 * n:  # raw r||s from a token (CKM_ECDSA)
                der = encode_dss_signature(int.from_bytes(raw[:n], "big"),
                                           int.from_bytes(raw[n:], "big"))
            public.verify(der, data, ec.ECDSA(hashes.SHA256()))
            return der
    except (InvalidSignature, ValueError):
        raise bad from None
    raise bad


def complete(prepared: PreparedSignature, cert: x509.Certificate, chain: tuple[x509.Certificate, ...],
             signature: bytes, timestamper: TimeStamper | None) -> bytes:
    """Step 3: the signed PDF (``signature`` already verified by ``verify_raw_signature``)."""
    mech = algos.SignedDigestAlgorithm.load(prepared.mechanism)
    signer = signers.ExternalSigner(cert, SimpleCertificateStore.from_certs(chain),
                                    signature_value=signature, signature_mechanism=mech,
                                    embed_roots=False)
    attrs = cms.CMSAttributes.load(prepared.signed_attrs)
    needs_ts = prepared.level != PadesLevel.B_B
    if needs_ts and timestamper is None:
        raise TimestampUnavailable()

    async def run() -> bytes:
        sig_cms = await signer.async_sign_prescribed_attributes(
            DIGEST, attrs, timestamper=timestamper if needs_ts else None)
        out = io.BytesIO(prepared.prepared_pdf)
        digest = PreparedByteRangeDigest(prepared.document_digest, prepared.reserved_start,
                                         prepared.reserved_end)
        await PdfTBSDocument.async_finish_signing(out, digest, sig_cms)
        return out.getvalue()

    try:
        return asyncio.run(run())
    except TimestampRequestError:
        raise TimestampUnavailable() from None
    except SigningError:
        raise SigningFailed() from None
