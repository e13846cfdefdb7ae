"""Report values serialise to API.md's names, in Vietnam time."""

from __future__ import annotations

from datetime import UTC, datetime

from signsvc.validation.report import (
    AlgorithmInfo,
    DocumentInfo,
    Messages,
    SignatureReport,
    SignerInfo,
    TimestampInfo,
    ValidationReport,
    vn_time,
)


def test_vn_time():
    assert vn_time(datetime(2026, 11, 28, 3, 15, 0, 123456, tzinfo=UTC)) == "2026-11-28T10:15:00+07:00"
    assert vn_time(datetime(2026, 12, 31, 20, 0)) == "2027-01-01T03:00:00+07:00"  # naive = UTC
    assert vn_time(None) is None


def test_as_dict_names():
    signer = SignerInfo(subject="CN=A,C=VN", common_name="A", serial="1f", issuer="CN=CA",
                        certificate_sha256="00" * 32, uid=("MST:0101234567",), key_size=2048)
    sig = SignatureReport(
        field="Sig1", signer=signer, signing_time=datetime(2026, 11, 28, 3, 15, tzinfo=UTC),
        timestamp=TimestampInfo(time=datetime(2026, 11, 28, 3, 15, 1, tzinfo=UTC), tsa="TSA",
                                valid=True),
        level="B-T", intact=True, valid=True, trusted=True, revocation="good", coverage="entire_file",
        modifications="none", indication="TOTAL-PASSED", sub_indication=None,
        messages=Messages(vi=("Chữ ký hợp lệ, tài liệu còn nguyên vẹn.",),
                          en=("The signature is valid and the document is intact.",)),
        algorithm=AlgorithmInfo("sha256", "sha256_rsa", "PKCS#1 v1.5"))
    report = ValidationReport(document=DocumentInfo("ff" * 32, 123, 2, "signed"), signatures=(sig,),
                              verdict="valid", policy_sha256=None, trust_anchors_sha256="aa" * 32,
                              trust_anchors_name="dev")
    body = report.as_dict()
    assert body["document"] == {"sha256": "ff" * 32, "size": 123, "revisions": 2, "status": "signed",
                                "reading": "strict", "repair": None}
    assert body["verdict"] == "valid" and body["policy_sha256"] is None
    assert body["trust_anchors"] == {"name": "dev", "sha256": "aa" * 32}
    (s,) = body["signatures"]
    assert s["signing_time"] == "2026-11-28T10:15:00+07:00"
    assert s["timestamp"]["time"] == "2026-11-28T10:15:01+07:00" and s["timestamp"]["tsa"] == "TSA"
    assert s["signer"]["serial"] == "1f" and s["signer"]["uid"] == ["MST:0101234567"]
    assert s["algorithm"] == {"digest": "sha256", "signature": "sha256_rsa", "padding": "PKCS#1 v1.5"}
    assert s["key_size"] == 2048
    assert s["messages"] == {"vi": ["Chữ ký hợp lệ, tài liệu còn nguyên vẹn."],
                             "en": ["The signature is valid and the document is intact."]}
