"""The pure policy engine: a policy (rules as data) applied to gathered facts.

Guarantees: no I/O; every configured rule is evaluated, in file order, and appears in the
decision with its outcome and reason; the decision denies when any ``deny`` rule fails;
failed ``warn`` and ``info`` rules are listed as warnings / notices.

A rule's *severity* (``Severity``: deny, warn, info) is what the policy file and the JSON
call ``level``; the Python name is ``severity`` so that "level" means a PAdES level only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from signsvc.errors import Message
from signsvc.names import SEVERITIES, Severity
from signsvc.policy.facts import SigningFacts
from signsvc.policy.intake import INTAKE_RULES
from signsvc.policy.rules import CATALOGUE

ALL_RULES = {**CATALOGUE, **INTAKE_RULES}  # signing rules, and intake rules (evaluated by intake.py)
INTAKE_ONLY = Message("Luật này áp dụng khi tiếp nhận văn bản đến, không áp dụng khi ký.",
                      "This rule applies to incoming documents at intake, not to signing.")

#: a rule's possible severities (``level = ...`` in the policy file)
SEVERITY_NAMES: tuple[Severity, ...] = SEVERITIES


@dataclass(frozen=True)
class ConfiguredRule:
    id: str
    severity: str            # a Severity: deny | warn | info (the file's ``level``)
    params: dict[str, Any]
    line: int = 0

    @property
    def level(self) -> str:
        """The severity under its policy-file name."""
        return self.severity


@dataclass(frozen=True)
class Policy:
    version: str
    sha256: str
    default_eservice: str
    rules: tuple[ConfiguredRule, ...]
    text: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version, "sha256": self.sha256,
                "default_eservice": self.default_eservice,
                "rules": [{"id": r.id, "family": ALL_RULES[r.id].family, "level": r.severity,
                           "title": {"vi": ALL_RULES[r.id].title.vi, "en": ALL_RULES[r.id].title.en},
                           "params": r.params} for r in self.rules]}


@dataclass(frozen=True)
class RuleResult:
    rule: str
    family: str
    severity: str         # a Severity: deny | warn | info (``level`` in the JSON)
    outcome: str          # "pass" | "fail" | "skip"
    message: Message
    evaluated: dict[str, Any]

    @property
    def level(self) -> str:
        """The severity under its policy-file and JSON name."""
        return self.severity

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "family": self.family, "level": self.severity,
                "outcome": self.outcome, "message": {"vi": self.message.vi, "en": self.message.en},
                "evaluated": self.evaluated}


@dataclass(frozen=True)
class Decision:
    policy_sha256: str
    policy_version: str
    results: tuple[RuleResult, ...]

    @property
    def denied_by(self) -> RuleResult | None:
        return next((r for r in self.results if r.outcome == "fail" and r.severity == Severity.DENY), None)

    @property
    def allowed(self) -> bool:
        return self.denied_by is None

    @property
    def warnings(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.results if r.outcome == "fail" and r.severity == Severity.WARN)

    @property
    def notices(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.results if r.outcome == "fail" and r.severity == Severity.INFO)

    def as_dict(self) -> dict[str, Any]:
        denied = self.denied_by
        return {"allowed": self.allowed, "decision": "allow" if self.allowed else "deny",
                "denied_by": denied.rule if denied else None,
                "warnings": [r.rule for r in self.warnings], "notices": [r.rule for r in self.notices],
                "policy_sha256": self.policy_sha256, "policy_version": self.policy_version,
                "rules": [r.as_dict() for r in self.results]}


def evaluate(policy: Policy, facts: SigningFacts) -> Decision:
    results = []
    for rule in policy.rules:
        if rule.id not in CATALOGUE:  # an intake rule (signsvc.policy.intake): not about signing
            spec = ALL_RULES[rule.id]
            results.append(RuleResult(rule.id, spec.family, rule.severity, "skip", INTAKE_ONLY, {}))
            continue
        spec = CATALOGUE[rule.id]
        outcome, message, evaluated = spec.check(facts, rule.params)
        results.append(RuleResult(rule.id, spec.family, rule.severity, outcome, message, evaluated))
    return Decision(policy.sha256, policy.version, tuple(results))
