"""Personal identifiers (SEC-5, issue 11 §6): a certificate whose subject carries
serialNumber "CMND:012345678" and UID "MST:0101234567" signs a document; the JSON report, the
HTML page and the signed PDF report show them masked but for the last 4 digits to a portal,
a clerk and an official, in full to an auditor and an admin; the same for the key listing."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from signsvc.services.context import RequestContext
from tests.conftest import build_api
from tests.support.appearance import pdftotext
from tests.support.pdfs import make_pdf
from tests.support.validate import pyhanko_statuses

PDF = {"Content-Type": "application/pdf"}
CMND, MST = "012345678", "0101234567"
MASKED = ("CMND:*****5678", "MST:******4567")
CTX = RequestContext("pii-setup", "tests", "admin")


def _name(cn: str, *extra: x509.NameAttribute) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "UBND Tỉnh Thử Nghiệm (TEST ONLY)"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn), *extra])


@pytest.fixture(scope="module")
def person(tmp_path_factory):
    """A throw-away CA and a personal certificate with CMND and MST in its subject;
    the key and certificate also as a PKCS#12 file (the development passphrase)."""
    d = tmp_path_factory.mktemp("pii")
    now = datetime.now(UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = _name("CA thử nghiệm CMND (TEST ONLY)")
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder()
            .subject_name(_name("Lê Thị Cúc (TEST ONLY)",
                                x509.NameAttribute(NameOID.SERIAL_NUMBER, f"CMND:{CMND}"),
                                x509.NameAttribute(NameOID.USER_ID, f"MST:{MST}")))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False),
                           critical=True)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    (d / "key.pem").write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    (d / "cert.pem").write_bytes(cert.public_bytes(pem))
    (d / "ca.pem").write_bytes(ca.public_bytes(pem))
    passphrase = os.environ["SIGNSVC_DEV_SOFTWARE_PASSPHRASE"].encode()
    (d / "person.p12").write_bytes(pkcs12.serialize_key_and_certificates(
        b"person", key, cert, [ca], serialization.BestAvailableEncryption(passphrase)))
    return d


@pytest.fixture(scope="module")
def signed(person) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = signers.SimpleSigner.load(str(person / "key.pem"), str(person / "cert.pem"),
                                       ca_chain_files=(str(person / "ca.pem"),))
    out = io.BytesIO()
    signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(make_pdf())),
                     signers.PdfSignatureMetadata(field_name="Cuc", subfilter=fields.SigSeedSubFilter.PADES),
                     signer=signer, output=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def papi(dev_pki, responders, person, tmp_path_factory):
    # dev-software: the personal certificate above (a key listing that carries the numbers)
    api = build_api(tmp_path_factory.mktemp("pii-state"), keys__dev_software__pkcs12=str(person / "person.p12"))
    for name, role in (("an", "official"), ("admin-keys", "admin"), ("auditor-keys", "auditor")):
        _, api.tokens[name] = api.services.clients.create(name, role, ("dev-software",), CTX)
    yield api
    api.services.shutdown()


def _verify(api, who: str, data: bytes, accept: str = "application/json"):
    resp = api.client.post("/v1/verify", data=data, headers=api.headers(who, Accept=accept, **PDF))
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return resp


@pytest.mark.parametrize("who", ["portal", "clerk", "an"])
def test_masked_for_roles_that_do_not_need_them(papi, signed, who):
    body = _verify(papi, who, signed).get_data(as_text=True)
    assert CMND not in body and MST not in body
    assert all(m in body for m in MASKED), body[:2000]
    signer = _verify(papi, who, signed).get_json()["signatures"][0]["signer"]
    assert signer["common_name"] == "Lê Thị Cúc (TEST ONLY)"   # the name itself is kept
    assert signer["uid"] == [MASKED[1]]
    page = _verify(papi, who, signed, "text/html").get_data(as_text=True)
    assert CMND not in page and MST not in page and MASKED[0] in page


@pytest.mark.parametrize("who", ["auditor", "admin"])
def test_in_full_for_auditors_and_admins(papi, signed, who):
    signer = _verify(papi, who, signed).get_json()["signatures"][0]["signer"]
    assert signer["uid"] == [f"MST:{MST}"] and f"CMND:{CMND}" in signer["subject"]


def test_the_signed_pdf_report(papi, signed, dev_pki, tmp_path):
    for who, full in (("portal", False), ("auditor", True)):
        report = _verify(papi, who, signed, "application/pdf").data
        statuses = pyhanko_statuses(report, dev_pki.cert("root"), [dev_pki.cert("interm")])
        assert statuses and all(s.intact and s.valid and s.trusted for _, s in statuses)
        text = "".join(pdftotext(report, tmp_path).split())  # (line breaks in long names)
        assert (CMND in text and MST in text) == full, text[:3000]
        if not full:
            assert all(m in text for m in MASKED), text[:3000]


def test_key_listing(papi):
    for who, full in (("portal", False), ("an", False), ("auditor-keys", True), ("admin-keys", True)):
        resp = papi.client.get("/v1/keys", headers=papi.headers(who))
        assert resp.status_code == 200
        (key,) = [k for k in resp.get_json()["keys"] if k["id"] == "dev-software"]
        subject = key["certificate"]["subject"]
        assert (f"CMND:{CMND}" in subject) == full and (MASKED[0] in subject) != full, subject
