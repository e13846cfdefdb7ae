"""Agents that sign the whole file (VGCA style): one-time URLs, and the upload accepted only
when it is the served revision plus one incremental update adding one valid signature by a
certificate registered to the official. The stand-in agent signs with pyHanko and the
official's SoftHSM2 token."""

from __future__ import annotations

import io

import pkcs11
import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.pkcs11 import PKCS11Signer

from signsvc.adapters.pkcs11_keys import module_for
from signsvc.adapters.workflow_sql import SqlWorkflowStore
from signsvc.services.context import RequestContext
from tests.conftest import build_api
from tests.support.pdfs import make_pdf
from tests.support.validate import load_cert, pyhanko_statuses


def agent_signs_whole_file(dev_pki, data: bytes, token_label: str, extra_page: bool = False) -> bytes:
    """What a whole-file agent does with the downloaded PDF (pyHanko + the token)."""
    token = module_for(dev_pki.softhsm_module).lib().get_token(token_label=token_label)
    try:
        session = token.open(user_pin=dev_pki.secret(f"{token_label}.pin"))
    except pkcs11.exceptions.UserAlreadyLoggedIn:
        session = token.open()
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    if extra_page:  # smuggle a change into the same update as the signature
        writer.root["/SignsvcSmuggled"] = writer.add_object(
            __import__("pyhanko.pdf_utils.generic", fromlist=["x"]).TextStringObject("changed"))
    out = io.BytesIO()
    with session:
        signer = PKCS11Signer(session, cert_label=token_label, key_label=token_label,
                              other_certs_to_pull=(),
                              use_raw_mechanism=token_label == "official-binh")  # EC on SoftHSM2
        signers.sign_pdf(writer, signers.PdfSignatureMetadata(
            field_name=f"Agent{len(data)}", subfilter=fields.SigSeedSubFilter.PADES),
            signer=signer, output=out)
    return out.getvalue()


@pytest.fixture
def env(tmp_path, dev_pki, responders):
    api = build_api(tmp_path / "state")
    setup = RequestContext("t", "tests", "admin")
    _, api.tokens["an"] = api.services.clients.create("an", "official", (), setup)
    SqlWorkflowStore(tmp_path / "state" / "workflow.sqlite3").register_certificate(
        "an", load_cert(dev_pki.cert("official-an")).sha256.hex(), "official-an")
    yield api
    api.services.shutdown()


def new_doc(api) -> dict:
    return api.client.post("/v1/documents", query_string={"title": "Công văn", "number": "7/CV",
                                                          "assignee": "an"},
                           data=make_pdf(), headers=api.headers("portal", **{"Content-Type": "application/pdf"})
                           ).get_json()


def tickets(api, doc) -> dict:
    resp = api.client.post(f"/v1/documents/{doc['id']}/whole-file-tickets", headers=api.headers("an"))
    assert resp.status_code == 201
    return resp.get_json()


def upload(api, t, data):
    return api.client.post(t["upload_url"], data={"uploadfile": (io.BytesIO(data), "signed.pdf")},
                           content_type="multipart/form-data")


def test_whole_file_round_trip(env, dev_pki):
    doc = new_doc(env)
    t = tickets(env, doc)
    served = env.client.get(t["download_url"])
    assert served.status_code == 200
    # the one-time download URL cannot be used twice
    assert env.client.get(t["download_url"]).status_code == 403
    signed = agent_signs_whole_file(dev_pki, served.data, "official-an")
    resp = upload(env, t, signed)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["document"]["revision"] == 2
    stored = env.client.get(f"/v1/documents/{doc['id']}/content", headers=env.headers("an")).data
    assert stored == signed
    (_sig, status), = pyhanko_statuses(stored, dev_pki.cert("root"), [dev_pki.cert("interm")])
    assert status.valid and status.trusted
    # and the one-time upload URL cannot be replayed
    assert upload(env, t, signed).status_code == 403


@pytest.mark.parametrize("case", ["other-certificate", "not-the-served-file", "smuggled-change",
                                  "change-inside-the-signed-update", "two-signatures"])
def test_bad_uploads_are_refused_and_the_original_kept(env, dev_pki, case):
    doc = new_doc(env)
    t = tickets(env, doc)
    served = env.client.get(t["download_url"]).data
    if case == "other-certificate":
        data = agent_signs_whole_file(dev_pki, served, "official-binh")  # not registered to "an"
    elif case == "not-the-served-file":
        data = agent_signs_whole_file(dev_pki, make_pdf(text="another document"), "official-an")
    elif case == "smuggled-change":
        # content appended after the signature: not one update adding one signature
        data = agent_signs_whole_file(dev_pki, served, "official-an") + b"\n% appended after signing\n"
    elif case == "change-inside-the-signed-update":
        # the signature covers it, but the update does more than add a signature
        data = agent_signs_whole_file(dev_pki, served, "official-an", extra_page=True)
    else:
        data = agent_signs_whole_file(dev_pki, agent_signs_whole_file(dev_pki, served, "official-an"),
                                      "official-an")
    resp = upload(env, t, data)
    assert resp.status_code in (400, 403, 422), resp.get_json()
    body = resp.get_json()
    assert body["detail_vi"] and body["detail_en"]
    current = env.client.get(f"/v1/documents/{doc['id']}", headers=env.headers("an")).get_json()
    assert current["revision"] == 1 and current["sha256"] == doc["sha256"]
    rejected = env.services.audit.list(action="signing:upload:rejected")
    assert rejected and rejected[-1].details["document_id"] == doc["id"]


def test_tickets_are_bound_to_the_official(env):
    doc = new_doc(env)
    setup = RequestContext("t", "tests", "admin")
    _, env.tokens["binh"] = env.services.clients.create("binh", "official", (), setup)
    assert env.client.post(f"/v1/documents/{doc['id']}/whole-file-tickets",
                           headers=env.headers("binh")).status_code == 404
    assert env.client.get("/v1/whole-file/not-a-ticket/download").status_code == 403
