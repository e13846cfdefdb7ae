"""Signatures and archives made by "other software" with the test PKI's keys (TEST ONLY):
its certificates and keys, CRLs and OCSP responses of the issuing CA issued at a chosen
time (var/pki/keys/interm.key.pem), a B-B/B-T signature by plain pyHanko, an archive (DSS
and document timestamp) made without signsvc, the test TSA answering at a fixed time."""

from __future__ import annotations

import io
import urllib.request
from datetime import datetime, timedelta

from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509 as cx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator.registry import SimpleCertificateStore

from tests.support.pdfs import make_pdf

TSA_URL = "http://127.0.0.1:9180/signsvc-dev/tsa/tsa"
CRL_URL = "http://127.0.0.1:9180/signsvc-dev/crls/{}/latest.crl"


def pem_cert(dev_pki, label: str) -> cx.Certificate:
    return cx.load_pem_x509_certificate(dev_pki.cert(label).read_bytes())


def key_of(dev_pki, label: str):
    return serialization.load_pem_private_key((dev_pki.keys / f"{label}.key.pem").read_bytes(), None)


def asn1(cert: cx.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def asn1_key(key) -> asn1_keys.PrivateKeyInfo:
    return asn1_keys.PrivateKeyInfo.load(key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def interm_crl(dev_pki, revoked: list[tuple[int, datetime]], this_update: datetime,
                number: int, issuer: str = "interm") -> asn1_crl.CertificateList:
    """A CRL of the test issuing CA (or ``issuer``), signed with its own key, listing
    ``revoked`` (serial, date)."""
    interm, key = pem_cert(dev_pki, issuer), key_of(dev_pki, issuer)
    builder = (cx.CertificateRevocationListBuilder().issuer_name(interm.subject)
               .last_update(this_update).next_update(this_update + timedelta(days=7))
               .add_extension(cx.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), False)
               .add_extension(cx.CRLNumber(number), False))
    for serial, when in revoked:
        builder = builder.add_revoked_certificate(
            cx.RevokedCertificateBuilder().serial_number(serial).revocation_date(when)
            .add_extension(cx.CRLReason(cx.ReasonFlags.key_compromise), False).build())
    return asn1_crl.CertificateList.load(
        builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))


def interm_ocsp(dev_pki, cert: cx.Certificate, produced: datetime) -> asn1_ocsp.OCSPResponse:
    """A "good" OCSP response for ``cert`` as of ``produced`` (its producedAt is the time of
    the call: cryptography sets it), signed by the test issuing CA itself, as an archive of
    that day would hold it."""
    from cryptography.x509 import ocsp as cx_ocsp

    interm, key = pem_cert(dev_pki, "interm"), key_of(dev_pki, "interm")
    resp = (cx_ocsp.OCSPResponseBuilder()
            .add_response(cert=cert, issuer=interm, algorithm=hashes.SHA256(),
                          cert_status=cx_ocsp.OCSPCertStatus.GOOD, this_update=produced,
                          next_update=produced + timedelta(days=7), revocation_time=None,
                          revocation_reason=None)
            .responder_id(cx_ocsp.OCSPResponderEncoding.HASH, interm))
    return asn1_ocsp.OCSPResponse.load(
        resp.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))


def served_crl(label: str) -> asn1_crl.CertificateList:
    with urllib.request.urlopen(CRL_URL.format(label), timeout=10) as resp:
        return asn1_crl.CertificateList.load(resp.read())


def sign_outside(dev_pki, cert: cx.Certificate, key, tsa: timestamps.TimeStamper | None) -> bytes:
    """A PAdES B-T signature made by other software (pyHanko), with this certificate
    (B-B without ``tsa``)."""
    signer = signers.SimpleSigner(
        signing_cert=asn1(cert), signing_key=asn1_key(key),
        cert_registry=SimpleCertificateStore.from_certs(
            [asn1(pem_cert(dev_pki, "interm")), asn1(pem_cert(dev_pki, "root"))]))
    out = io.BytesIO()
    signers.PdfSigner(signers.PdfSignatureMetadata(
        field_name="Signature1", subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256"),
        signer, timestamper=tsa).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(make_pdf(1))),
                                          output=out)
    return out.getvalue()


def archive_outside(dev_pki, data: bytes, crls, tsa: timestamps.TimeStamper | None = None,
                     ocsps=()) -> bytes:
    """The DSS (chains, these CRLs and OCSP responses) and a document timestamp from the test TSA (``tsa``,
    or the one on 127.0.0.1:9180 now): what an archive would hold, made without signsvc."""
    reader = PdfFileReader(io.BytesIO(data))
    contents = reader.embedded_regular_signatures[0].pkcs7_content
    out = io.BytesIO(data)
    DocumentSecurityStore.add_dss(
        out, contents, certs=[asn1(pem_cert(dev_pki, n)) for n in ("interm", "root", "tsa")],
        crls=list(crls), ocsps=list(ocsps))
    stamped = io.BytesIO()
    signers.PdfTimeStamper(tsa or timestamps.HTTPTimeStamper(TSA_URL)).timestamp_pdf(
        IncrementalPdfFileWriter(io.BytesIO(out.getvalue())), "sha256", output=stamped)
    return stamped.getvalue()


def short_lived_signer(dev_pki, not_before: datetime, not_after: datetime) -> cx.Certificate:
    """An official's certificate from the test issuing CA that has expired by now."""
    interm, key = pem_cert(dev_pki, "interm"), key_of(dev_pki, "interm")
    subject_key = key_of(dev_pki, "dev-software")
    return (cx.CertificateBuilder()
            .subject_name(cx.Name([cx.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                                   cx.NameAttribute(NameOID.ORGANIZATION_NAME, "signsvc TEST ONLY"),
                                   cx.NameAttribute(NameOID.COMMON_NAME,
                                                    "Người ký đã hết hạn (TEST ONLY)")]))
            .issuer_name(interm.subject).public_key(subject_key.public_key())
            .serial_number(cx.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(cx.KeyUsage(True, True, False, False, False, False, False, False, False),
                           critical=True)
            .add_extension(cx.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256()))


def tsa_at(dev_pki, moment: datetime) -> timestamps.TimeStamper:
    """The test TSA (its certificate and key) answering at ``moment``."""
    return timestamps.DummyTimeStamper(
        tsa_cert=asn1(pem_cert(dev_pki, "tsa")), tsa_key=asn1_key(key_of(dev_pki, "tsa")),
        fixed_dt=moment)
