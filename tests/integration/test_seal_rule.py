"""WF-2 through the API with the production-like policy (eservice.seal-after-official and
eservice.minimum-level at deny, as config/signsvc.production.example.toml asks): the agency
seal follows only a valid signature made with a registered official's certificate; the
copy exemption is the clerk's copy stamp only. Real SoftHSM2 keys, the test PKI and its
TSA/OCSP; every signature produced is validated by pyHanko."""

from __future__ import annotations

import pytest
from asn1crypto import pem, x509

from signsvc.adapters.workflow_sql import SqlWorkflowStore
from signsvc.policy.engine import ConfiguredRule, Policy, evaluate
from signsvc.policy.facts import PriorSignature
from signsvc.services.context import RequestContext
from tests.integration.test_policy_api import _signed_by_official, api_with, strict_policy
from tests.support.pdfs import make_pdf
from tests.support.validate import pyhanko_statuses

PDF = {"Content-Type": "application/pdf"}
AGENCY = "Văn phòng UBND tỉnh Thử Nghiệm"
CTX = RequestContext(request_id="seal-rule-setup", actor="tests", role="admin")


@pytest.fixture(scope="module")
def prod(dev_pki, responders, tmp_path_factory):
    # dev-software: a key of kind "official" the portal holds (not a seal key)
    api = api_with(tmp_path_factory.mktemp("seal-rule"), strict_policy(),
                   keys__dev_software__kind="official")
    levels = {r.id: r.level for r in api.services.policy.policy.rules}
    assert levels["eservice.seal-after-official"] == levels["eservice.minimum-level"] == "deny"
    _, api.tokens["an"] = api.services.clients.create("an", "official", (), CTX)
    _, api.tokens["portal-2"] = api.services.clients.create("portal-2", "portal", (), CTX)
    yield api
    api.services.shutdown()


def _sign(api, who: str, key: str = "agency-seal", data: bytes | None = None, level: str = "B-T",
          **params):
    return api.client.post("/v1/sign", query_string={"key": key, "level": level, **params},
                           data=data if data is not None else make_pdf(),
                           headers=api.headers(who, **PDF))


def _refused_and_audited(api, resp, status: int, code: str, rule: str) -> None:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["code"] == code and body["rule"] == rule
    (record,) = [r for r in api.services.audit.list(limit=10000)
                 if r.request_id == resp.headers["X-Request-Id"]]
    assert record.action == "policy:rule:denied" and record.outcome == "denied"
    assert record.error_code == code and record.details["rule"] == rule


def _register(api, client: str, dev_pki, label: str) -> None:
    raw = dev_pki.cert(label).read_bytes()
    cert = x509.Certificate.load(pem.unarmor(raw)[2])
    SqlWorkflowStore(api.state_dir / "workflow.sqlite3").register_certificate(
        client, cert.sha256.hex(), cert.subject.human_friendly)


def _all_valid(data: bytes, dev_pki, count: int) -> None:
    statuses = pyhanko_statuses(data, dev_pki.cert("root"), [dev_pki.cert("interm")])
    assert len(statuses) == count
    assert all(s.intact and s.valid and s.trusted for _, s in statuses)


@pytest.mark.parametrize("params", [
    {"eservice": "copy"},                                       # the reported bypass
    {"eservice": "copy", "profile": "text"},                    # visible, not the copy stamp
    {"eservice": "level4", "level": "B-LT"},                    # the plain 409 of the report
    {"eservice": "copy", "profile": "copy", "copy_kind": "sao-y", "agency": AGENCY},
    {"profile": "attachment", "doc_number": "12/QĐ-UBND"},     # agency-only stamp by the portal
])
def test_portal_never_seals_a_document_no_official_signed(prod, params):
    resp = _sign(prod, "portal", **params)
    _refused_and_audited(prod, resp, 409, "seal-before-official", "eservice.seal-after-official")


def test_the_clerks_copy_stamp_is_the_exemption(prod, dev_pki):
    resp = _sign(prod, "clerk", profile="copy", copy_kind="sao-y", agency=AGENCY,
                 eservice="copy")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    _all_valid(resp.data, dev_pki, 1)
    # the clerk's seal without the copy stamp is not exempt, whatever ?eservice says
    resp = _sign(prod, "clerk", eservice="copy")
    _refused_and_audited(prod, resp, 409, "seal-before-official", "eservice.seal-after-official")


def test_only_a_registered_officials_certificate_counts(prod, dev_pki):
    signed_by_an = _signed_by_official(dev_pki)
    # Nguyễn Văn An's certificate is not registered to anyone yet: not an official's signature
    _refused_and_audited(prod, _sign(prod, "portal", data=signed_by_an), 409,
                         "seal-before-official", "eservice.seal-after-official")
    # registered to a portal client: still not an official's
    _register(prod, "portal-2", dev_pki, "official-an")
    _refused_and_audited(prod, _sign(prod, "portal", data=signed_by_an), 409,
                         "seal-before-official", "eservice.seal-after-official")
    # registered to the official 'an': the seal follows his valid signature
    _register(prod, "an", dev_pki, "official-an")
    resp = _sign(prod, "portal", data=signed_by_an, eservice="level4", level="B-LT")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    _all_valid(resp.data, dev_pki, 2)
    (record,) = [r for r in prod.services.audit.list(limit=10000)
                 if r.request_id == resp.headers["X-Request-Id"]]
    assert "eservice.seal-after-official" in record.details["policy_passed"].split(",")


def test_a_portal_cannot_satisfy_the_rule_with_its_own_certificate(prod, dev_pki):
    # the portal signs with its software key (valid, trusted, not a seal key) ...
    first = _sign(prod, "portal", key="dev-software")
    assert first.status_code == 200, first.get_data(as_text=True)
    _all_valid(first.data, dev_pki, 1)
    # ... or with the seal itself (as a clerk's copy): neither is an official's signature
    copy = _sign(prod, "clerk", profile="copy", copy_kind="sao-y", agency=AGENCY)
    assert copy.status_code == 200
    for data in (first.data, copy.data):
        _refused_and_audited(prod, _sign(prod, "portal", data=data), 409,
                             "seal-before-official", "eservice.seal-after-official")


def _decide(prior, **params):
    from signsvc.policy.rules import CATALOGUE
    from tests.unit.policy.test_policy_rules import facts

    p = {**CATALOGUE["eservice.seal-after-official"].params, **params}
    policy = Policy("t", "0" * 64, "level3",
                    (ConfiguredRule("eservice.seal-after-official", "deny", p),))
    return evaluate(policy, facts(prior_signatures=prior, key_kind="agency-seal"))


def test_the_personal_signature_policy_counts_when_configured():
    personal = PriorSignature("Nguyễn Văn An", valid=True, official=False,
                              policy_oids=frozenset({"1.2.704.1.1"}))
    assert not _decide((personal,)).allowed                     # no OID configured: not enough
    assert _decide((personal,), official_policy_oids=["1.2.704.1.1"]).allowed
    assert not _decide((PriorSignature("x", valid=False, official=False,
                                       policy_oids=frozenset({"1.2.704.1.1"})),),
                       official_policy_oids=["1.2.704.1.1"]).allowed   # an invalid one never
    assert not _decide((PriorSignature("seal", valid=True, official=False),),
                       official_policy_oids=["1.2.704.1.1"]).allowed
