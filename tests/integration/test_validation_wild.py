"""Signatures made by other software, judged by signsvc's validator (issue 5).

Each file is built here: a test PKI made on the fly (``wild_pki``: RSA, P-256, P-384,
brainpoolP256r1, Ed25519, Ed448 signers under one root, CRL served on 127.0.0.1) and
pyHanko or hand-made signatures (``wild_pdfs``). What signsvc can check must pass or fail
for the right reason; what it cannot check must be INDETERMINATE with the precise reason,
never "tampered" and never a crash.
"""

from __future__ import annotations

import pytest
from asn1crypto import cms
from pyhanko.sign import timestamps

from signsvc.validation import PdfValidator, load_trust_anchors
from tests.support import wild_pdfs as W
from tests.support.pdfs import make_pdf
from tests.support.tools import pdfsig
from tests.support.wild_pki import WildPki

PDF = make_pdf(1, text="Ho so dich vu cong tu phan mem khac")
TSA_URL = "http://127.0.0.1:9180/signsvc-dev/tsa/tsa"
PASSED_VI = "Chữ ký hợp lệ, tài liệu còn nguyên vẹn."


@pytest.fixture(scope="module")
def pki():
    p = WildPki().start()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def wild_validator(pki, dev_pki, responders, tmp_path_factory):
    """Online, soft-fail, trusting the wild root and the dev root (whose TSA timestamps)."""
    root = pki.write_root(tmp_path_factory.mktemp("wild") / "wild-root.pem")
    trust = load_trust_anchors("wild (TEST ONLY)", [root, dev_pki.cert("root")], [dev_pki.cert("interm")],
                               allow_sha1_roots=False)
    return PdfValidator(trust, policy_sha256="cd" * 32, allow_fetching=True, revocation_mode="soft-fail")


def tsa():
    return timestamps.HTTPTimeStamper(TSA_URL)


def only(report):
    (sig,) = report.signatures
    return sig


def assert_passed(report, *, digest: str, signature: str, padding: str | None, key_size: int):
    sig = only(report)
    assert report.verdict == "valid"
    assert (sig.intact, sig.valid, sig.trusted, sig.revocation) == (True, True, True, "good")
    assert (sig.indication, sig.sub_indication) == ("TOTAL-PASSED", None)
    assert sig.messages.vi[0] == PASSED_VI
    assert (sig.algorithm.digest, sig.algorithm.signature, sig.algorithm.padding) == (digest, signature, padding)
    assert sig.signer.key_size == key_size
    assert "WeakAlgorithm" not in sig.flags


def assert_cannot_check(report, vi_part: str, en_part: str, *, intact: bool = True):
    """INDETERMINATE with the reason first, content not called altered."""
    sig = only(report)
    assert report.verdict == "indeterminate"
    assert (sig.indication, sig.sub_indication) == ("INDETERMINATE", "CRYPTO_CONSTRAINTS_FAILURE")
    assert sig.intact is intact and not sig.valid
    assert vi_part in sig.messages.vi[0] and en_part in sig.messages.en[0]
    assert not any(m.startswith("Nội dung đã ký bị thay đổi") for m in sig.messages.vi)
    assert sig.sub_indication != "HASH_FAILURE"


# --- algorithms signsvc checks ---------------------------------------------------------

@pytest.mark.parametrize("kind,md,digest,signature,padding,bits", [
    ("rsa", "sha256", "sha256", "rsassa_pss", "PSS", 2048),
    ("rsa", "sha3_256", "sha3_256", "rsassa_pss", "PSS", 2048),
    ("p384", "sha384", "sha384", "sha384_ecdsa", None, 384),
    ("brainpool", "sha256", "sha256", "sha256_ecdsa", None, 256),
    ("p256", "sha3_512", "sha3_512", "sha3_512_ecdsa", None, 256),
    ("ed25519", None, "sha512", "ed25519", None, 256),
    ("ed448", None, "shake256_len", "ed448", None, 456),
])
def test_modern_algorithms_pass(wild_validator, pki, kind, md, digest, signature, padding, bits):
    signer = pki.signers[kind].pyhanko(prefer_pss=kind == "rsa")
    data = W.sign(PDF, signer, **({"md_algorithm": md} if md else {}))
    assert_passed(wild_validator.validate(data), digest=digest, signature=signature, padding=padding, key_size=bits)
    # and the same file altered after signing is tampered, for every algorithm
    tampered = wild_validator.validate(W.modify_page_text(data, b"page 1", b"PAGE 1"))
    assert (only(tampered).indication, only(tampered).sub_indication) == ("TOTAL-FAILED", "HASH_FAILURE")
    assert tampered.verdict == "invalid"


def test_p521_passes_and_pdfsig_agrees(wild_validator, pki, tmp_path):
    """ECDSA on P-521 with SHA-512 (the key is 521 bits, not the 528 asn1crypto rounds to)."""
    data = W.sign(PDF, pki.issue("p521").pyhanko(), md_algorithm="sha512")
    assert_passed(wild_validator.validate(data), digest="sha512", signature="sha512_ecdsa", padding=None,
                  key_size=521)
    tampered = only(wild_validator.validate(W.modify_page_text(data, b"page 1", b"PAGE 1")))
    assert (tampered.indication, tampered.sub_indication) == ("TOTAL-FAILED", "HASH_FAILURE")
    path = tmp_path / "p521.pdf"
    path.write_bytes(data)
    (ps,) = pdfsig(path, pki.nssdb(tmp_path / "nss"))
    assert ps.signature_valid and ps.certificate_trusted, ps.raw


def test_ed25519_no_longer_crashes_the_report(wild_validator, pki):
    """asn1crypto cannot size EdDSA keys; the report used to fail with UnboundLocalError."""
    body = wild_validator.validate(W.sign(PDF, pki.signers["ed25519"].pyhanko())).as_dict()
    assert body["signatures"][0]["signer"]["key_algorithm"] == "ed25519"
    assert body["signatures"][0]["key_size"] == 256


def test_rsa_pkcs1_with_sha3_under_rsa_encryption_passes(wild_validator, pki):
    from asn1crypto import algos
    from pyhanko.sign import signers

    base = pki.signers["rsa"].pyhanko()
    signer = signers.SimpleSigner(signing_cert=base.signing_cert, signing_key=base.signing_key,
                                  cert_registry=base.cert_registry,
                                  signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15"}))
    report = wild_validator.validate(W.sign(PDF, signer, md_algorithm="sha3_256"))
    assert_passed(report, digest="sha3_256", signature="rsassa_pkcs1v15", padding="PKCS#1 v1.5", key_size=2048)


# --- RSA-PSS: consistent parameters only ------------------------------------------------

@pytest.fixture(scope="module")
def pss_signed(pki):
    return W.sign(PDF, pki.signers["rsa"].pyhanko(prefer_pss=True))


def test_pss_salt_zero_is_consistent_and_passes(wild_validator, pki, pss_signed):
    data = W.resign_pss(pss_signed, pki.signers["rsa"], declared=W.pss_params("sha256", salt=0),
                        used_hash="sha256", used_salt=0)
    assert_passed(wild_validator.validate(data), digest="sha256", signature="rsassa_pss", padding="PSS",
                  key_size=2048)


@pytest.mark.parametrize("declared,used,vi_part,en_part", [
    (("sha512", {}), ("sha512", None), "thuật toán băm của PSS (SHA-512) khác thuật toán băm của chữ ký (SHA-256)",
     "the PSS hash (SHA-512) differs from the signature's digest algorithm (SHA-256)"),
    (("sha256", {"mgf_hash": "sha1"}), ("sha256", "sha1"), "hàm MGF1 dùng SHA-1 thay vì SHA-256",
     "MGF1 uses SHA-1 instead of SHA-256"),
    (("sha256", {"trailer": 2}), ("sha256", None), "trường kết thúc (trailer field) là 2, phải là 1",
     "the trailer field is 2, it must be 1"),
    (("sha256", {"salt": 400}), ("sha256", None), "độ dài salt 400 byte không thể dùng với khóa RSA 2048 bit",
     "a salt of 400 bytes is impossible with a 2048-bit RSA key"),
])
def test_inconsistent_pss_parameters_are_indeterminate_with_the_reason(
        wild_validator, pki, pss_signed, declared, used, vi_part, en_part):
    """Each of these verifies cryptographically with the parameters it declares (pyHanko
    would pass the MGF1 and trailer ones); signsvc refuses to conclude and says why."""
    data = W.resign_pss(pss_signed, pki.signers["rsa"], declared=W.pss_params(declared[0], **declared[1]),
                        used_hash=used[0], used_mgf_hash=used[1])
    report = wild_validator.validate(data)
    assert_cannot_check(report, "Tham số RSA-PSS không nhất quán: " + vi_part,
                        "Inconsistent RSA-PSS parameters: " + en_part)
    assert only(report).signer.common_name == pki.signers["rsa"].common_name


def test_pss_value_made_with_another_salt_than_declared_is_not_called_forged(wild_validator, pki, pss_signed):
    data = W.resign_pss(pss_signed, pki.signers["rsa"], declared=W.pss_params("sha256", salt=32),
                        used_hash="sha256", used_salt=20)
    assert_cannot_check(wild_validator.validate(data), "khai báo salt 32 byte nhưng được tạo với salt 20 byte",
                        "declares a salt of 32 bytes but was made with 20 bytes")


def test_pss_value_that_verifies_under_no_salt_is_a_crypto_failure(wild_validator, pss_signed):
    info = cms.ContentInfo.load(W.read_contents(pss_signed))
    signer_info = info["content"]["signer_infos"][0]
    value = bytearray(signer_info["signature"].native)
    value[7] ^= 0x40
    signer_info["signature"] = bytes(value)
    report = wild_validator.validate(W.replace_contents(pss_signed, info.dump(force=True)))
    sig = only(report)
    assert sig.intact and not sig.valid
    assert (sig.indication, sig.sub_indication) == ("TOTAL-FAILED", "SIG_CRYPTO_FAILURE")
    assert report.verdict == "invalid"


def test_unsupported_gost_signature_is_named_and_content_still_checked(wild_validator, pki, pss_signed):
    info = cms.ContentInfo.load(W.read_contents(pss_signed))
    info["content"]["signer_infos"][0]["signature_algorithm"] = {"algorithm": "1.2.643.7.1.1.3.2"}
    data = W.replace_contents(pss_signed, info.dump(force=True))
    assert_cannot_check(wild_validator.validate(data),
                        "Thuật toán GOST R 34.10-2012 256 bit (1.2.643.7.1.1.3.2) không được hỗ trợ",
                        "The algorithm GOST R 34.10-2012 256 bit (1.2.643.7.1.1.3.2) is not supported")
    # the same unsupported signature over altered content: that is a digest mismatch
    report = wild_validator.validate(W.modify_page_text(data, b"page 1", b"PAGE 1"))
    assert (only(report).indication, only(report).sub_indication) == ("TOTAL-FAILED", "HASH_FAILURE")


# --- SHA-1: weak algorithm (VAL-5), legacy subfilters -------------------------------------

def _assert_sha1_weak(report, legacy: str | None):
    sig = only(report)
    assert report.verdict == "indeterminate"
    assert (sig.intact, sig.valid) == (True, True)
    assert (sig.indication, sig.sub_indication) == ("INDETERMINATE", "CRYPTO_CONSTRAINTS_FAILURE")
    assert "WeakAlgorithm" in sig.flags and sig.algorithm.digest == "sha1"
    assert "Thuật toán băm SHA-1 không đáp ứng tiêu chuẩn hiện hành." in sig.messages.vi
    assert "The digest algorithm SHA-1 does not meet current standards." in sig.messages.en
    if legacy:
        assert f"Chữ ký dùng định dạng cũ {legacy}." in sig.messages.vi
        assert sig.level == "none" and sig.coverage == "entire_file"


def test_sha1_detached_is_intact_but_weak(wild_validator, pki):
    _assert_sha1_weak(wild_validator.validate(W.sign(PDF, pki.signers["rsa"].pyhanko(), md_algorithm="sha1")),
                      None)


@pytest.mark.parametrize("make,legacy", [(W.pkcs7_sha1, "adbe.pkcs7.sha1"),
                                         (W.x509_rsa_sha1, "adbe.x509.rsa_sha1")])
def test_legacy_subfilter_is_verified_then_weak(wild_validator, pki, make, legacy):
    data = make(PDF, pki.signers["rsa"])
    report = wild_validator.validate(data)
    _assert_sha1_weak(report, legacy)
    assert only(report).signer.common_name == pki.signers["rsa"].common_name
    tampered = wild_validator.validate(W.modify_page_text(data, b"page 1", b"PAGE 1"))
    sig = only(tampered)
    assert (sig.indication, sig.sub_indication, sig.intact) == ("TOTAL-FAILED", "HASH_FAILURE", False)
    assert tampered.verdict == "invalid"


def test_x509_rsa_sha1_with_a_broken_value_is_a_crypto_failure(wild_validator, pki):
    report = wild_validator.validate(W.x509_rsa_sha1(PDF, pki.signers["rsa"], corrupt_value=True))
    sig = only(report)
    assert (sig.indication, sig.sub_indication) == ("TOTAL-FAILED", "SIG_CRYPTO_FAILURE")
    assert sig.messages.vi[0] == "Giá trị chữ ký không đúng về mặt mật mã."


def test_x509_rsa_sha1_with_an_ecdsa_certificate_is_unsupported(wild_validator, pki):
    report = wild_validator.validate(W.x509_rsa_sha1(PDF, pki.signers["p256"]))
    assert_cannot_check(report, "Thuật toán adbe.x509.rsa_sha1 / ec không được hỗ trợ",
                        "The algorithm adbe.x509.rsa_sha1 / ec is not supported", intact=False)


def test_legacy_signature_then_a_modern_one(wild_validator, pki):
    both = W.sign(W.x509_rsa_sha1(PDF, pki.signers["rsa"]), pki.signers["p384"].pyhanko(), field="Sig2",
                  md_algorithm="sha384")
    report = wild_validator.validate(both)
    first, second = report.signatures
    assert first.indication == "INDETERMINATE" and first.modifications == "form_filling"
    assert second.indication == "TOTAL-PASSED" and second.algorithm.signature == "sha384_ecdsa"
    assert report.verdict == "indeterminate"


# --- several signatures and document timestamps ------------------------------------------

def test_several_signatures_and_document_timestamps(wild_validator, pki):
    data = W.sign(PDF, pki.signers["p384"].pyhanko(), field="A", md_algorithm="sha384", timestamper=tsa())
    data = W.sign(data, pki.signers["ed25519"].pyhanko(), field="B")
    data = W.doc_timestamp(data, tsa(), field="DocTS1")
    data = W.sign(data, pki.signers["brainpool"].pyhanko(), field="C", md_algorithm="sha3_256")
    data = W.doc_timestamp(data, tsa(), field="DocTS2")
    report = wild_validator.validate(data)
    assert report.verdict == "valid"
    assert [s.field for s in report.signatures] == ["A", "B", "C"]
    assert all(s.indication == "TOTAL-PASSED" and s.intact and s.valid and s.trusted for s in report.signatures)
    # issue 12: a later document timestamp is the B-T time proof of B and C (EN 319 142-1 6.3)
    assert [s.level for s in report.signatures] == ["B-T", "B-T", "B-T"]
    assert [s.modifications for s in report.signatures] == ["form_filling", "form_filling", "none"]
    assert [t.field for t in report.document_timestamps] == ["DocTS1", "DocTS2"]
    assert all(t.timestamp.valid for t in report.document_timestamps)
    assert report.document_timestamps[-1].coverage == "entire_file"


# --- certification signatures: each DocMDP level ------------------------------------------

@pytest.fixture(scope="module")
def certified(pki):
    return {level: W.certify(PDF, pki.signers["rsa"].pyhanko(prefer_pss=True), level) for level in (1, 2, 3)}


def _after(kind: str, data: bytes, pki) -> bytes:
    if kind == "signature":
        return W.sign_ignoring_docmdp(data, pki.signers["p256"].pyhanko())
    if kind == "annotation":
        from test_validation_fixtures import add_text_annotation
        return add_text_annotation(data)
    return W.doc_timestamp(data, tsa())


@pytest.mark.parametrize("level,change,verdict", [
    (1, "signature", "invalid"), (1, "annotation", "invalid"), (1, "doc_timestamp", "valid"),
    (2, "signature", "valid"), (2, "annotation", "invalid"), (2, "doc_timestamp", "valid"),
    (3, "signature", "valid"), (3, "annotation", "valid_modified_after"), (3, "doc_timestamp", "valid"),
])
def test_docmdp_levels_permit_and_forbid(wild_validator, pki, certified, level, change, verdict):
    alone = wild_validator.validate(certified[level])
    assert alone.verdict == "valid" and only(alone).indication == "TOTAL-PASSED"
    report = wild_validator.validate(_after(change, certified[level], pki))
    cert = report.signatures[0]
    assert report.verdict == verdict
    assert cert.intact and cert.valid  # the signature's bytes are fine
    permitted = verdict != "invalid"
    # issue 12: a change the DocMDP level forbids is positive evidence, TOTAL-FAILED with the rule
    assert (cert.indication, cert.sub_indication) == (
        ("TOTAL-PASSED", None) if permitted else ("TOTAL-FAILED", "FORMAT_FAILURE"))
    if not permitted:
        assert f"P={level}" in cert.messages.en[0] or "ISO 32000-2, 12.8" in cert.messages.en[0]
    assert cert.modifications_permitted is permitted
    forbidden = "Các thay đổi sau khi ký không được phép theo chữ ký chứng thực của tài liệu."
    assert (forbidden in cert.messages.vi) is not permitted


@pytest.fixture(scope="module")
def certified_form(pki):
    """A form with an empty text field, certified at each DocMDP level."""
    form = W.with_empty_text_field(PDF)
    return {level: W.certify(form, pki.signers["rsa"].pyhanko(prefer_pss=True), level) for level in (1, 2)}


@pytest.mark.parametrize("level,verdict", [(2, "valid"), (1, "invalid")])
def test_form_filling_after_certification(wild_validator, certified_form, level, verdict):
    """DocMDP 2 permits filling in the form (and nothing else), DocMDP 1 permits no change."""
    assert wild_validator.validate(certified_form[level]).verdict == "valid"
    filled = W.fill_text_field(certified_form[level], "Nguyen Van A")
    report = wild_validator.validate(filled)
    cert = only(report)
    assert report.verdict == verdict
    permitted = verdict == "valid"
    assert cert.intact and cert.valid  # the signature's bytes are fine
    assert (cert.indication, cert.sub_indication) == (  # issue 12: forbidden → TOTAL-FAILED, the rule named
        ("TOTAL-PASSED", None) if permitted else ("TOTAL-FAILED", "FORMAT_FAILURE"))
    if not permitted:
        assert cert.messages.vi[0].startswith("Thay đổi sau khi ký (điền biểu mẫu) vượt quá mức DocMDP P=1")
    assert cert.modifications == "form_filling" and cert.coverage == "entire_revision"
    assert cert.modifications_permitted is permitted
    forbidden = "Các thay đổi sau khi ký không được phép theo chữ ký chứng thực của tài liệu."
    assert (forbidden in cert.messages.vi) is not permitted
    assert "Sau khi ký, tài liệu chỉ được điền biểu mẫu hoặc ký thêm." in cert.messages.vi
    assert report.revisions[-1].added.fields == ("ho_ten",)  # the revision view names the field filled


# --- through the API, and a second opinion from pdfsig -------------------------------------

@pytest.fixture(scope="module")
def wild_api(pki, dev_pki, responders, tmp_path_factory):
    from conftest import build_api

    folder = tmp_path_factory.mktemp("wild-api")
    root = pki.write_root(folder / "wild-root.pem")
    a = build_api(folder, trust__anchors=f'["{root}", "{dev_pki.cert("root")}"]')
    yield a
    a.services.shutdown()


@pytest.mark.parametrize("make,indication,vi_first", [
    (lambda p: W.sign(PDF, p.signers["ed25519"].pyhanko()), "TOTAL-PASSED", PASSED_VI),
    (lambda p: W.x509_rsa_sha1(PDF, p.signers["rsa"]), "INDETERMINATE",
     "Thuật toán hoặc độ dài khóa của chữ ký hay chuỗi chứng thư không được chấp nhận."),
    (lambda p: W.resign_pss(W.sign(PDF, p.signers["rsa"].pyhanko(prefer_pss=True)), p.signers["rsa"],
                            declared=W.pss_params("sha256", mgf_hash="sha1"), used_hash="sha256",
                            used_mgf_hash="sha1"), "INDETERMINATE",
     "Tham số RSA-PSS không nhất quán: hàm MGF1 dùng SHA-1 thay vì SHA-256; không kiểm tra được chữ ký."),
])
def test_verify_endpoint_reports_wild_signatures(wild_api, pki, make, indication, vi_first):
    resp = wild_api.client.post("/v1/verify", data=make(pki), headers=wild_api.headers(
        "auditor", **{"Content-Type": "application/pdf"}))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    (sig,) = resp.get_json()["signatures"]
    assert sig["indication"] == indication and sig["messages"]["vi"][0] == vi_first


def test_pdfsig_agrees_where_it_supports_the_algorithm(pki, tmp_path):
    """poppler 22.12 with NSS verifies RSA-PSS, P-384 and adbe.pkcs7.sha1 (an independent
    check that the hand-made legacy CMS is right); it does not support brainpool, EdDSA,
    SHA-3 or adbe.x509.rsa_sha1 (README, "Signatures from other software")."""
    nssdb = pki.nssdb(tmp_path / "nss")
    for name, data in {
        "pss": W.sign(PDF, pki.signers["rsa"].pyhanko(prefer_pss=True)),
        "p384": W.sign(PDF, pki.signers["p384"].pyhanko(), md_algorithm="sha384"),
        "pkcs7-sha1": W.pkcs7_sha1(PDF, pki.signers["rsa"]),
    }.items():
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(data)
        (ps,) = pdfsig(path, nssdb)
        assert ps.signature_valid and ps.certificate_trusted, ps.raw
