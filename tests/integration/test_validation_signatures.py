"""PdfValidator on real signatures made with pyHanko over the dev PKI and responders:
levels, trust, revocation, expiry, algorithms. Signing time is now (late 2026)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import pem, x509
from pyhanko.sign import signers, timestamps
from pyhanko.sign.fields import SigSeedSubFilter
from test_validation_fixtures import (  # noqa: F401  (fixtures)
    DEAD_OCSP_URL,
    file_signer,
    fixed_time_tsa,
    hard_validator,
    http_tsa,
    issue,
    lt_context,
    new_key,
    offline_validator,
    only,
    self_signed,
    sign,
    signer_from,
    trust,
    validator,
)

from signsvc.validation import PdfValidator
from tests.support.pdfs import make_pdf
from tests.support.tools import pdfsig

PDF = make_pdf(2, text="Quyet dinh so 42/QD-UBND")
DEV_CN = "Khóa phần mềm phát triển (TEST ONLY)"


@pytest.fixture(scope="module")
def dev_bb(dev_pki):
    return sign(PDF, file_signer(dev_pki, "dev-software"))


@pytest.fixture(scope="module")
def dev_bt(dev_pki, responders):
    return sign(PDF, file_signer(dev_pki, "dev-software"), timestamper=http_tsa())


def test_valid_bb_is_trusted_passed_with_revocation_good(validator, trust, dev_bb, dev_pki, tmp_path):
    report = validator.validate(dev_bb)
    sig = only(report)
    assert report.verdict == "valid"
    assert report.document.status == "signed" and report.document.revisions == 2
    assert report.document.sha256 == hashlib.sha256(dev_bb).hexdigest()
    assert report.document.size == len(dev_bb)
    assert (sig.intact, sig.valid, sig.trusted) == (True, True, True)
    assert sig.indication == "TOTAL-PASSED" and sig.sub_indication is None
    assert sig.level == "B-B" and sig.timestamp is None and "NotTimestamped" in sig.flags
    assert sig.revocation == "good"
    assert sig.coverage == "entire_file" and sig.modifications == "none"
    assert sig.messages.vi[0] == "Chữ ký hợp lệ, tài liệu còn nguyên vẹn."
    assert sig.messages.en[0] == "The signature is valid and the document is intact."
    assert len(sig.messages.vi) == len(sig.messages.en)

    cert = x509.Certificate.load(pem.unarmor(dev_pki.cert("dev-software").read_bytes())[2])
    assert sig.signer.common_name == DEV_CN
    assert sig.signer.organization == "UBND Tỉnh Thử Nghiệm (TEST ONLY)"
    assert sig.signer.serial == format(cert.serial_number, "x")
    assert sig.signer.certificate_sha256 == cert.sha256.hex()
    assert "signsvc TEST ONLY Issuing CA" in sig.signer.issuer
    assert sig.signer.key_size == 2048 and sig.algorithm.padding == "PKCS#1 v1.5"
    assert abs(sig.signing_time - datetime.now(UTC)) < timedelta(minutes=10)
    assert report.trust_anchors_sha256 == trust.sha256 and report.policy_sha256 == "ab" * 32

    # the second opinion: poppler agrees the file is signed, valid and trusted
    path = tmp_path / "bb.pdf"
    path.write_bytes(dev_bb)
    (ps,) = pdfsig(path, dev_pki.nssdb)
    assert ps.signature_valid and ps.certificate_trusted and ps.common_name == DEV_CN


def test_json_follows_the_api_names_and_vietnam_time(validator, dev_bt):
    body = validator.validate(dev_bt).as_dict()
    json.dumps(body, ensure_ascii=False)  # serialisable as is
    assert {"document", "signatures", "verdict", "policy_sha256", "trust_anchors_sha256"} <= body.keys()
    assert set(body["document"]) == {"sha256", "size", "revisions", "status", "reading", "repair"}
    (sig,) = body["signatures"]
    assert {"field", "signer", "signing_time", "timestamp", "level", "intact", "valid", "trusted",
            "revocation", "coverage", "modifications", "indication", "sub_indication",
            "messages"} <= sig.keys()
    assert {"subject", "common_name", "serial", "issuer", "certificate_sha256"} <= sig["signer"].keys()
    assert {"time", "tsa", "valid"} <= sig["timestamp"].keys()
    assert sig["signing_time"].endswith("+07:00") and sig["timestamp"]["time"].endswith("+07:00")
    assert sig["signer"]["certificate_validity"]["not_after"] == "2030-01-01T07:00:00+07:00"
    int(sig["signer"]["serial"], 16)
    assert body["trust_anchors"]["name"] == "signsvc-dev (TEST ONLY)"


def test_valid_bt_names_the_tsa(validator, dev_bt):
    report = validator.validate(dev_bt)
    sig = only(report)
    assert report.verdict == "valid" and sig.indication == "TOTAL-PASSED"
    assert sig.level == "B-T" and "NotTimestamped" not in sig.flags
    assert sig.timestamp.valid and sig.timestamp.trusted
    assert sig.timestamp.tsa == "signsvc TEST ONLY Time Stamping Authority"
    assert abs(sig.timestamp.time - datetime.now(UTC)) < timedelta(minutes=10)
    assert sig.revocation == "good"


def test_bt_with_an_untrusted_tsa_is_indeterminate(validator, dev_pki):
    key = new_key()
    tsa_cert = self_signed("Rogue TSA (TEST ONLY)", key, ca=False, signer_usage=False, eku_tsa=True)
    rogue = signer_from(key, tsa_cert)
    tsa = timestamps.DummyTimeStamper(tsa_cert=rogue.signing_cert, tsa_key=rogue.signing_key)
    sig = only(validator.validate(sign(PDF, file_signer(dev_pki, "dev-software"), timestamper=tsa)))
    assert sig.trusted and not sig.timestamp.trusted and not sig.timestamp.valid
    assert sig.indication == "INDETERMINATE"
    assert any("chưa tin cậy" in m for m in sig.messages.vi)


def test_blt_validates_offline_from_the_dss(offline_validator, validator, dev_pki, responders):
    data = sign(PDF, file_signer(dev_pki, "dev-software"), timestamper=http_tsa(),
                embed_validation_info=True, validation_context=lt_context(dev_pki),
                subfilter=SigSeedSubFilter.PADES)
    for v in (validator, offline_validator):
        report = v.validate(data)
        sig = only(report)
        assert sig.level == "B-LT"
        assert sig.indication == "TOTAL-PASSED", sig.messages.en
        assert sig.revocation == "good" and report.verdict == "valid"
        assert sig.modifications == "none"  # the DSS update is permitted


def test_blta_has_a_valid_document_timestamp(validator, offline_validator, dev_pki, responders):
    data = sign(PDF, file_signer(dev_pki, "dev-software"), timestamper=http_tsa(),
                embed_validation_info=True, use_pades_lta=True, validation_context=lt_context(dev_pki),
                subfilter=SigSeedSubFilter.PADES)
    report = validator.validate(data)
    sig = only(report)
    assert sig.level == "B-LTA" and sig.indication == "TOTAL-PASSED"
    (dts,) = report.document_timestamps
    assert dts.timestamp.valid and dts.modifications == "none"  # pyHanko may add a DSS after it
    assert report.verdict == "valid"
    assert offline_validator.validate(data).verdict == "valid"


def test_offline_without_embedded_data_is_not_checked_but_passes_in_soft_fail(offline_validator, dev_bb):
    sig = only(offline_validator.validate(dev_bb))
    assert sig.revocation == "not_checked"
    assert sig.indication == "TOTAL-PASSED"
    assert any("chưa được kiểm tra" in m for m in sig.messages.vi)


def test_offline_hard_fail_cannot_conclude(trust, dev_bb):
    v = PdfValidator(trust, policy_sha256=None, allow_fetching=False, revocation_mode="hard-fail")
    report = v.validate(dev_bb)
    sig = only(report)
    assert sig.revocation == "not_checked"
    assert (sig.indication, sig.sub_indication) == ("INDETERMINATE", "TRY_LATER")
    assert report.verdict == "indeterminate"


def test_untrusted_self_signed_rsa_signer(validator, dev_pki):
    data = sign(PDF, signers_untrusted(dev_pki))
    report = validator.validate(data)
    sig = only(report)
    assert sig.intact and sig.valid and not sig.trusted
    assert (sig.indication, sig.sub_indication) == ("INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND")
    assert "CA chưa tin cậy" in sig.messages.vi[0]
    assert sig.revocation == "not_checked"
    assert report.verdict == "indeterminate"


def signers_untrusted(dev_pki):
    return signers.SimpleSigner.load(str(dev_pki.keys / "untrusted-root.key.pem"),
                                     str(dev_pki.cert("untrusted-root")))


def test_untrusted_self_signed_ecdsa_signer(validator):
    key = new_key("ec")
    data = sign(PDF, signer_from(key, self_signed("Tự ký ECDSA (TEST ONLY)", key)))
    sig = only(validator.validate(data))
    assert sig.intact and sig.valid and not sig.trusted
    assert sig.sub_indication == "NO_CERTIFICATE_CHAIN_FOUND"
    assert any("CA chưa tin cậy" in m for m in sig.messages.vi)
    assert sig.algorithm.signature == "sha256_ecdsa" and sig.algorithm.padding is None
    assert sig.signer.key_algorithm == "ec" and sig.signer.key_size == 256
    assert sig.signer.uid == ("CCCD:001099000123",)


def test_trusted_ecdsa_signer_issued_by_the_dev_ca(validator, dev_pki):
    key = new_key("ec")
    cert = issue(dev_pki, "Cán bộ ECDSA (TEST ONLY)", key)
    sig = only(validator.validate(sign(PDF, signer_from(key, cert), timestamper=http_tsa())))
    assert sig.indication == "TOTAL-PASSED", sig.messages.en
    assert sig.trusted and sig.revocation == "good"  # from the issuing CA's CRL
    assert sig.algorithm.signature == "sha256_ecdsa"


def test_revoked_signer_is_failed(validator, dev_pki):
    report = validator.validate(sign(PDF, file_signer(dev_pki, "revoked-signer"), timestamper=http_tsa()))
    sig = only(report)
    assert sig.revocation == "revoked" and not sig.trusted
    assert (sig.indication, sig.sub_indication) == ("TOTAL-FAILED", "REVOKED")
    assert sig.revocation_time == datetime(2025, 6, 1, tzinfo=UTC)
    assert "2025-06-01" in sig.messages.vi[0] and "lộ khóa bí mật" in sig.messages.vi[0]
    assert report.verdict == "invalid"


def test_revoked_signer_without_timestamp_claiming_now_is_failed_too(validator, dev_pki):
    report = validator.validate(sign(PDF, file_signer(dev_pki, "revoked-signer")))
    assert only(report).sub_indication == "REVOKED" and report.verdict == "invalid"


def test_signature_timestamped_before_revocation_stays_valid(validator, dev_pki):
    tsa = fixed_time_tsa(dev_pki, datetime(2025, 3, 1, tzinfo=UTC))
    report = validator.validate(sign(PDF, file_signer(dev_pki, "revoked-signer"), timestamper=tsa))
    sig = only(report)
    assert sig.timestamp.valid and sig.timestamp.time == datetime(2025, 3, 1, tzinfo=UTC)
    assert sig.indication == "TOTAL-PASSED", sig.messages.en
    assert sig.revocation == "good"
    assert {"ValidatedAtTimestamp", "RevokedAfterSigning"} <= set(sig.flags)
    assert sig.validation_time == datetime(2025, 3, 1, tzinfo=UTC)
    assert any("sau thời điểm ký" in m for m in sig.messages.vi)
    assert report.verdict == "valid"


def test_certificate_expired_at_signing_time(validator, dev_pki):
    key = new_key()
    cert = issue(dev_pki, "Hết hạn (TEST ONLY)", key, not_before=datetime(2025, 1, 1, tzinfo=UTC),
                 not_after=datetime(2025, 6, 1, tzinfo=UTC))
    report = validator.validate(sign(PDF, signer_from(key, cert)))
    sig = only(report)
    assert (sig.indication, sig.sub_indication) == ("INDETERMINATE", "OUT_OF_BOUNDS_NO_POE")
    assert any("hết hạn" in m for m in sig.messages.vi)
    assert report.verdict == "indeterminate"


def test_certificate_expired_after_a_trusted_timestamp_is_valid(validator, dev_pki):
    key = new_key()
    cert = issue(dev_pki, "Hết hạn sau khi ký (TEST ONLY)", key,
                 not_before=datetime(2025, 1, 1, tzinfo=UTC),
                 not_after=datetime(2025, 6, 1, tzinfo=UTC))
    tsa = fixed_time_tsa(dev_pki, datetime(2025, 3, 1, tzinfo=UTC))
    sig = only(validator.validate(sign(PDF, signer_from(key, cert), timestamper=tsa)))
    assert sig.indication == "TOTAL-PASSED", sig.messages.en
    assert "ValidatedAtTimestamp" in sig.flags


@pytest.mark.parametrize("mode", ["soft-fail", "hard-fail"])
def test_unreachable_ocsp_is_revocation_unknown(validator, hard_validator, dev_pki, mode):
    key = new_key()
    cert = issue(dev_pki, "OCSP không liên lạc được (TEST ONLY)", key, crl_url=None, ocsp_url=DEAD_OCSP_URL)
    v = validator if mode == "soft-fail" else hard_validator
    report = v.validate(sign(PDF, signer_from(key, cert)))
    sig = only(report)
    assert sig.revocation == "unknown"
    assert (sig.indication, sig.sub_indication) == ("INDETERMINATE", "TRY_LATER")
    assert "Không kiểm tra được trạng thái chứng thư số." in sig.messages.vi
    assert report.verdict == "indeterminate"


def test_rsa_1024_gets_the_current_standards_warning(validator, dev_pki):
    key = new_key(bits=1024)
    cert = issue(dev_pki, "Khóa RSA 1024 (TEST ONLY)", key)
    sig = only(validator.validate(sign(PDF, signer_from(key, cert))))
    assert "WeakAlgorithm" in sig.flags
    assert any("1024 bit không đáp ứng tiêu chuẩn hiện hành" in m for m in sig.messages.vi)
    assert sig.indication != "TOTAL-PASSED"  # pyHanko's algorithm policy refuses it too


def test_sha1_digest_gets_the_current_standards_warning(validator, dev_pki):
    sig = only(validator.validate(sign(PDF, file_signer(dev_pki, "dev-software"), md_algorithm="sha1")))
    assert sig.algorithm.digest == "sha1"
    assert any("SHA-1 không đáp ứng tiêu chuẩn hiện hành" in m for m in sig.messages.vi)
    assert sig.indication == "INDETERMINATE"
    assert sig.sub_indication.startswith("CRYPTO_CONSTRAINTS_FAILURE")


def test_validator_is_reusable_and_stateless(validator, dev_bb, dev_pki):
    untrusted = sign(PDF, signers_untrusted(dev_pki))
    assert validator.validate(untrusted).verdict == "indeterminate"
    # certificates seen in one document must not leak into the next one's checks
    assert validator.validate(dev_bb).verdict == "valid"
    assert validator.validate(untrusted).verdict == "indeterminate"


def test_level_lt_is_per_signature(validator, dev_pki):
    first = sign(PDF, signers_untrusted(dev_pki), timestamper=http_tsa())
    both = sign(first, file_signer(dev_pki, "dev-software"), field="Sig2", timestamper=http_tsa(),
                embed_validation_info=True, validation_context=lt_context(dev_pki),
                subfilter=SigSeedSubFilter.PADES)
    report = validator.validate(both)
    assert [s.level for s in report.signatures] == ["B-T", "B-LT"]
    assert [s.indication for s in report.signatures] == ["INDETERMINATE", "TOTAL-PASSED"]
    assert report.verdict == "indeterminate"
