"""The report's first screen and row words (signsvc.reports.summary): every ETSI EN 319 102-1
sub-indication pyHanko can report has words in both languages, and the integrity, match,
trust and modification rows never contradict the indication."""

from __future__ import annotations

import pytest
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate

from signsvc.reports import summary

TAMPERED = {"field": "Sig1", "indication": "TOTAL-FAILED", "sub_indication": "HASH_FAILURE",
            "intact": False, "valid": True, "trusted": False, "modifications": "none",
            "chain": [{"is_trust_anchor": False}, {"is_trust_anchor": True}],
            "chain_ends_at_anchor": True, "level": "B-T",
            "signer": {"common_name": "Nguyễn Văn A"},
            "timestamp": {"time": "2026-12-04T01:37:46+07:00", "valid": True},
            "messages": {"vi": ["Nội dung đã ký bị thay đổi: giá trị băm không còn khớp với chữ ký."],
                         "en": ["The signed content was altered: its digest no longer matches the signature."]}}


@pytest.mark.parametrize("name", sorted({m.name for m in (*AdESFailure, *AdESIndeterminate)}))
def test_every_sub_indication_has_words(name):
    vi, en = summary.sub_indication_words(name, "vi"), summary.sub_indication_words(name, "en")
    assert vi != name and en != name and vi != en


def test_unknown_values_are_shown_as_they_are():
    assert summary.sub_indication_words("NEW_THING", "vi") == "NEW_THING"
    assert summary.indication_words("SOMETHING", "en") == ("SOMETHING", "unknown")
    assert summary.when("not a time") == "not a time" and summary.when(None) == ""


def test_tampered_rows_do_not_contradict_the_failure():
    for lang in ("vi", "en"):
        rows = summary.signature_rows(TAMPERED, lang)
        assert rows["intact"][1] == rows["crypto_valid"][1] == rows["modifications"][1] == "bad"
        assert rows["trusted"][1] == "warn"   # the chain reaches the anchor; the refusal says why
    vi = summary.signature_rows(TAMPERED, "vi")
    assert vi["crypto_valid"][0].startswith("không") and vi["modifications"][0].startswith("có")
    assert vi["trusted"][0] == "có, nhưng chữ ký không được chấp nhận: nội dung đã ký bị thay đổi"
    assert vi["indication"] == ("Không đạt (TOTAL-FAILED) — nội dung đã ký bị thay đổi (HASH_FAILURE)", "bad")


def test_passed_rows_and_untrusted_chain():
    passed = {**TAMPERED, "indication": "TOTAL-PASSED", "sub_indication": None, "intact": True,
              "trusted": True}
    rows = summary.signature_rows(passed, "vi")
    assert {k: v for k, v in rows.items() if k != "indication"} == {
        "intact": ("có", "ok"), "crypto_valid": ("có", "ok"), "trusted": ("có", "ok"),
        "modifications": ("không có", "ok")}
    untrusted = {**passed, "indication": "INDETERMINATE", "sub_indication": "NO_CERTIFICATE_CHAIN_FOUND",
                 "trusted": False, "chain_ends_at_anchor": False}
    assert summary.signature_rows(untrusted, "en")["trusted"] == (
        "no — the chain does not reach any trust anchor", "bad")


def test_first_screen_lines_findings_and_next_steps():
    report = {"verdict": "invalid", "signatures": [TAMPERED],
              "messages": {"vi": ["Tài liệu có chữ ký không hợp lệ hoặc đã bị thay đổi sau khi ký.",
                                  "Dấu thời gian tài liệu DocTs1 không hợp lệ."], "en": []},
              "document_timestamps": [{"field": "DocTs1", "indication": "INDETERMINATE",
                                       "sub_indication": "SIG_CONSTRAINTS_FAILURE", "tsa": "TSA",
                                       "time": "2026-12-04T02:00:00+07:00", "messages": {}}]}
    fs = summary.first_screen(report, "vi")
    assert fs["verdict_words"] == "Không hợp lệ" and fs["colour"] == "bad"
    one, ts = fs["lines"]
    assert (one["signer"], one["time"], one["claimed"], one["badge"]) == (
        "Nguyễn Văn A", "04/12/2026 01:37:46", False, "bad")
    assert one["sentence"].startswith("Nội dung đã ký bị thay đổi")
    assert ts["signer"] == "TSA" and ts["badge"] == "unknown" and ts["level"] == "Dấu thời gian tài liệu"
    assert fs["findings"] == ["Dấu thời gian tài liệu DocTs1 không hợp lệ."]   # not the generic one
    assert fs["next_steps"] == ["Không sử dụng văn bản.", "Liên hệ cơ quan ban hành để nhận bản đúng.",
                                "Lưu báo cáo PDF vào hồ sơ."]
    unsigned = summary.first_screen({"verdict": "unsigned", "signatures": []}, "en")
    assert unsigned["lines"] == [] and "digitally signed copy" in unsigned["next_steps"][1]


def test_revocation_sentences_show_times_as_people_read_them():
    """The validator's revocation and timestamp sentences carry the report's ISO 8601 times;
    the first screen and the signature's messages show them as dd/mm/yyyy HH:mm:ss."""
    revoked = {**TAMPERED, "indication": "TOTAL-FAILED", "sub_indication": "REVOKED", "intact": True,
               "revocation": "revoked", "revocation_time": "2026-12-03T09:15:00+07:00",
               "messages": {"vi": ["Chứng thư số đã bị thu hồi từ 2026-12-03T09:15:00+07:00 (lý do: lộ khóa bí mật).",
                                   "Chứng thư số hợp lệ tại thời điểm ký được chứng thực bằng dấu thời gian "
                                   "(2026-12-04T01:37:46+07:00)."],
                            "en": ["The certificate was revoked on 2026-12-03T09:15:00+07:00 "
                                   "(reason: key compromise)."]}}
    fs = summary.first_screen({"verdict": "invalid", "signatures": [revoked]}, "vi")
    assert fs["lines"][0]["sentence"] == "Chứng thư số đã bị thu hồi từ 03/12/2026 09:15:00 (lý do: lộ khóa bí mật)."
    assert summary.signature_messages(revoked, "vi")[1].endswith("dấu thời gian (04/12/2026 01:37:46).")
    english = summary.first_screen({"verdict": "invalid", "signatures": [revoked]}, "en")
    assert english["lines"][0]["sentence"] == (
        "The certificate was revoked on 03/12/2026 09:15:00 (reason: key compromise).")
    for lang in ("vi", "en"):
        assert not any("T09:15" in m or "+07:00" in m for m in summary.signature_messages(revoked, lang))
    # a time given in UTC is shown in Vietnam time; no times: the messages as they are
    utc = {**revoked, "revocation_time": "2026-12-03T02:15:00Z",
           "messages": {"vi": ["Chứng thư số đã bị thu hồi từ 2026-12-03T02:15:00Z."]}, "timestamp": None}
    assert summary.signature_messages(utc, "vi") == ["Chứng thư số đã bị thu hồi từ 03/12/2026 09:15:00."]
    plain = {"messages": {"vi": ["Bản thân chữ ký hợp lệ."]}}
    assert summary.signature_messages(plain, "vi") == ["Bản thân chữ ký hợp lệ."]
