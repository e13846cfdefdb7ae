"""Intake rules (VAL-9): pure decisions over a verdict, the policy file's checks."""

from __future__ import annotations

import pytest

from signsvc.errors import Message
from signsvc.policy.engine import ConfiguredRule, Policy, evaluate
from signsvc.policy.intake import IntakeFacts, evaluate_intake
from signsvc.policy.loader import PolicyError, parse_policy

FINDING = Message("Câu kết luận.", "The verdict sentence.")


def policy(*rules: ConfiguredRule) -> Policy:
    return Policy(version="t", sha256="0" * 64, default_eservice="level3", rules=rules)


def rule(level: str = "deny", accept=("valid",)) -> ConfiguredRule:
    return ConfiguredRule("intake.accepted-verdicts", level, {"accept": list(accept)})


@pytest.mark.parametrize("verdict,decision", [("valid", "accept"), ("valid_modified_after", "return"),
                                              ("invalid", "return"), ("indeterminate", "return"),
                                              ("unsigned", "return")])
def test_default_accepts_only_valid(verdict, decision):
    for p in (policy(rule()), policy()):   # configured, or missing from the file
        d = evaluate_intake(p, IntakeFacts(verdict, FINDING))
        assert d.decision == decision
        assert d.returned_by == (None if decision == "accept" else "intake.accepted-verdicts")
        assert d.reason.vi.endswith(" Câu kết luận.") and d.reason.en.endswith(" The verdict sentence.")


def test_reasons_and_levels():
    d = evaluate_intake(policy(rule()), IntakeFacts("invalid", FINDING))
    assert d.reason.vi.startswith("Trả lại: kết quả kiểm tra là “không hợp lệ”, chỉ tiếp nhận tài liệu “hợp lệ”.")
    assert d.reason.en.startswith("Returned: the verification result is “invalid”; only “valid” documents")
    more = evaluate_intake(policy(rule(accept=("valid", "unsigned"))), IntakeFacts("unsigned"))
    assert more.decision == "accept" and more.reason.en == "Accepted: the verification result is “unsigned”."
    warned = evaluate_intake(policy(rule("warn")), IntakeFacts("indeterminate"))
    assert warned.decision == "accept" and warned.reason.vi.startswith("Chấp nhận kèm cảnh báo:")
    assert warned.results[0].outcome == "fail" and warned.returned_by is None


def test_unreadable_is_always_returned():
    problem = Message("Tệp PDF bị hỏng.", "The PDF is damaged.")
    d = evaluate_intake(policy(rule(accept=("valid", "unsigned", "indeterminate"))),
                        IntakeFacts(None, problem=problem))
    assert d.decision == "return" and d.reason == Message("Trả lại: tệp PDF bị hỏng.",
                                                          "Returned: the PDF is damaged.")
    assert evaluate_intake(policy(), IntakeFacts(None, problem=Message("PDF hỏng.", "PDF broken."))
                           ).reason.en == "Returned: PDF broken."


def test_signing_decisions_ignore_intake_rules():
    from tests.unit.policy.test_policy_rules import BASE
    d = evaluate(policy(rule()), BASE)
    (only,) = d.results
    assert d.allowed and only.outcome == "skip" and only.rule == "intake.accepted-verdicts"
    assert "intake" in only.message.en and "tiếp nhận" in only.message.vi


BASE_TEXT = 'version = "t"\n[rules."crypto.digest"]\nlevel = "deny"\n'


@pytest.mark.parametrize("accept,fragment", [('["valid", "invalid"]', "may never be accepted"),
                                              ('["valid", "ok"]', "wrong: ok"),
                                              ("[]", "may not be empty")])
def test_policy_file_checks(accept, fragment):
    text = BASE_TEXT + f'[rules."intake.accepted-verdicts"]\nlevel = "deny"\naccept = {accept}\n'
    with pytest.raises(PolicyError) as err:
        parse_policy(text, set())
    assert fragment in str(err.value) and "line 4" in str(err.value)
    ok = parse_policy(BASE_TEXT + '[rules."intake.accepted-verdicts"]\nlevel = "warn"\n', set())
    assert ok.rules[-1] == ConfiguredRule("intake.accepted-verdicts", "warn", {"accept": ["valid"]}, 4)
    assert ok.as_dict()["rules"][-1]["family"] == "intake"
