"""The three-step browser signing API with the official's real (SoftHSM2) token.

The token is driven here the way the local agent drives it (raw mechanisms over the hash);
every binding of design/browser-signing.md has a test."""

from __future__ import annotations

import base64
import hashlib
import sqlite3

import pkcs11
import pytest
from pkcs11 import MGF, Attribute, Mechanism, ObjectClass

from signsvc.adapters.pkcs11_keys import module_for
from signsvc.adapters.workflow_sql import SqlWorkflowStore
from signsvc.services.context import RequestContext
from tests.conftest import REPO, build_api
from tests.support.pdfs import make_pdf
from tests.support.tools import pdfsig
from tests.support.validate import pyhanko_statuses

DIGEST_INFO_SHA256 = bytes.fromhex("3031300d060960864801650304020105000420")
SHIPPED = (REPO / "config" / "policy.toml").read_text()


def token_sign(dev_pki, token: str, session: dict, key_label: str | None = None) -> str:
    """What the local agent does: sign the hash with the token's raw mechanism."""
    digest = base64.b64decode(session["hash"])
    lib = module_for(dev_pki.softhsm_module).lib()
    tok = lib.get_token(token_label=token)
    try:
        s = tok.open(user_pin=dev_pki.secret(f"{token}.pin"))
    except pkcs11.exceptions.UserAlreadyLoggedIn:
        s = tok.open()
    with s:
        key = next(s.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY,
                                  Attribute.LABEL: key_label or token}))
        algo = session["signature_algorithm"]
        if algo == "rsassa_pss":
            raw = key.sign(digest, mechanism=Mechanism.RSA_PKCS_PSS,
                           mechanism_param=(Mechanism.SHA256, MGF.SHA256, session["pss_salt_length"]))
        elif algo == "rsassa_pkcs1v15":
            raw = key.sign(DIGEST_INFO_SHA256 + digest, mechanism=Mechanism.RSA_PKCS)
        else:
            raw = key.sign(digest, mechanism=Mechanism.ECDSA)  # raw r||s
    return base64.b64encode(raw).decode()


def cert_b64(dev_pki, label: str) -> str:
    from tests.support.validate import load_cert
    return base64.b64encode(load_cert(dev_pki.cert(label)).dump()).decode()


@pytest.fixture
def flow(tmp_path, dev_pki, responders):
    policy = tmp_path / "policy.toml"
    policy.write_text(SHIPPED.replace("allow_pkcs1v15 = false", "allow_pkcs1v15 = true"))
    api = build_api(tmp_path / "state", POLICY__PATH=str(policy))
    setup = RequestContext("t", "tests", "admin")
    for name in ("an", "binh"):
        _, api.tokens[name] = api.services.clients.create(name, "official", (), setup)
    store = SqlWorkflowStore(tmp_path / "state" / "workflow.sqlite3")
    from tests.support.validate import load_cert
    for name, label in (("an", "official-an"), ("binh", "official-binh")):
        store.register_certificate(name, load_cert(dev_pki.cert(label)).sha256.hex(), label)
    api.store = store
    yield api
    api.services.shutdown()


def new_document(api, assignee="an", title="Quyết định cấp phép", number="123/QĐ-UBND") -> dict:
    resp = api.client.post("/v1/documents", data={"file": (__import__("io").BytesIO(make_pdf(2)), "d.pdf"),
                                                  "title": title, "number": number, "assignee": assignee},
                           headers=api.headers("portal"), content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def start(api, who: str, doc: dict, label: str, **extra) -> dict:
    resp = api.client.post("/v1/signing-sessions", headers=api.headers(who),
                           json={"document_id": doc["id"], "certificate": extra.pop("cert", None)
                                 or cert_b64(api.dev_pki, label), **extra})
    return resp


def finish(api, who: str, session: dict, signature: str, **extra):
    return api.client.post(f"/v1/signing-sessions/{session['id']}/signature", headers=api.headers(who),
                           json={"signature": signature, **extra})


@pytest.fixture(autouse=True)
def _attach_pki(request, dev_pki):
    if "flow" in request.fixturenames:
        request.getfixturevalue("flow").dev_pki = dev_pki


@pytest.mark.parametrize("who,label,padding,algo", [
    ("an", "official-an", "pss", "rsassa_pss"),
    ("an", "official-an", "pkcs1v15", "rsassa_pkcs1v15"),
    ("binh", "official-binh", "pss", "ecdsa"),
])
def test_three_steps_produce_a_valid_signature(flow, dev_pki, tmp_path, who, label, padding, algo):
    doc = new_document(flow, assignee=who)
    listed = flow.client.get("/v1/documents", headers=flow.headers(who)).get_json()["documents"]
    assert [d["id"] for d in listed] == [doc["id"]]
    resp = start(flow, who, doc, label, level="B-T", rsa_padding=padding)
    assert resp.status_code == 201, resp.get_json()
    session = resp.get_json()
    assert session["signature_algorithm"] == algo and session["hash_algorithm"] == "sha256"
    assert session["document"] == {**session["document"], "title": "Quyết định cấp phép",
                                   "number": "123/QĐ-UBND", "pages": 2, "sha256": doc["sha256"]}
    assert hashlib.sha256(base64.b64decode(session["data_to_sign"])).digest() == \
        base64.b64decode(session["hash"])
    done = finish(flow, who, session, token_sign(dev_pki, label, session))
    assert done.status_code == 200, done.get_json()
    signed = done.data
    original = flow.client.get(f"/v1/documents/{doc['id']}/content", headers=flow.headers("portal"))
    assert original.data == signed and original.headers["X-Document-Revision"] == "2"
    (sig, status), = pyhanko_statuses(signed, dev_pki.cert("root"), [dev_pki.cert("interm")])
    assert status.intact and status.valid and status.trusted
    assert status.timestamp_validity is not None and status.timestamp_validity.valid
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    (ps,) = pdfsig(path, dev_pki.nssdb)
    assert ps.signature_valid and ps.certificate_trusted
    # every step audited with the certificate, the hashes and the hash that was signed
    prepared = flow.services.audit.list(action="signing:session:prepared")[-1]
    signed_rec = flow.services.audit.list(action="signing:document:signed")[-1]
    assert prepared.details["hash_to_sign"] == base64.b64decode(session["hash"]).hex()
    assert signed_rec.details["hash_signed"] == prepared.details["hash_to_sign"]
    assert signed_rec.output_sha256 == hashlib.sha256(signed).hexdigest()
    assert signed_rec.input_sha256 == doc["sha256"] == prepared.input_sha256
    assert signed_rec.certificate_sha256 == prepared.certificate_sha256


def test_bindings(flow, dev_pki):
    doc = new_document(flow)
    s1 = start(flow, "an", doc, "official-an").get_json()
    sig1 = token_sign(dev_pki, "official-an", s1)
    # another user's session does not exist for them
    other = finish(flow, "binh", s1, sig1)
    assert other.status_code == 404 and other.get_json()["code"] == "session-not-found"
    assert flow.client.get(f"/v1/signing-sessions/{s1['id']}", headers=flow.headers("binh")).status_code == 404
    # a signature by a different (RSA) key is refused and nothing is embedded
    wrong = finish(flow, "an", s1, token_sign(dev_pki, "signsvc-dev", s1, key_label="agency-seal"))
    assert wrong.status_code == 400 and wrong.get_json()["code"] == "signature-invalid"
    # the session is spent by a failed attempt too: replay is refused
    again = finish(flow, "an", s1, sig1)
    assert again.status_code == 409 and again.get_json()["code"] == "session-used"

    # certificate at step 3 must be the one of step 1
    s2 = start(flow, "an", doc, "official-an").get_json()
    mismatch = finish(flow, "an", s2, token_sign(dev_pki, "official-an", s2),
                      certificate=cert_b64(dev_pki, "official-binh"))
    assert mismatch.status_code == 409 and mismatch.get_json()["code"] == "certificate-mismatch"

    # stale revision: two sessions on revision 1; the second to finish gets 409
    a = start(flow, "an", doc, "official-an").get_json()
    b = start(flow, "an", doc, "official-an").get_json()
    assert finish(flow, "an", a, token_sign(dev_pki, "official-an", a)).status_code == 200
    stale = finish(flow, "an", b, token_sign(dev_pki, "official-an", b))
    assert stale.status_code == 409 and stale.get_json()["code"] == "stale-revision"
    assert flow.client.get(f"/v1/documents/{doc['id']}", headers=flow.headers("an")).get_json()["revision"] == 2


def test_expiry_tampering_registration_and_restart(flow, dev_pki, tmp_path):
    doc = new_document(flow)
    db = sqlite3.connect(tmp_path / "state" / "workflow.sqlite3")
    # expiry
    s = start(flow, "an", doc, "official-an").get_json()
    db.execute("UPDATE signing_sessions SET expires_at = '2000-01-01T00:00:00+00:00' WHERE id = ?", (s["id"],))
    db.commit()
    status = flow.client.get(f"/v1/signing-sessions/{s['id']}", headers=flow.headers("an"))
    assert status.get_json()["state"] == "expired"
    expired = finish(flow, "an", s, token_sign(dev_pki, "official-an", s))
    assert expired.status_code == 410 and expired.get_json()["code"] == "session-expired"
    # the prepared document changed in storage
    s = start(flow, "an", doc, "official-an").get_json()
    blob = bytearray(db.execute("SELECT prepared_pdf FROM signing_sessions WHERE id = ?", (s["id"],)).fetchone()[0])
    blob[100] ^= 1
    db.execute("UPDATE signing_sessions SET prepared_pdf = ? WHERE id = ?", (bytes(blob), s["id"]))
    db.commit()
    changed = finish(flow, "an", s, token_sign(dev_pki, "official-an", s))
    assert changed.status_code == 409 and changed.get_json()["code"] == "prepared-document-changed"
    # a certificate not registered to this account
    unreg = start(flow, "an", doc, "official-binh")
    assert unreg.status_code == 403 and unreg.get_json()["code"] == "certificate-not-registered"
    # a document assigned to someone else
    theirs = new_document(flow, assignee="binh")
    assert start(flow, "an", theirs, "official-an").status_code == 404
    # cancel
    s = start(flow, "an", doc, "official-an").get_json()
    assert flow.client.delete(f"/v1/signing-sessions/{s['id']}", headers=flow.headers("an")).status_code == 204
    assert finish(flow, "an", s, token_sign(dev_pki, "official-an", s)).get_json()["code"] == "session-used"
    # sessions live in the database: a new service instance completes a session of the old one
    s = start(flow, "an", doc, "official-an").get_json()
    sig = token_sign(dev_pki, "official-an", s)
    policy = tmp_path / "policy.toml"
    second = build_api(tmp_path / "state2-unused", with_clients=False, POLICY__PATH=str(policy),
                       SERVICE__STATE_DIR=str(tmp_path / "state"),
                       AUDIT__PATH=str(tmp_path / "state" / "audit.sqlite3"))
    try:
        second.tokens.update(flow.tokens)
        done = second.client.post(f"/v1/signing-sessions/{s['id']}/signature",
                                  headers=second.headers("an"), json={"signature": sig})
        assert done.status_code == 200, done.get_json()
    finally:
        second.services.shutdown()
    rejected = [r.error_code for r in flow.services.audit.list(action="signing:session:rejected", limit=100)]
    for code in ("session-expired", "prepared-document-changed", "certificate-not-registered", "session-used"):
        assert code in rejected
    assert flow.services.audit.verify().ok


def test_step_one_applies_the_policy(flow, dev_pki):
    doc = new_document(flow)
    resp = start(flow, "an", doc, "official-an", level="B-B", eservice="level4")
    # the development policy warns (not denies) on level profiles: the warning is returned
    assert resp.status_code == 201 and "eservice.minimum-level" in resp.get_json()["policy_warnings"]
    bad = flow.client.post("/v1/signing-sessions", headers=flow.headers("an"),
                           json={"document_id": doc["id"], "certificate": "not base64!"})
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "certificate"
    portal = flow.client.post("/v1/signing-sessions", headers=flow.headers("auditor"),
                              json={"document_id": doc["id"]})
    assert portal.status_code == 403
