"""The information-security policy through the API, on real inputs: SoftHSM2 keys, the
test PKI with a revoked certificate served by the OCSP responder, real PDFs."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest

from tests.conftest import REPO, build_api
from tests.support.pdfs import make_pdf
from tests.support.validate import pyhanko_statuses

HDR = {"Content-Type": "application/pdf"}
SHIPPED = (REPO / "config" / "policy.toml").read_text()


def edited(text: str, **changes: str) -> str:
    for pattern, repl in changes.items():
        text, n = re.subn(pattern, repl, text, flags=re.M)
        assert n == 1, pattern
    return text


def strict_policy(**changes: str) -> str:
    """The shipped policy with the development 'warn' levels set to 'deny' and edits."""
    text = SHIPPED.replace('[rules."eservice.minimum-level"]\nlevel = "warn"',
                           '[rules."eservice.minimum-level"]\nlevel = "deny"')
    text = text.replace('[rules."eservice.seal-after-official"]\nlevel = "warn"',
                        '[rules."eservice.seal-after-official"]\nlevel = "deny"')
    for pattern, repl in changes.items():
        text, n = re.subn(pattern, repl, text, flags=re.M)
        assert n == 1, pattern
    return text


def api_with(tmp_path: Path, policy: str, **overrides: str):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "policy.toml"
    path.write_text(policy)
    return build_api(tmp_path / "state", POLICY__PATH=str(path), **overrides)


def sign(api, key="agency-seal", level="B-T", data=None, who="portal", **params):
    return api.client.post("/v1/sign", query_string={"key": key, "level": level, **params},
                           data=data if data is not None else make_pdf(),
                           headers=api.headers(who, **HDR))


def denied(resp, rule: str, status: int = 403, code: str = "policy-denied") -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["code"] == code and body["rule"] == rule
    assert rule in body["detail_vi"] and rule in body["detail_en"]
    return body


@pytest.fixture
def strict(tmp_path, dev_pki, responders):
    api = api_with(tmp_path, strict_policy())
    yield api
    api.services.shutdown()


def test_level_profiles_and_seal_after_official(strict, dev_pki):
    # level 4 needs B-LT or better
    denied(sign(strict, key="dev-software", level="B-T", eservice="level4"), "eservice.minimum-level")
    # the agency seal on a document no official signed: 409 seal-before-official
    body = denied(sign(strict, key="agency-seal"), "eservice.seal-after-official", 409,
                  "seal-before-official")
    assert "32.2" in body["detail_en"]
    # ?eservice=copy alone is no exemption (issue 11): only the clerk's copy stamp is
    # (tests/integration/test_seal_rule.py)
    denied(sign(strict, key="agency-seal", eservice="copy"), "eservice.seal-after-official", 409,
           "seal-before-official")

    # an official signs with their own SoftHSM2 token first (his certificate registered to
    # his official account), then the seal is accepted
    from signsvc.adapters.workflow_sql import SqlWorkflowStore
    from signsvc.services.context import RequestContext
    from tests.support.validate import load_cert

    strict.services.clients.create("an", "official", (), RequestContext("t", "tests", "admin"))
    SqlWorkflowStore(strict.state_dir / "workflow.sqlite3").register_certificate(
        "an", load_cert(dev_pki.cert("official-an")).sha256.hex(), "official-an")
    official_pdf = _signed_by_official(dev_pki)
    resp = sign(strict, key="agency-seal", data=official_pdf)
    assert resp.status_code == 200, resp.get_json()
    statuses = pyhanko_statuses(resp.data, dev_pki.cert("root"), [dev_pki.cert("interm")])
    assert len(statuses) == 2 and all(s.intact and s.valid and s.trusted for _, s in statuses)
    # the audit record of the seal names the policy and the rules that allowed it
    seq = int(resp.headers["X-Audit-Sequence"])
    (rec,) = strict.services.audit.list(after_sequence=seq - 1, limit=1)
    assert rec.details["policy_sha256"] == resp.headers["X-Policy-SHA256"]
    assert rec.details["policy_sha256"] == strict.services.policy.policy.sha256
    assert rec.details["policy_version"] == resp.headers["X-Policy-Version"] == "2026.11-dev"
    report = strict.client.post("/v1/verify", data=resp.data, headers=strict.headers("auditor", **HDR))
    assert report.get_json()["policy_sha256"] == resp.headers["X-Policy-SHA256"]
    assert report.get_json()["policy_version"] == "2026.11-dev"
    assert "eservice.seal-after-official" in rec.details["policy_passed"].split(",")
    assert "cert.revocation" in rec.details["policy_passed"].split(",")


def _signed_by_official(dev_pki) -> bytes:
    """A PDF signed by 'Nguyễn Văn An' with the key on his own SoftHSM2 token."""
    import pkcs11
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.pkcs11 import PKCS11Signer

    from signsvc.adapters.pkcs11_keys import module_for

    # pyHanko's PKCS11Signer on a session of the process's one module (see module_for)
    token = module_for(dev_pki.softhsm_module).lib().get_token(token_label="official-an")
    try:
        session = token.open(user_pin=dev_pki.secret("official-an.pin"))
    except pkcs11.exceptions.UserAlreadyLoggedIn:
        session = token.open()
    out = io.BytesIO()
    with session:
        signer = PKCS11Signer(session, cert_label="official-an", key_label="official-an",
                              other_certs_to_pull=())
        signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(make_pdf())),
                         signers.PdfSignatureMetadata(field_name="Official",
                                                      subfilter=fields.SigSeedSubFilter.PADES),
                         signer=signer, output=out)
    return out.getvalue()


def test_revoked_certificate_is_refused(tmp_path, dev_pki, responders):
    api = api_with(tmp_path, SHIPPED, **{
        "KEYS__REVOKED__BACKEND": "software",
        "KEYS__REVOKED__KEY_PEM": str(dev_pki.keys / "revoked-signer.key.pem"),
        "KEYS__REVOKED__CERT_PEM": str(dev_pki.cert("revoked-signer")),
        "KEYS__REVOKED__CHAIN_PEM": f'["{dev_pki.cert("interm")}"]',
        "KEYS__UNTRUSTED__BACKEND": "software",
        "KEYS__UNTRUSTED__KEY_PEM": str(dev_pki.keys / "untrusted-root.key.pem"),
        "KEYS__UNTRUSTED__CERT_PEM": str(dev_pki.cert("untrusted-root"))})
    try:
        from signsvc.services.context import RequestContext
        _, token = api.services.clients.create("uses-revoked", "portal", ("revoked", "untrusted"),
                                               RequestContext("t", "tests", "admin"))
        api.tokens["uses-revoked"] = token
        before = api.services.audit.verify().checked
        body = denied(sign(api, key="revoked", who="uses-revoked"), "cert.revocation")
        # (the untrusted self-signed key is refused for its chain)
        denied(sign(api, key="untrusted", who="uses-revoked"), "cert.chain")
        assert "revoked" in body["detail_en"]
        rec = api.services.audit.list(after_sequence=before)[0]
        assert rec.action == "policy:rule:denied" and rec.details["rule"] == "cert.revocation"
        assert rec.details["fact_revocation"] == "revoked"
    finally:
        api.services.shutdown()


def test_rsa_padding_switch_and_software_keys_in_production(tmp_path, dev_pki, responders):
    api = api_with(tmp_path, SHIPPED, SERVICE__PROFILE="production")
    try:
        denied(sign(api, key="dev-software"), "custody.software-keys")
    finally:
        api.services.shutdown()
    api = api_with(tmp_path / "a", SHIPPED, KEYS__DEV_SOFTWARE__RSA_PADDING="pkcs1v15")
    try:
        denied(sign(api, key="dev-software"), "crypto.rsa-padding")
    finally:
        api.services.shutdown()
    allowed = edited(SHIPPED, **{r"^allow_pkcs1v15 = false$": "allow_pkcs1v15 = true",
                                 r"^allow_software_keys = false$": "allow_software_keys = true"})
    api = api_with(tmp_path / "b", allowed, KEYS__DEV_SOFTWARE__RSA_PADDING="pkcs1v15",
                   SERVICE__PROFILE="production")
    try:
        resp = sign(api, key="dev-software")
        assert resp.status_code == 200, resp.get_json()
        assert resp.headers["X-Key-Protection"] == "software"
        (sig, status), = pyhanko_statuses(resp.data, dev_pki.cert("root"), [dev_pki.cert("interm")])
        assert sig.signer_info["signature_algorithm"]["algorithm"].native == "sha256_rsa"
        assert status.valid and status.trusted
        rec = api.services.audit.list(action="signing:document:signed")[-1]
        assert rec.details["key_protection"] == "software"
        assert "crypto.rsa-padding" in rec.details["policy_passed"]
    finally:
        api.services.shutdown()


def test_documents_with_active_content(api):
    from tests.support import hostile_pdfs as h

    denied(sign(api, key="dev-software", data=h.open_action_javascript()), "document.javascript")
    denied(sign(api, key="dev-software", data=h.launch_action_link()), "document.launch-actions")
    denied(sign(api, key="dev-software", data=h.xfa_form()), "document.xfa")
    resp = sign(api, key="dev-software", data=h.embedded_file())
    assert resp.status_code == 200  # embedded files are "warn" in the shipped policy
    assert "document.embedded-files" in resp.headers["X-Policy-Warnings"].split(",")


def test_rate_limit_and_clock(tmp_path, dev_pki, responders):
    policy = edited(SHIPPED, **{r"^max_skew_seconds = 2.0$": "max_skew_seconds = 0.0"})
    api = api_with(tmp_path, policy)
    try:
        # first B-T: no TSA response seen yet, so the clock rule is skipped; the TSA's genTime
        # (whole seconds) then differs from the local clock by more than 0 s
        assert sign(api, key="dev-software", level="B-B").status_code == 200
        first = sign(api, key="dev-software", level="B-T")
        assert first.status_code == 200
        denied(sign(api, key="dev-software", level="B-T"), "clock.tsa-skew")
    finally:
        api.services.shutdown()
    api = api_with(tmp_path / "r", edited(SHIPPED, **{r"^per_minute = 600$": "per_minute = 2"}))
    try:
        assert sign(api, key="dev-software", level="B-B").status_code == 200
        assert sign(api, key="dev-software", level="B-B").status_code == 200
        body = denied(sign(api, key="dev-software", level="B-B"), "rate.client")
        assert "2" in body["detail_en"]
    finally:
        api.services.shutdown()


def test_policy_endpoints(api):
    policy = api.services.policy.policy
    resp = api.client.get("/v1/policy", headers=api.headers("auditor"))
    body = resp.get_json()
    assert body["sha256"] == policy.sha256 == hashlib.sha256(SHIPPED.encode()).hexdigest()
    assert body["version"] == "2026.11-dev" and body["text"] == SHIPPED
    assert api.client.get("/v1/policy", headers=api.headers("portal")).status_code == 403

    before = len(api.services.audit.list(action="signing:document:signed", limit=1000))
    from tests.support import hostile_pdfs as h
    ev = api.client.post("/v1/policy/evaluate", query_string={"key": "agency-seal", "level": "B-B",
                                                               "eservice": "level4"},
                         data=h.open_action_javascript(), headers=api.headers("portal", **HDR))
    assert ev.status_code == 200
    d = ev.get_json()
    assert d["decision"] == "deny" and d["denied_by"] == "document.javascript"
    outcomes = {r["rule"]: r["outcome"] for r in d["rules"]}
    assert set(outcomes) == {r.id for r in policy.rules}
    assert outcomes["eservice.minimum-level"] == "fail" and outcomes["cert.chain"] == "pass"
    assert d["facts"]["document"]["javascript"] and d["facts"]["certificate"]["revocation"] == "good"
    # an admin can ask on behalf of another client; the official role may not use the seal
    from signsvc.services.context import RequestContext
    api.services.clients.create("an-official", "official", ("agency-seal",),
                                RequestContext("t", "tests", "admin"))
    ev2 = api.client.post("/v1/policy/evaluate?key=agency-seal&level=B-T&client=an-official",
                          headers=api.headers("admin")).get_json()
    assert {r["rule"]: r["outcome"] for r in ev2["rules"]}["custody.seal-roles"] == "fail"
    # the document's facts can be given instead of the PDF
    ev3 = api.client.post("/v1/policy/evaluate?key=dev-software&level=B-T", headers=api.headers("portal"),
                          json={"document": {"size": 5000, "pages": 3, "xfa": True,
                                             "embedded_files": ["a.xml"]}}).get_json()
    assert ev3["denied_by"] == "document.xfa" and "document.embedded-files" in ev3["warnings"]
    bad = api.client.post("/v1/policy/evaluate?key=dev-software", headers=api.headers("portal"),
                          json={"document": {"size": "big", "pages": 1}})
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "document"
    # the text of the policy in force can be fetched by its hash
    by_hash = api.client.get(f"/v1/policy?sha256={policy.sha256}", headers=api.headers("auditor"))
    assert by_hash.get_json()["text"] == SHIPPED
    assert api.client.get("/v1/policy?sha256=" + "0" * 64,
                          headers=api.headers("auditor")).status_code == 404
    # nothing was signed by the dry runs, and they were audited
    assert len(api.services.audit.list(action="signing:document:signed", limit=1000)) == before
    assert api.services.audit.list(action="policy:decision:evaluated")


def test_every_audit_record_names_the_policy(api):
    sign(api, key="dev-software")
    sha = api.services.policy.policy.sha256
    records = api.services.audit.list(limit=1000)
    stamped = [r for r in records if r.action != "policy:policy:loaded"]
    assert stamped and all(r.details.get("policy_sha256") == sha for r in stamped)
