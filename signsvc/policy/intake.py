"""Intake of incoming documents (VAL-9, Decree 30/2020 art. 21.2): ``accept`` or ``return``.

Pure, like the rest of the engine: the caller validates the document and passes the
verdict (or the reason it could not be read); the configured ``intake.*`` rules decide.
Rule ``intake.accepted-verdicts`` (parameter ``accept``, default ``["valid"]``) names the
verdicts accepted at intake. Level ``deny`` returns any other verdict, ``warn`` accepts it
with the rule in the warnings, ``info`` only records it. When the policy file has no
``intake.*`` rule, the default applies at level ``deny`` (only ``valid`` is accepted):
nothing reaches the agency unchecked because a line was forgotten. A file that cannot be
read (not a PDF, damaged, encrypted, too large) is always returned, whatever the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from signsvc.errors import Message
from signsvc.names import Severity, Verdict
from signsvc.policy.rules import Outcome, RuleSpec

if TYPE_CHECKING:  # the engine imports this module's catalogue
    from signsvc.policy.engine import Policy, RuleResult

VERDICTS: tuple[Verdict, ...] = tuple(Verdict)
NEVER_ACCEPTED = frozenset({Verdict.INVALID})
VERDICT_NAMES: dict[str, tuple[str, str]] = {
    Verdict.VALID: ("hợp lệ", "valid"),
    Verdict.VALID_MODIFIED_AFTER: ("hợp lệ nhưng bị chỉnh sửa sau khi ký",
                                   "valid but modified after signing"),
    Verdict.INVALID: ("không hợp lệ", "invalid"),
    Verdict.INDETERMINATE: ("chưa xác định được", "indeterminate"),
    Verdict.UNSIGNED: ("chưa có chữ ký số", "unsigned"),
}


@dataclass(frozen=True)
class IntakeFacts:
    """``verdict`` of the validation report, or ``None`` with ``problem`` (the reason the
    file could not be read); ``finding`` is the report's verdict sentence."""

    verdict: str | None
    finding: Message | None = None
    problem: Message | None = None


def _names(verdicts, lang: int) -> str:
    return ", ".join(f"“{VERDICT_NAMES.get(v, (v, v))[lang]}”" for v in verdicts)


def accepted_verdicts(f: IntakeFacts, p: dict[str, Any]) -> Outcome:
    ev = {"verdict": f.verdict, "accept": list(p["accept"])}
    vi_name, en_name = VERDICT_NAMES.get(f.verdict or "", (f.verdict, f.verdict))
    if f.verdict in p["accept"]:
        return "pass", Message(f"kết quả kiểm tra là “{vi_name}”.",
                               f"the verification result is “{en_name}”."), ev
    return "fail", Message(
        f"kết quả kiểm tra là “{vi_name}”, chỉ tiếp nhận tài liệu {_names(p['accept'], 0)}.",
        f"the verification result is “{en_name}”; only {_names(p['accept'], 1)} "
        f"documents are accepted."), ev


INTAKE_RULES: dict[str, RuleSpec] = {s.id: s for s in (
    RuleSpec(id="intake.accepted-verdicts", family="intake", check=accepted_verdicts,  # type: ignore[arg-type]
             params={"accept": [Verdict.VALID]},
             title=Message("Kết quả kiểm tra được tiếp nhận", "Verdicts accepted at intake"),
             status=422, code="document-returned"),
)}
DEFAULT_RULES = (("intake.accepted-verdicts", Severity.DENY),)


def check_params(rule_id: str, params: dict[str, Any]) -> Message | None:
    """Why ``params`` are not acceptable for ``rule_id`` (``None`` when they are)."""
    if rule_id == "intake.accepted-verdicts":
        unknown = [v for v in params["accept"] if v not in VERDICTS]
        if unknown:
            return Message(f"'accept' chỉ gồm: {', '.join(VERDICTS)} (sai: {', '.join(map(str, unknown))})",
                           f"'accept' may only hold: {', '.join(VERDICTS)} (wrong: {', '.join(map(str, unknown))})")
        if NEVER_ACCEPTED & set(params["accept"]):
            return Message("không bao giờ tiếp nhận tài liệu có chữ ký không hợp lệ ('invalid')",
                           "documents with an invalid signature ('invalid') may never be accepted")
        if not params["accept"]:
            return Message("'accept' không được rỗng", "'accept' may not be empty")
    return None


def _lower_first(text: str) -> str:
    """``text`` with its first letter in lower case unless the first word is an acronym (PDF)."""
    first = text.split(" ", 1)[0]
    return text if not text or first.isupper() else text[0].lower() + text[1:]


@dataclass(frozen=True)
class IntakeDecision:
    decision: str                      # "accept" | "return"
    reason: Message
    results: tuple[RuleResult, ...]  # the intake rules evaluated (empty for an unreadable file)
    returned_by: str | None = None     # the deny rule that returned it

    def as_dict(self) -> dict[str, Any]:
        return {"decision": self.decision, "reason": {"vi": self.reason.vi, "en": self.reason.en},
                "returned_by": self.returned_by, "rules": [r.as_dict() for r in self.results]}


def evaluate_intake(policy: Policy, facts: IntakeFacts) -> IntakeDecision:
    """The intake decision for one document (see the module docstring)."""
    from signsvc.policy.engine import RuleResult

    if facts.verdict is None:
        problem = facts.problem or Message("Tệp không đọc được.", "The file cannot be read.")
        return IntakeDecision("return", Message(f"Trả lại: {_lower_first(problem.vi)}",
                                                f"Returned: {_lower_first(problem.en)}"), ())
    configured = [(r.id, r.severity, r.params) for r in policy.rules if r.id in INTAKE_RULES]
    if not configured:
        configured = [(rid, sev, dict(INTAKE_RULES[rid].params)) for rid, sev in DEFAULT_RULES]
    results = []
    for rule_id, severity, params in configured:
        spec = INTAKE_RULES[rule_id]
        outcome, message, evaluated = spec.check(facts, params)  # type: ignore[arg-type]
        results.append(RuleResult(rule_id, spec.family, severity, outcome, message, evaluated))
    denied = next((r for r in results if r.outcome == "fail" and r.severity == Severity.DENY), None)
    warned = next((r for r in results if r.outcome == "fail"), None)
    lead = denied or warned or results[0]
    prefix = (("Trả lại", "Returned") if denied else
              ("Chấp nhận kèm cảnh báo", "Accepted with a warning") if warned else ("Chấp nhận", "Accepted"))
    reason = Message(f"{prefix[0]}: {lead.message.vi}", f"{prefix[1]}: {lead.message.en}")
    if facts.finding is not None:
        reason = Message(f"{reason.vi} {facts.finding.vi}", f"{reason.en} {facts.finding.en}")
    return IntakeDecision("return" if denied else "accept", reason, tuple(results),
                          denied.rule if denied else None)
