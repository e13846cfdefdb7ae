"""decide(): indication, sub-indication, messages and flags from plain facts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from signsvc.errors import Message
from signsvc.validation.decision import Facts, decide
from signsvc.validation.report import TimestampInfo

REVOKED_AT = datetime(2025, 6, 1, tzinfo=UTC)
TS = TimestampInfo(time=datetime(2026, 11, 28, 3, 0, tzinfo=UTC), tsa="TSA", valid=True)
GOOD = Facts(intact=True, valid=True, trusted=True, revocation="good", timestamp=TS,
             claimed_time=datetime(2026, 11, 28, 3, 0, tzinfo=UTC))


def test_passed():
    d = decide(GOOD)
    assert (d.indication, d.sub_indication, d.flags) == ("TOTAL-PASSED", None, ())
    assert d.messages.vi == ("Chữ ký hợp lệ, tài liệu còn nguyên vẹn.",)
    assert d.messages.en == ("The signature is valid and the document is intact.",)


def test_not_timestamped_is_flagged_vi_first():
    d = decide(replace(GOOD, timestamp=None))
    assert d.indication == "TOTAL-PASSED" and d.flags == ("NotTimestamped",)
    assert d.messages.vi[1].startswith("Chữ ký không có dấu thời gian")


@pytest.mark.parametrize("facts, expected", [
    (replace(GOOD, intact=False, trusted=False), ("TOTAL-FAILED", "HASH_FAILURE")),
    (replace(GOOD, valid=False, trusted=False), ("TOTAL-FAILED", "SIG_CRYPTO_FAILURE")),
    (replace(GOOD, parse_failure="ValueError: junk"), ("TOTAL-FAILED", "FORMAT_FAILURE")),
    (replace(GOOD, trusted=False, problem="NO_CERTIFICATE_CHAIN_FOUND", revocation="not_checked"),
     ("INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND")),
    (replace(GOOD, trusted=False, problem="OUT_OF_BOUNDS_NO_POE"), ("INDETERMINATE", "OUT_OF_BOUNDS_NO_POE")),
    (replace(GOOD, revocation="unknown"), ("INDETERMINATE", "TRY_LATER")),
    (replace(GOOD, trusted=False, problem="TRY_LATER", revocation="unknown"), ("INDETERMINATE", "TRY_LATER")),
    (replace(GOOD, timestamp=replace(TS, valid=False, trusted=False)),
     ("INDETERMINATE", "SIG_CONSTRAINTS_FAILURE")),
    (replace(GOOD, timestamp=replace(TS, valid=False, intact=False)),
     ("INDETERMINATE", "SIG_CONSTRAINTS_FAILURE")),
    (replace(GOOD, intact=False, processing_error="boom", sub_indication_hint="FORMAT_FAILURE"),
     ("TOTAL-FAILED", "FORMAT_FAILURE")),
    # issue 12: a CMS structure pyHanko refuses over content shown unchanged is processing trouble
    (replace(GOOD, processing_error="boom", sub_indication_hint="FORMAT_FAILURE"),
     ("INDETERMINATE", "FORMAT_FAILURE")),
    (replace(GOOD, processing_error="boom"), ("INDETERMINATE", "GENERIC")),
    (replace(GOOD, unsupported=Message("vi", "en"), sub_indication_hint="CRYPTO_CONSTRAINTS_FAILURE"),
     ("INDETERMINATE", "CRYPTO_CONSTRAINTS_FAILURE")),
])
def test_indications(facts, expected):
    d = decide(facts)
    assert (d.indication, d.sub_indication) == expected
    assert len(d.messages.vi) == len(d.messages.en) >= 1


def test_untrusted_says_ca_chua_tin_cay():
    d = decide(replace(GOOD, trusted=False, problem="NO_CERTIFICATE_CHAIN_FOUND"))
    assert "CA chưa tin cậy" in d.messages.vi[0]


def test_revocation_unknown_message():
    d = decide(replace(GOOD, revocation="unknown"))
    assert d.messages.vi[0] == "Không kiểm tra được trạng thái chứng thư số."


def _revoked(**kw) -> Facts:
    return replace(GOOD, trusted=False, revocation="revoked", revoked_at=REVOKED_AT,
                   revocation_reason="key_compromise", problem="REVOKED_NO_POE", **kw)


def test_revoked_before_the_trusted_timestamp_is_failed():
    d = decide(_revoked())
    assert (d.indication, d.sub_indication) == ("TOTAL-FAILED", "REVOKED")
    assert "lộ khóa bí mật" in d.messages.vi[0] and "key compromise" in d.messages.en[0]
    assert "2025-06-01T07:00:00+07:00" in d.messages.vi[0]


def test_revoked_with_only_an_earlier_claimed_time_has_no_proof():
    d = decide(_revoked(timestamp=None, claimed_time=datetime(2025, 1, 1, tzinfo=UTC)))
    assert (d.indication, d.sub_indication) == ("INDETERMINATE", "REVOKED_NO_POE")


def test_revoked_with_an_untrusted_timestamp_uses_the_claimed_time():
    d = decide(_revoked(timestamp=replace(TS, valid=False, trusted=False, time=datetime(2025, 1, 1, tzinfo=UTC))))
    assert d.sub_indication == "REVOKED"  # the claimed time (2026) is after the revocation


def test_revoked_ca():
    d = decide(_revoked(ca_revoked=True))
    assert (d.indication, d.sub_indication) == ("INDETERMINATE", "REVOKED_CA_NO_POE")


def test_validated_at_timestamp_and_revoked_later_are_noted():
    d = decide(replace(GOOD, validated_at_timestamp=True, revoked_later_at=REVOKED_AT,
                       revoked_later_reason="superseded"))
    assert d.indication == "TOTAL-PASSED"
    assert d.flags == ("ValidatedAtTimestamp", "RevokedAfterSigning")
    assert any("sau thời điểm ký" in m and "đã được thay thế" in m for m in d.messages.vi)


def test_revocation_not_checked_is_said_when_passing():
    d = decide(replace(GOOD, revocation="not_checked"))
    assert d.indication == "TOTAL-PASSED"
    assert any("chưa được kiểm tra" in m for m in d.messages.vi)


def test_modifications_and_weaknesses_are_separate_findings():
    weak = Message("Thuật toán băm SHA-1 không đáp ứng tiêu chuẩn hiện hành.", "SHA-1 does not meet current standards.")
    d = decide(replace(GOOD, modifications="annotations", trailing_data=True, weaknesses=(weak,)))
    assert d.messages.vi[0] == "Bản thân chữ ký hợp lệ."
    assert weak.vi in d.messages.vi and "WeakAlgorithm" in d.flags
    assert "Tài liệu đã được thêm chú thích sau khi ký." in d.messages.vi
    assert "Có dữ liệu không được ký nối thêm vào cuối tệp sau khi ký." in d.messages.vi
    d = decide(replace(GOOD, modifications="other", coverage="partial", modifications_permitted=False))
    # issue 12: a change the rules forbid is positive evidence (EN 319 102-1 format checking)
    assert (d.indication, d.sub_indication) == ("TOTAL-FAILED", "FORMAT_FAILURE")
    assert "ISO 32000-2, 12.8; ETSI EN 319 142-1" in d.messages.en[0]
    assert {"Tài liệu đã bị thay đổi sau khi ký.",
            "Chữ ký không bao phủ toàn bộ phiên bản tài liệu mà nó ký."} <= set(d.messages.vi)


def test_forbidden_change_names_the_rule_and_a_repair_caps_it():
    d = decide(replace(GOOD, modifications="annotations", modifications_permitted=False, docmdp=2))
    assert (d.indication, d.sub_indication) == ("TOTAL-FAILED", "FORMAT_FAILURE")
    assert d.messages.vi[0].startswith("Thay đổi sau khi ký (thêm chú thích) vượt quá mức DocMDP P=2")
    assert "DocMDP level P=2 (ISO 32000-2, 12.8.2.2)" in d.messages.en[0]
    cap = ("FORMAT_FAILURE", Message("Đã sửa cấu trúc.", "Structure repaired."))
    d = decide(replace(GOOD, modifications="other", modifications_permitted=False, cap=cap))
    assert (d.indication, d.sub_indication, d.messages.en[0]) == (
        "INDETERMINATE", "FORMAT_FAILURE", "Structure repaired.")
    d = decide(replace(GOOD, intact=False, cap=cap))  # the byte range is hashed exactly: still a failure
    assert (d.indication, d.sub_indication) == ("TOTAL-FAILED", "HASH_FAILURE")
    d = decide(replace(GOOD, modifications="other"))  # not classified, not shown forbidden
    assert (d.indication, d.sub_indication) == ("INDETERMINATE", "FORMAT_FAILURE")
