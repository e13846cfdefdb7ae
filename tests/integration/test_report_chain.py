"""Each signature's chain and its timestamp's chain in the report (issue 5: the auditor
sees "its chain, its timestamp"): JSON, the HTML page, the auditor's page and the signed
PDF report.

The dev PKI's signers chain signer -> "signsvc TEST ONLY Issuing CA" -> "signsvc TEST ONLY
Root CA" (the anchor); its TSA chains straight to the root. A signer under a root made
here (``wild_pki``) is not trusted: the report lists what can be built and says that the
path ends without an anchor.
"""

from __future__ import annotations

import re
from datetime import timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from test_reports import check_filed_report, pdftotext
from test_reports_pages import PASSWORD, logged_in, upload
from test_validation_fixtures import (  # noqa: F401  (fixtures)
    file_signer,
    http_tsa,
    sign,
    trust,
    validator,
)

from signsvc.services.context import RequestContext
from tests.support import wild_pdfs as W
from tests.support.pdfs import make_pdf
from tests.support.tools import pdfsig
from tests.support.wild_pki import WildPki

PDF = make_pdf(text="Giay phep xay dung so 7")
HDR = {"Content-Type": "application/pdf"}
DOC_SIGNER = "Khóa phần mềm phát triển (TEST ONLY)"
INTERM = "signsvc TEST ONLY Issuing CA"
ROOT = "signsvc TEST ONLY Root CA"
TSA = "signsvc TEST ONLY Time Stamping Authority"
NO_ANCHOR_VI = "Chuỗi dừng ở đây: không tới được chứng thư gốc tin cậy nào."
NO_ANCHOR_EN = "The path ends here without reaching a trust anchor."
VN = timezone(timedelta(hours=7))


def expected(path) -> dict:
    """What the report must say about the certificate in ``path`` (PEM)."""
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    return {"subject": cert.subject.rfc4514_string(), "issuer": cert.issuer.rfc4514_string(),
            "serial": format(cert.serial_number, "x"), "sha256": cert.fingerprint(hashes.SHA256()).hex(),
            "not_before": cert.not_valid_before_utc.astimezone(VN).isoformat(timespec="seconds"),
            "not_after": cert.not_valid_after_utc.astimezone(VN).isoformat(timespec="seconds")}


def strip(entry: dict) -> dict:
    return {k: entry[k] for k in ("subject", "issuer", "serial", "sha256", "not_before", "not_after")}


def _verify(api, data, accept=None, **query):
    headers = api.headers("auditor", **HDR)
    if accept:
        headers["Accept"] = accept
    resp = api.client.post("/v1/verify", data=data, headers=headers, query_string=query)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp


@pytest.fixture(scope="module")
def signed_lta(api):
    """dev-software at B-LTA: a signature timestamp and a document timestamp."""
    resp = api.client.post("/v1/sign", query_string={"key": "dev-software", "level": "B-LTA"}, data=PDF,
                           headers=api.headers("portal", **HDR))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.data


@pytest.fixture(scope="module")
def wild():
    pki = WildPki().start()
    yield pki
    pki.stop()


@pytest.fixture(scope="module")
def untrusted(wild):
    """Signed under the wild root (not trusted by the service), the root in the CMS."""
    return W.sign(PDF, wild.signers["p256"].pyhanko(chain=(wild.root,)))


def test_dev_signer_chain_and_tsa_chains_in_the_json(api, dev_pki, signed_lta):
    body = _verify(api, signed_lta).get_json()
    assert body["verdict"] == "valid"
    (sig,) = body["signatures"]
    chain = sig["chain"]
    assert [strip(c) for c in chain] == [expected(dev_pki.cert(n)) for n in ("dev-software", "interm", "root")]
    assert [c["common_name"] for c in chain] == [DOC_SIGNER, INTERM, ROOT]
    assert [c["is_trust_anchor"] for c in chain] == [False, False, True]
    assert sig["chain_ends_at_anchor"] is True and sig["trusted"] is True
    # OCSP for the signer, the root's CRL for the issuing CA; an anchor is trusted as such
    assert [c["revocation"] for c in chain] == ["good", "good", "not_checked"]
    assert chain[0]["serial"] == sig["signer"]["serial"] and chain[0]["sha256"] == sig["signer"]["certificate_sha256"]
    # the signature timestamp's TSA, and the document timestamp's
    tsa_chain = sig["timestamp"]["chain"]
    assert [strip(c) for c in tsa_chain] == [expected(dev_pki.cert(n)) for n in ("tsa", "root")]
    assert [c["is_trust_anchor"] for c in tsa_chain] == [False, True]
    assert sig["timestamp"]["chain_ends_at_anchor"] is True
    (doc_ts,) = body["document_timestamps"]
    assert [c["common_name"] for c in doc_ts["chain"]] == [TSA, ROOT]
    assert doc_ts["chain"][0]["revocation"] == "good" and doc_ts["chain_ends_at_anchor"] is True


def test_revoked_signer_is_marked_in_its_chain(validator, dev_pki, responders):
    report = validator.validate(sign(PDF, file_signer(dev_pki, "revoked-signer"), timestamper=http_tsa()))
    (sig,) = report.signatures
    assert sig.revocation == "revoked" and not sig.trusted
    assert [(c.common_name, c.is_trust_anchor, c.revocation) for c in sig.chain][1:] == [
        (INTERM, False, "good"), (ROOT, True, "not_checked")]
    assert sig.chain[0].revocation == "revoked"
    assert sig.chain[0].serial == expected(dev_pki.cert("revoked-signer"))["serial"]


def test_untrusted_signature_shows_the_partial_chain(api, wild, untrusted, dev_pki, tmp_path):
    body = _verify(api, untrusted).get_json()
    (sig,) = body["signatures"]
    assert body["verdict"] == "indeterminate" and sig["trusted"] is False
    assert sig["sub_indication"] == "NO_CERTIFICATE_CHAIN_FOUND"
    assert [c["common_name"] for c in sig["chain"]] == [wild.signers["p256"].common_name, "Wild Root CA (TEST ONLY)"]
    assert sig["chain"][1]["serial"] == format(wild.root.serial_number, "x")
    assert not any(c["is_trust_anchor"] for c in sig["chain"])
    assert sig["chain_ends_at_anchor"] is False
    assert {c["revocation"] for c in sig["chain"]} == {"not_checked"}  # no path, nothing checked
    # without the root in the CMS, the signer's certificate alone
    alone = _verify(api, W.sign(PDF, wild.signers["p256"].pyhanko())).get_json()["signatures"][0]
    assert [c["common_name"] for c in alone["chain"]] == [wild.signers["p256"].common_name]
    assert alone["chain_ends_at_anchor"] is False
    # the HTML page says where the path ends
    html = _verify(api, untrusted, "text/html").get_data(as_text=True)
    assert names_in_list(html, "chain-1") == [wild.signers["p256"].common_name, "Wild Root CA (TEST ONLY)"]
    assert NO_ANCHOR_VI in html and "anchor-mark" not in html
    assert NO_ANCHOR_EN in _verify(api, untrusted, "text/html", lang="en").get_data(as_text=True)
    # so does the PDF report
    text = pdftotext(_verify(api, untrusted, "application/pdf").data, tmp_path)
    assert "2. Wild Root CA (TEST ONLY)" in text
    assert NO_ANCHOR_VI in text and NO_ANCHOR_EN in text
    # second opinion: poppler finds the signature valid and its certificate not trusted
    path = tmp_path / "untrusted.pdf"
    path.write_bytes(untrusted)
    (ps,) = pdfsig(path, dev_pki.nssdb)
    assert ps.signature_valid and not ps.certificate_trusted


def names_in_list(html: str, list_id: str) -> list[str]:
    """The names (bold) of the certificates in the chain list ``list_id`` of a page."""
    block = re.search(rf'<ol class="chain-list" id="{list_id}">(.*?)</ol>', html, re.S).group(1)
    return re.findall(r'<li class="chain-cert[^"]*"><strong>([^<]+)</strong>', block)


def anchors_in_list(html: str, list_id: str) -> list[bool]:
    block = re.search(rf'<ol class="chain-list" id="{list_id}">(.*?)</ol>', html, re.S).group(1)
    return [" anchor" in cls for cls in re.findall(r'<li class="(chain-cert[^"]*)">', block)]


def test_html_page_lists_the_chains(api, signed_lta):
    html = _verify(api, signed_lta, "text/html").get_data(as_text=True)
    assert names_in_list(html, "chain-1") == [DOC_SIGNER, INTERM, ROOT]
    assert anchors_in_list(html, "chain-1") == [False, False, True]
    assert names_in_list(html, "tsa-chain-1") == [TSA, ROOT]
    assert names_in_list(html, "doc-ts-chain-1") == [TSA, ROOT]
    assert NO_ANCHOR_VI not in html
    assert "— chứng thư gốc tin cậy</span>" in html
    assert "không kiểm tra (chứng thư gốc được tin cậy trực tiếp)" in html
    english = _verify(api, signed_lta, "text/html", lang="en").get_data(as_text=True)
    assert "— trust anchor</span>" in english and "Certificate chain of the timestamping authority" in english


def test_auditor_page_lists_the_chain(api, signed_lta):
    setup = RequestContext("report-chain", "tests", "admin")
    api.services.clients.create("kt-chuoi", "auditor", (), setup)
    api.services.login.set_password(setup, "kt-chuoi", PASSWORD)
    browser, _ = logged_in(api, "kt-chuoi")
    resp = upload(browser, signed_lta)
    assert resp.status_code == 303
    html = browser.get(resp.headers["Location"]).get_data(as_text=True)
    assert names_in_list(html, "chain-1") == [DOC_SIGNER, INTERM, ROOT]
    assert anchors_in_list(html, "chain-1") == [False, False, True]
    assert names_in_list(html, "tsa-chain-1") == [TSA, ROOT]


def test_pdf_report_lists_the_chains(api, dev_pki, signed_lta, tmp_path):
    resp = _verify(api, signed_lta, "application/pdf")
    check_filed_report(api, resp.data, signed_lta, tmp_path, verdict_vi="Hợp lệ, văn bản còn nguyên vẹn",
                       verdict_en="Valid, the document is intact", signer=DOC_SIGNER)
    text = pdftotext(resp.data, tmp_path)
    vi, en = text[:text.index("VERIFICATION REPORT")], text[text.index("VERIFICATION REPORT"):]
    for part, mark, serial in ((vi, "chứng thư gốc tin cậy", "Số hiệu chứng thư"),
                               (en, "trust anchor", "Certificate serial")):
        assert f"1. {DOC_SIGNER}" in part and f"2. {INTERM}" in part and f"3. {ROOT} — [{mark}]" in part
        assert part.index(f"1. {DOC_SIGNER}") < part.index(f"2. {INTERM}") < part.index(f"3. {ROOT}")
        assert f"1. {TSA}" in part and f"2. {ROOT} — [{mark}]" in part
        for name in ("dev-software", "interm", "root", "tsa"):
            assert f"{serial}: {expected(dev_pki.cert(name))['serial']}" in part, name
    assert "Chuỗi chứng thư của đơn vị cấp dấu thời gian" in " ".join(vi.split())  # a label may wrap
    assert "Tình trạng thu hồi: không kiểm tra (chứng thư gốc được tin cậy trực tiếp)" in " ".join(vi.split())
    assert NO_ANCHOR_VI not in text
