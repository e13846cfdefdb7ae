"""Batch verification of incoming documents (VAL-9, Decree 30/2020 art. 21.2) through
``POST /v1/verify/batch`` and ``signsvc verify --batch``: one ``accept``/``return`` per
file with the reason in Vietnamese and English, one audit record per file, bounds checked
before anything is verified.

The mix: a document signed by the development key (valid), the same with a sticky note
added after signing (valid_modified_after), with a page added (invalid: the ISA), with a
byte of the signed content flipped (tampered), an unsigned PDF, an encrypted PDF, a text
file and a truncated PDF.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess

import pytest

from tests.conftest import REPO, build_api
from tests.support import attack_pdfs as A
from tests.support.pdfs import make_encrypted_pdf, make_pdf
from tests.support.tools import pdfsig

SIGNSVC = str(REPO / ".venv" / "bin" / "signsvc")


def tampered(signed: bytes) -> bytes:
    """One byte of the signed page text changed in place (same length, ranges intact)."""
    at = signed.index(A.VISIBLE_TEXT)
    return signed[:at] + bytes([signed[at] ^ 0x01]) + signed[at + 1:]


@pytest.fixture(scope="module")
def docs(dev_pki):
    form = A.base_pdf()
    signed = A.sign(form.data)
    return {
        "valid.pdf": signed,
        "note-after.pdf": A.evil_annotation(signed, "/Text"),
        "page-added.pdf": A.isa_new_page(signed),
        "tampered.pdf": tampered(signed),
        "unsigned.pdf": make_pdf(),
        "encrypted.pdf": make_encrypted_pdf(),
        "readme.txt": "Đây không phải PDF".encode(),
        "truncated.pdf": signed[: len(signed) // 3],
    }


EXPECTED = {  # name -> (decision, verdict, error_code)
    "valid.pdf": ("accept", "valid", None),
    "note-after.pdf": ("return", "valid_modified_after", None),
    "page-added.pdf": ("return", "invalid", None),
    "tampered.pdf": ("return", "invalid", None),
    "unsigned.pdf": ("return", "unsigned", None),
    "encrypted.pdf": ("return", None, "encrypted-pdf"),
    "readme.txt": ("return", None, "not-a-pdf"),
    "truncated.pdf": ("return", None, "malformed-pdf"),
}


def post(api, files, who="clerk"):
    data = {"file": [(io.BytesIO(content), name) for name, content in files]}
    return api.client.post("/v1/verify/batch", data=data, headers=api.headers(who),
                           content_type="multipart/form-data")


def test_signed_sample_is_valid_for_poppler(docs, dev_pki, tmp_path):
    path = tmp_path / "valid.pdf"
    path.write_bytes(docs["valid.pdf"])
    (ps,) = pdfsig(path, dev_pki.nssdb)
    assert ps.signature_valid and ps.certificate_trusted


def test_mixed_batch(api, docs):
    before = api.services.audit.list(after_sequence=0)[-1].sequence
    resp = post(api, list(docs.items()))
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    body = resp.get_json()
    got = {r["name"]: (r["decision"], r["verdict"], r["error_code"]) for r in body["results"]}
    assert got == EXPECTED
    assert [r["name"] for r in body["results"]] == list(docs)   # the order sent
    assert body["accepted"] == 1 and body["returned"] == 7
    assert body["policy_sha256"] == api.services.policy.policy.sha256
    by_name = {r["name"]: r for r in body["results"]}
    for name, r in by_name.items():
        assert r["sha256"] == hashlib.sha256(docs[name]).hexdigest()
        assert r["reason"]["vi"] and r["reason"]["en"]
        assert r["reason"]["vi"].startswith("Chấp nhận" if r["decision"] == "accept" else "Trả lại")
        assert r["reason"]["en"].startswith("Accepted" if r["decision"] == "accept" else "Returned")
        assert (r["report"] is None) == (r["verdict"] is None)
    assert by_name["valid.pdf"]["report"]["signatures"][0]["revision"] == 2
    assert "“không hợp lệ”" in by_name["tampered.pdf"]["reason"]["vi"]
    assert "only “valid” documents are accepted" in by_name["page-added.pdf"]["reason"]["en"]
    assert by_name["page-added.pdf"]["returned_by"] == "intake.accepted-verdicts"
    assert "mã hóa" in by_name["encrypted.pdf"]["reason"]["vi"]
    assert "not a PDF" in by_name["readme.txt"]["reason"]["en"]
    # one audit record per file, in order, with its hash, verdict and decision
    records = [r for r in api.services.audit.list(after_sequence=before)
               if r.action.startswith("validation:batch:")]
    assert [r.input_sha256 for r in records] == [hashlib.sha256(d).hexdigest() for d in docs.values()]
    assert [r.action.rsplit(":", 1)[1] for r in records] == [
        "accepted" if EXPECTED[n][0] == "accept" else "returned" for n in docs]
    assert {r.details["batch"] for r in records} == {body["batch_id"]}
    assert records[3].details["verdict"] == "invalid" and records[6].error_code == "not-a-pdf"
    assert all(r.actor == "clerk" for r in records)


def test_documented(api):
    doc = api.client.get("/openapi.json").get_json()
    assert "multipart/form-data" in doc["paths"]["/v1/verify/batch"]["post"]["requestBody"]["content"]
    assert "BatchResult" in doc["components"]["schemas"]


def test_any_verifying_role(api, docs):
    for who in ("portal", "auditor", "admin"):
        resp = post(api, [("valid.pdf", docs["valid.pdf"])], who=who)
        assert resp.status_code == 200 and resp.get_json()["accepted"] == 1
    resp = api.client.post("/v1/verify/batch", data={"file": [(io.BytesIO(b"%PDF-"), "a.pdf")]},
                           content_type="multipart/form-data")
    assert resp.status_code == 401


def test_bounds_refuse_the_whole_batch(tmp_path, dev_pki, responders, docs):
    api = build_api(tmp_path, service__batch_max_files="3", service__batch_max_bytes="40000")
    try:
        before = api.services.audit.list(after_sequence=0)[-1].sequence
        too_many = post(api, [(f"{i}.pdf", docs["unsigned.pdf"]) for i in range(4)])
        assert too_many.status_code == 413 and too_many.mimetype == "application/problem+json"
        problem = too_many.get_json()
        assert "tối đa 3" in problem["detail"] and "at most 3" in problem["detail"]
        too_big = post(api, [("a.pdf", docs["valid.pdf"]), ("b.pdf", os.urandom(30000))])
        assert too_big.status_code == 413 and "MiB" in too_big.get_json()["detail"]
        empty = api.client.post("/v1/verify/batch", data={"x": "1"}, headers=api.headers("clerk"),
                                content_type="multipart/form-data")
        assert empty.status_code == 400
        raw = api.client.post("/v1/verify/batch", data=docs["valid.pdf"],
                              headers=api.headers("clerk", **{"Content-Type": "application/pdf"}))
        assert raw.status_code == 415
        records = api.services.audit.list(after_sequence=before)
        assert [r.action for r in records] == ["validation:batch:rejected"] * 4
        assert [r.error_code for r in records] == ["document-too-large", "document-too-large",
                                                    "bad-request", "unsupported-media-type"]
        # within the bounds the same service answers
        assert post(api, [("a.pdf", docs["valid.pdf"])]).status_code == 200
    finally:
        api.services.shutdown()


def test_policy_may_accept_more_verdicts(tmp_path, dev_pki, responders, docs):
    """An agency that takes documents annotated after signing says so in the policy."""
    text = (REPO / "config" / "policy.toml").read_text(encoding="utf-8")
    policy = tmp_path / "policy.toml"
    policy.write_text(text.replace('accept = ["valid"]', 'accept = ["valid", "valid_modified_after"]'),
                      encoding="utf-8")
    api = build_api(tmp_path, policy__path=str(policy))
    try:
        body = post(api, [("n.pdf", docs["note-after.pdf"]), ("p.pdf", docs["page-added.pdf"])]).get_json()
        assert [r["decision"] for r in body["results"]] == ["accept", "return"]
        assert body["policy_sha256"] == hashlib.sha256(policy.read_bytes()).hexdigest()
    finally:
        api.services.shutdown()


def _run(args, env):
    return subprocess.run([SIGNSVC, *args], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=300)


def test_cli_batch(tmp_path, dev_pki, responders, docs):
    env = {**os.environ, "SIGNSVC_SERVICE__STATE_DIR": str(tmp_path / "state"),
           "SIGNSVC_AUDIT__PATH": str(tmp_path / "state" / "audit.sqlite3"),
           "SIGNSVC_AUDIT__CHECKPOINT_KEY": ""}
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    for name, content in docs.items():
        (incoming / name).write_bytes(content)
    extra = tmp_path / "extra-valid.pdf"
    extra.write_bytes(docs["valid.pdf"])

    mixed = _run(["verify", "--batch", str(incoming), str(extra)], env)
    assert mixed.returncode == 1, mixed.stderr
    out = mixed.stdout
    assert "Quyết định / Decision" in out and "trả lại / return" in out
    assert "Tiếp nhận / accepted: 2; trả lại / returned: 7" in out
    assert "   Trả lại: nội dung gửi lên không phải là tệp PDF.\n" in out
    assert "   Returned: the uploaded content is not a PDF file.\n" in out
    lines = {line.split()[1]: line for line in out.splitlines()[2:11]}
    assert "tiếp nhận / accept" in lines["valid.pdf"] and "valid" in lines["valid.pdf"]
    assert "invalid" in lines["tampered.pdf"] and "trả lại" in lines["tampered.pdf"]

    only_valid = _run(["verify", "--batch", str(extra), "--json"], env)
    assert only_valid.returncode == 0, only_valid.stderr
    body = json.loads(only_valid.stdout)
    assert body["accepted"] == 1 and body["results"][0]["report"]["verdict"] == "valid"

    over = _run(["verify", "--batch", str(incoming)], {**env, "SIGNSVC_SERVICE__BATCH_MAX_FILES": "3"})
    assert over.returncode == 2 and "tối đa 3" in over.stderr and "at most 3" in over.stderr

    from signsvc.adapters.audit_sql import SqlAuditStore
    store = SqlAuditStore(tmp_path / "state" / "audit.sqlite3")
    try:
        actions = [r.action for r in store.iter_all() if r.action.startswith("validation:batch:")]
    finally:
        store.close()
    # 9 files, then 1, then none (over the bound): one record per file checked
    assert actions.count("validation:batch:accepted") == 3 and actions.count("validation:batch:returned") == 7
