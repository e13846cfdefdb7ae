"""Batch jobs from a folder on the server (``POST /v1/jobs`` with ``{"folder": ...}``,
``[jobs] server_folders_root``): an operator (admin with a key) gets a job of the folder's
PDFs, each validly signed and audited, read at creation (the folder may change after);
a portal client, a name leaving the root (``..``, a symbolic link), the feature off and a
folder over the bounds are refused before anything is queued, each audited. On SQLite and
PostgreSQL."""

from __future__ import annotations

import io
import os
import time
from typing import Any

import pytest

from signsvc.services.context import RequestContext
from tests.conftest import REPO, build_api
from tests.support.pdfs import make_pdf
from tests.support.validate import pyhanko_statuses

REJECTED = "jobs:job:rejected"


def valid(dev_pki, data: bytes) -> None:
    (_, status), = pyhanko_statuses(data, dev_pki.cert("root"), [dev_pki.cert("interm")])
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()


@pytest.fixture
def folders(tmp_path) -> Any:
    root = tmp_path / "inbox"
    (root / "dept" / "batch1").mkdir(parents=True)
    for i in range(3):
        (root / "dept" / "batch1" / f"cv-{i}.pdf").write_bytes(make_pdf(1, text=f"folder {i}"))
    (root / "dept" / "batch1" / "notes.txt").write_text("not a pdf")
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "x.pdf").write_bytes(make_pdf(1, text="outside"))
    (root / "escape").symlink_to(outside, target_is_directory=True)
    (root / "big").mkdir()
    for i in range(5):
        (root / "big" / f"b{i}.pdf").write_bytes(make_pdf(1, text=f"big {i}"))
    return root


def _api(tmp_path, seal_for_admin: bool = True, **settings: str) -> Any:
    # every configured key is an agency seal: this deployment's policy lets the operator
    # (admin) use it too (custody.seal-roles), as a deployment signing folders must
    policy = (REPO / "config" / "policy.toml").read_text(encoding="utf-8")
    seal_roles = 'roles = ["clerk", "portal"]'
    assert policy.count(seal_roles) == 1
    if seal_for_admin:
        policy = policy.replace(seal_roles, 'roles = ["clerk", "portal", "admin"]')
    (tmp_path / "policy.toml").write_text(policy, encoding="utf-8")
    build: Any = build_api
    api = build(tmp_path / "state", JOBS__POLL_SECONDS="0.2", JOBS__MAX_FILES="4",
                POLICY__PATH=str(tmp_path / "policy.toml"), **settings)
    ctx = RequestContext(request_id="test-setup", actor="tests", role="admin")
    _, api.tokens["operator"] = api.services.clients.create("operator", "admin",
                                                            ("dev-software",), ctx)
    return api


@pytest.fixture
def folder_api(engine_kind, request, tmp_path, folders, dev_pki, responders):
    """On SQLite and on PostgreSQL (the queue and the audit log in ``[database] url``)."""
    db = {"DATABASE__URL": request.getfixturevalue("storage_url")} \
        if engine_kind == "postgresql" else {}
    api = _api(tmp_path, JOBS__SERVER_FOLDERS_ROOT=str(folders), **db)
    yield api
    api.services.shutdown()


def create(api, body: Any, who: str = "operator"):
    return api.client.post("/v1/jobs", query_string={"key": "dev-software", "level": "B-T"},
                           json=body, headers=api.headers(who))


def rejected(api) -> list:
    return api.services.audit.list(action=REJECTED)


def test_operator_signs_a_folder(folder_api, folders, dev_pki):
    api = folder_api
    resp = create(api, {"folder": "dept/batch1"})
    assert resp.status_code == 202, resp.get_json()
    job = resp.get_json()
    assert job["total"] == 3 and job["client"] == "operator"
    assert [d["name"] for d in job["documents"]] == ["cv-0.pdf", "cv-1.pdf", "cv-2.pdf"]
    # read at creation: the folder emptied now changes nothing
    for f in (folders / "dept" / "batch1").iterdir():
        f.unlink()
    end = time.monotonic() + 120
    while True:
        body = api.client.get(resp.headers["Location"], headers=api.headers("operator")).get_json()
        if body["status"] == "completed" or time.monotonic() > end:
            break
        time.sleep(0.2)
    assert (body["status"], body["done"], body["failed"]) == ("completed", 3, 0), \
        body["documents"][0]["problem"]
    signed = {r.output_sha256: r for r in api.services.audit.list(action="signing:document:signed")}
    for doc in body["documents"]:
        got = api.client.get(doc["download"], headers=api.headers("operator"))
        assert got.status_code == 200
        valid(dev_pki, got.data)
        record = signed[doc["sha256"]]
        assert record.actor == "operator" and record.sequence == doc["audit_sequence"]
    (created,) = api.services.audit.list(action="jobs:job:created")
    assert created.details["folder"] == "dept/batch1" and created.details["total"] == 3
    assert created.actor == "operator"


def test_seal_outside_the_roles_refused_at_creation(tmp_path, folders, dev_pki, responders):
    """The shipped policy keeps the agency seal for clerks and the portal: the operator's
    folder job is refused at once with the rule's reason (audited as a policy denial and a
    rejected job), not queued to fail document by document."""
    api = _api(tmp_path, seal_for_admin=False, JOBS__SERVER_FOLDERS_ROOT=str(folders))
    try:
        resp = create(api, {"folder": "dept/batch1"})
        problem = resp.get_json()
        assert resp.status_code == 403, problem
        assert problem["rule"] == "custody.seal-roles"
        assert "custody.seal-roles" in problem["detail_vi"] and "con dấu" in problem["detail_vi"]
        assert api.services.jobs.depth() == 0
        (denied,) = api.services.audit.list(action="policy:rule:denied")
        assert denied.details["rule"] == "custody.seal-roles" and denied.actor == "operator"
        (record,) = rejected(api)
        assert record.error_code == problem["code"]
        assert record.details["folder"] == "dept/batch1"
        assert api.services.audit.list(action="jobs:job:created") == []
    finally:
        api.services.shutdown()


@pytest.mark.parametrize("name, status, code", [
    ("../secret", 400, "bad-request"),
    ("dept/../../secret", 400, "bad-request"),
    ("/etc", 400, "bad-request"),
    ("escape", 403, "forbidden"),
    ("nope", 404, "not-found"),
])
def test_names_leaving_the_root_refused(folder_api, name, status, code):
    resp = create(folder_api, {"folder": name})
    problem = resp.get_json()
    assert resp.status_code == status and problem["code"] == code, problem
    assert resp.mimetype == "application/problem+json"
    assert problem["detail_vi"] and problem["detail_en"]
    (record,) = rejected(folder_api)
    assert record.error_code == code and record.details["folder"] == name
    assert folder_api.services.audit.list(action="jobs:job:created") == []


def test_escaping_symlinked_pdf_refused(folder_api, folders, tmp_path):
    (folders / "dept" / "batch1" / "z.pdf").symlink_to(tmp_path / "secret" / "x.pdf")
    resp = create(folder_api, {"folder": "dept/batch1"})
    assert resp.status_code == 403 and resp.get_json()["code"] == "forbidden"
    assert [r.error_code for r in rejected(folder_api)] == ["forbidden"]


def test_portal_refused(folder_api):
    resp = create(folder_api, {"folder": "dept/batch1"}, who="portal")
    assert resp.status_code == 403 and resp.get_json()["code"] == "forbidden"
    assert "admin" in resp.get_json()["detail_en"]
    (record,) = rejected(folder_api)
    assert record.actor == "portal" and record.error_code == "forbidden"
    assert folder_api.services.audit.list(action="jobs:job:created") == []


def test_over_the_bounds_refused(folder_api):
    resp = create(folder_api, {"folder": "big"})   # 5 PDFs, [jobs] max_files 4
    assert resp.status_code == 413 and resp.get_json()["code"] == "document-too-large"
    assert [r.error_code for r in rejected(folder_api)] == ["document-too-large"]
    assert folder_api.services.audit.list(action="jobs:job:created") == []


def test_total_bytes_bound(tmp_path, folders, dev_pki, responders):
    size = os.path.getsize(folders / "dept" / "batch1" / "cv-0.pdf")
    api = _api(tmp_path, JOBS__SERVER_FOLDERS_ROOT=str(folders),
               JOBS__MAX_TOTAL_BYTES=str(2 * size + 1))
    try:
        resp = create(api, {"folder": "dept/batch1"})
        assert resp.status_code == 413, resp.get_json()
        assert [r.error_code for r in rejected(api)] == ["document-too-large"]
    finally:
        api.services.shutdown()


def test_feature_off_refused(tmp_path, folders, dev_pki, responders):
    api = _api(tmp_path)
    try:
        resp = create(api, {"folder": "dept/batch1"})
        problem = resp.get_json()
        assert resp.status_code == 403 and "server_folders_root" in problem["detail_en"]
        assert "máy chủ" in problem["detail_vi"]
        (record,) = rejected(api)
        assert record.error_code == "forbidden" and record.actor == "operator"
        # any other JSON body: 400; an admin still may not upload PDFs (no sign-document)
        bad = create(api, {"folder": "x", "extra": 1})
        assert bad.status_code == 400 and bad.get_json()["code"] == "bad-request"
        upload = api.client.post(
            "/v1/jobs", query_string={"key": "dev-software"},
            data={"file": [(io.BytesIO(make_pdf(1)), "a.pdf")]},
            content_type="multipart/form-data", headers=api.headers("operator"))
        assert upload.status_code == 403 and upload.get_json()["code"] == "forbidden"
        assert [r.error_code for r in rejected(api)] == ["forbidden", "bad-request", "forbidden"]
    finally:
        api.services.shutdown()
