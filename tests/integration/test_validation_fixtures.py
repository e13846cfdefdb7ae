"""Shared material for the validation tests (no tests here): validators over the dev
PKI, signing with pyHanko directly, and extra certificates issued by the dev issuing CA
(ECDSA, expired, RSA-1024, unreachable OCSP) or self-signed, made on the fly.

The test modules import what they need from here (pytest puts this folder on sys.path).
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers, timestamps
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signsvc.validation import PdfValidator, load_trust_anchors

INTERM_CRL_URL = "http://127.0.0.1:9180/signsvc-dev/crls/interm/latest.crl"
TSA_URL = "http://127.0.0.1:9180/signsvc-dev/tsa/tsa"
DEAD_OCSP_URL = "http://127.0.0.1:9/ocsp"  # nothing listens on the discard port
NOW = datetime.now(UTC)


# --- validators ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def trust(dev_pki):
    return load_trust_anchors("signsvc-dev (TEST ONLY)", [dev_pki.cert("root")],
                              [dev_pki.cert("interm")], allow_sha1_roots=False)


@pytest.fixture(scope="session")
def validator(trust, responders):
    """Online, soft-fail: the development configuration."""
    return PdfValidator(trust, policy_sha256="ab" * 32, allow_fetching=True, revocation_mode="soft-fail")


@pytest.fixture(scope="session")
def hard_validator(trust, responders):
    return PdfValidator(trust, policy_sha256="ab" * 32, allow_fetching=True, revocation_mode="hard-fail")


@pytest.fixture(scope="session")
def offline_validator(trust):
    return PdfValidator(trust, policy_sha256="ab" * 32, allow_fetching=False, revocation_mode="soft-fail")


# --- signing with pyHanko directly ------------------------------------------------------------

def file_signer(dev_pki, label: str) -> signers.SimpleSigner:
    return signers.SimpleSigner.load(str(dev_pki.keys / f"{label}.key.pem"), str(dev_pki.cert(label)),
                                     ca_chain_files=(str(dev_pki.cert("interm")),))


def signer_from(key, cert: x509.Certificate, chain=()) -> signers.SimpleSigner:
    """A pyHanko signer over a cryptography key and certificate."""
    key_der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    to_asn1 = lambda c: asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))  # noqa: E731
    return signers.SimpleSigner(
        signing_cert=to_asn1(cert), signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs([to_asn1(c) for c in chain]))


def sign(data: bytes, signer: signers.Signer, field: str = "Sig1", timestamper=None, **meta) -> bytes:
    """``data`` signed in an incremental update (B-B, or B-T with ``timestamper``)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    meta.setdefault("field_name", field)
    return signers.sign_pdf(writer, signers.PdfSignatureMetadata(**meta), signer=signer,
                            timestamper=timestamper).getvalue()


def http_tsa() -> timestamps.HTTPTimeStamper:
    return timestamps.HTTPTimeStamper(TSA_URL)


def fixed_time_tsa(dev_pki, when: datetime) -> timestamps.DummyTimeStamper:
    """The dev TSA's own key answering with a chosen time (to prove signing before an event)."""
    return timestamps.DummyTimeStamper(
        tsa_cert=load_cert_from_pemder(str(dev_pki.cert("tsa"))),
        tsa_key=load_private_key_from_pemder(str(dev_pki.keys / "tsa.key.pem"), None),
        certs_to_embed=[load_cert_from_pemder(str(dev_pki.cert("root")))],
        fixed_dt=when)


def lt_context(dev_pki) -> ValidationContext:
    """What pyHanko needs to embed validation data (B-LT/B-LTA) at signing time."""
    return ValidationContext(trust_roots=[load_cert_from_pemder(str(dev_pki.cert("root")))],
                             other_certs=[load_cert_from_pemder(str(dev_pki.cert("interm")))],
                             allow_fetching=True)


# --- certificates made on the fly ----------------------------------------------------------

def _load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _load_key(path: Path):
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def new_key(kind: str = "rsa", bits: int = 2048):
    return ec.generate_private_key(ec.SECP256R1()) if kind == "ec" else \
        rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "signsvc validation tests (TEST ONLY)"),
                      x509.NameAttribute(NameOID.USER_ID, "CCCD:001099000123"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _signer_extensions(builder: x509.CertificateBuilder) -> x509.CertificateBuilder:
    return builder.add_extension(x509.KeyUsage(
        digital_signature=True, content_commitment=True, key_encipherment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False,
        decipher_only=False), critical=True)


def issue(dev_pki, cn: str, key, *, not_before: datetime | None = None, not_after: datetime | None = None,
          crl_url: str | None = INTERM_CRL_URL, ocsp_url: str | None = None,
          digest=hashes.SHA256()) -> x509.Certificate:
    """A signer certificate issued by the dev issuing CA (whose key is a file key)."""
    issuer = _load_cert(dev_pki.cert("interm"))
    builder = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(issuer.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before or NOW - timedelta(days=1))
               .not_valid_after(not_after or NOW + timedelta(days=365))
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()),
                              critical=False))
    builder = _signer_extensions(builder)
    if crl_url:
        builder = builder.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier(crl_url)], None, None, None)]), critical=False)
    if ocsp_url:
        builder = builder.add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
            x509.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url))]),
            critical=False)
    return builder.sign(_load_key(dev_pki.keys / "interm.key.pem"), digest)


def self_signed(cn: str, key, *, ca: bool = True, digest=hashes.SHA256(), signer_usage: bool = True,
                eku_tsa: bool = False) -> x509.Certificate:
    """A self-signed certificate (a root when ``ca``)."""
    builder = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=3650))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if signer_usage:
        builder = _signer_extensions(builder)
    if eku_tsa:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return builder.sign(key, digest)


def write_pem(path: Path, *certs: x509.Certificate) -> Path:
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))
    return path


# --- tampering with real files -------------------------------------------------------------

def contents_span(data: bytes, occurrence: int = -1) -> tuple[int, int]:
    """Start and end (exclusive) of the hex digits of a signature's /Contents."""
    ranges = [m for m in re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data)]
    _, len1, start2, _ = (int(g) for g in ranges[occurrence].groups())
    return len1 + 1, start2 - 1  # skip the '<' and '>'


def replace_contents(data: bytes, new_der: bytes, occurrence: int = -1) -> bytes:
    """``data`` with a signature's CMS replaced by ``new_der`` (zero-padded to the same size)."""
    start, end = contents_span(data, occurrence)
    hexed = new_der.hex().encode()
    assert len(hexed) <= end - start, "replacement CMS too large"
    return data[:start] + hexed.ljust(end - start, b"0") + data[end:]


def read_contents(data: bytes, occurrence: int = -1) -> bytes:
    start, end = contents_span(data, occurrence)
    return bytes.fromhex(data[start:end].decode())


def add_text_annotation(data: bytes, page_index: int = 0) -> bytes:
    """An incremental update adding a sticky note to a page (keeping its other annotations)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    page_ref = writer.root["/Pages"]["/Kids"][page_index]
    page = page_ref.get_object()
    annot = writer.add_object(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Annot"),
        generic.NameObject("/Subtype"): generic.NameObject("/Text"),
        generic.NameObject("/Rect"): generic.ArrayObject([generic.NumberObject(n) for n in (50, 50, 70, 70)]),
        generic.NameObject("/Contents"): generic.TextStringObject("Đã xem"),
        generic.NameObject("/P"): page_ref,
    }))
    page[generic.NameObject("/Annots")] = generic.ArrayObject([*page.get("/Annots", []), annot])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def replace_page_content(data: bytes, text: bytes = b"BT /F1 18 Tf 72 770 Td (FORGED) Tj ET") -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page[generic.NameObject("/Contents")] = writer.add_object(generic.StreamObject(stream_data=text))
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def add_page(data: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    writer.insert_page(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Page"),
        generic.NameObject("/MediaBox"): generic.ArrayObject([generic.NumberObject(n) for n in (0, 0, 595, 842)]),
    }))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def only(report):
    """The single signature of a report."""
    (sig,) = report.signatures
    return sig
