"""Every rule of the catalogue with one passing and one failing case (pure engine)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from signsvc.policy.engine import ConfiguredRule, Policy, evaluate
from signsvc.policy.facts import (
    CertificateFacts,
    DocumentSummary,
    PriorSignature,
    SigningFacts,
    Usage,
)
from signsvc.policy.rules import CATALOGUE

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
CERT = CertificateFacts(key_algorithm="rsa", key_size=2048,
                        key_usage=frozenset({"digital_signature", "non_repudiation"}),
                        not_before=NOW - timedelta(days=300), not_after=NOW + timedelta(days=300),
                        issuer="CN=Issuing CA", subject="CN=Seal", sha256="ab" * 32,
                        policy_oids=frozenset({"1.2.3"}), chain="trusted", revocation="good")
DOC = DocumentSummary(size=1000, pages=2, encrypted=False, strict=True)
BASE = SigningFacts(now=NOW, service_profile="production", client="portal1", role="portal",
                    client_keys=frozenset({"seal"}), key_id="seal", key_backend="pkcs11",
                    key_kind="agency-seal", rsa_padding="pss", digest="sha256", level="B-LT",
                    eservice="level4", certificate=CERT, document=DOC,
                    prior_signatures=(PriorSignature("Nguyễn Văn An", True, True),),
                    usage=Usage(1, 5, 1, 5), clock_skew_seconds=0.3)


def cert(**kw):
    return dataclasses.replace(BASE, certificate=dataclasses.replace(CERT, **kw))


def doc(**kw):
    return dataclasses.replace(BASE, document=dataclasses.replace(DOC, **kw))


def facts(**kw):
    return dataclasses.replace(BASE, **kw)


# rule id -> (params override, failing facts)
CASES = {
    "crypto.key-type": ({}, cert(key_size=1024)),
    "crypto.digest": ({}, facts(digest="sha1")),
    "crypto.rsa-padding": ({}, facts(rsa_padding="pkcs1v15")),
    "cert.key-usage": ({}, cert(key_usage=frozenset({"key_encipherment"}))),
    "cert.validity": ({"min_remaining_days": 30}, cert(not_after=NOW + timedelta(days=10))),
    "cert.chain": ({}, cert(chain="untrusted")),
    "cert.revocation": ({}, cert(revocation="revoked")),
    "cert.policy-oids": ({"any_of": ["1.2.3"]}, cert(policy_oids=frozenset({"9.9"}))),
    "cert.issuer-allow-list": ({"issuers": ["Issuing CA"]}, cert(issuer="CN=Other CA")),
    "custody.key-grant": ({}, facts(client_keys=frozenset())),
    "custody.key-roles": ({"keys": {"seal": ["clerk", "portal"]}}, facts(role="official")),
    "custody.software-keys": ({}, facts(key_backend="software")),
    "custody.seal-roles": ({}, facts(role="official")),
    "document.size": ({"max_bytes": 5000}, doc(size=6000)),
    "document.pages": ({"max_pages": 10}, doc(pages=11)),
    "document.encrypted": ({}, doc(encrypted=True)),
    "document.javascript": ({}, doc(javascript=("/OpenAction",))),
    "document.launch-actions": ({}, doc(launch_actions=("annotation on page 1",))),
    "document.embedded-files": ({}, doc(embedded_files=("invoice.xml",))),
    "document.xfa": ({}, doc(xfa=True)),
    "document.non-strict": ({}, doc(strict=False)),
    "document.inspection-complete": ({}, doc(truncated=True)),
    "eservice.minimum-level": ({}, facts(level="B-T")),
    "eservice.seal-after-official": ({}, facts(prior_signatures=())),
    "rate.client": ({"per_minute": 2, "per_day": 100}, facts(usage=Usage(2, 2, 0, 0))),
    "rate.key": ({"per_minute": 5, "per_day": 10}, facts(usage=Usage(0, 0, 1, 10))),
    "clock.tsa-skew": ({"max_skew_seconds": 2.0}, facts(clock_skew_seconds=-3.5)),
    "workflow.copies": ({}, facts(appearance="copy", role="portal")),
    "workflow.attachments": ({}, facts(appearance="attachment", attachment_mode="same_file")),
}
# rules that only concern some requests: the facts they pass on (BASE otherwise)
PASSING = {
    "workflow.copies": facts(appearance="copy", role="clerk"),
    "workflow.attachments": facts(appearance="attachment", attachment_mode="separate_file"),
}


def test_every_rule_has_a_case():
    assert set(CASES) == set(CATALOGUE)


def _decide(rule_id: str, params: dict, f: SigningFacts, level: str = "deny"):
    p = {**CATALOGUE[rule_id].params, **params}
    policy = Policy(version="t", sha256="0" * 64, default_eservice="level3",
                    rules=(ConfiguredRule(rule_id, level, p),))
    return evaluate(policy, f)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_passes_and_fails(rule_id):
    params, failing = CASES[rule_id]
    ok = _decide(rule_id, params, PASSING.get(rule_id, BASE))
    assert ok.allowed and ok.results[0].outcome == "pass", ok.results[0].message.en
    bad = _decide(rule_id, params, failing)
    assert not bad.allowed and bad.denied_by.rule == rule_id
    assert bad.results[0].message.vi and bad.results[0].message.en
    # the same failure at "warn" signs but is reported as a warning
    warned = _decide(rule_id, params, failing, level="warn")
    assert warned.allowed and [r.rule for r in warned.warnings] == [rule_id]


def test_revocation_modes_and_skips():
    unknown = cert(revocation="unknown")
    assert not _decide("cert.revocation", {"mode": "hard-fail"}, unknown).allowed
    assert _decide("cert.revocation", {"mode": "soft-fail"}, unknown).allowed
    assert not _decide("cert.revocation", {"mode": "soft-fail"}, cert(revocation="revoked")).allowed
    # the clerk's copy stamp is exempt from seal-after-official, ?eservice=copy alone is not
    # (issue 11); non-seal keys are not concerned
    assert _decide("eservice.seal-after-official", {}, facts(prior_signatures=(), eservice="copy")
                   ).results[0].outcome == "fail"
    assert _decide("eservice.seal-after-official", {}, facts(prior_signatures=(), role="clerk",
                                                             appearance="copy")
                   ).results[0].outcome == "skip"
    assert _decide("eservice.seal-after-official", {}, facts(prior_signatures=(), key_kind="official")
                   ).results[0].outcome == "skip"
    # an invalid prior official signature does not count
    bad_prior = facts(prior_signatures=(PriorSignature("X", False, True),))
    assert not _decide("eservice.seal-after-official", {}, bad_prior).allowed
    # software keys are fine outside the production profile, or when allowed
    assert _decide("custody.software-keys", {}, facts(key_backend="software",
                                                      service_profile="development")).allowed
    assert _decide("custody.software-keys", {"allow_software_keys": True},
                   facts(key_backend="software")).allowed
    assert _decide("clock.tsa-skew", {}, facts(clock_skew_seconds=None)).results[0].outcome == "skip"


def test_decision_lists_every_rule_in_order():
    rules = tuple(ConfiguredRule(r, "deny", dict(CATALOGUE[r].params)) for r in sorted(CATALOGUE))
    policy = Policy(version="t", sha256="1" * 64, default_eservice="level3", rules=rules)
    d = evaluate(policy, BASE)
    body = d.as_dict()
    assert [r["rule"] for r in body["rules"]] == sorted(CATALOGUE)
    assert body["policy_sha256"] == "1" * 64 and body["decision"] in ("allow", "deny")
