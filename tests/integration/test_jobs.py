"""Batch signing jobs (``/v1/jobs``) on SQLite (``jobs.sqlite3``) and PostgreSQL
(``[database] url``): a job of five PDFs, one broken, reaches its total with four valid
signatures (each audited, downloadable alone and in the zip) and one per-document
problem; only its creator (or an admin) sees it; cancelling leaves the signed ones and
signs no other; a document claimed by a dead worker is signed after its lease; bounds and
ungranted keys refused before anything is queued, audited."""

from __future__ import annotations

import hashlib
import io
import time
import zipfile
from typing import Any

import jsonschema_rs
import pytest

from tests.conftest import build_api
from tests.support.pdfs import make_pdf
from tests.support.validate import pyhanko_statuses

SIGNED = "signing:document:signed"


def valid(dev_pki, data: bytes) -> None:
    (_, status), = pyhanko_statuses(data, dev_pki.cert("root"), [dev_pki.cert("interm")])
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()


def new_api(tmp_path, engine_kind: str, request: pytest.FixtureRequest, **settings: str) -> Any:
    if engine_kind == "postgresql":
        settings["DATABASE__URL"] = request.getfixturevalue("storage_url")
    build: Any = build_api
    return build(tmp_path / "state", **settings)


@pytest.fixture
def jobs_api(engine_kind, request, tmp_path, dev_pki, responders):
    api = new_api(tmp_path, engine_kind, request, JOBS__POLL_SECONDS="0.2")
    yield api
    api.services.shutdown()


@pytest.fixture
def idle_api(engine_kind, request, tmp_path, dev_pki, responders):
    """No worker thread: the test signs documents one by one (``process_one``)."""
    api = new_api(tmp_path, engine_kind, request, JOBS__WORKERS="0", JOBS__MAX_FILES="4")
    yield api
    api.services.shutdown()


def create(api, files: list[tuple[bytes, str]], who: str = "portal", **query: str):
    return api.client.post(
        "/v1/jobs", query_string={"key": "dev-software", "level": "B-T", **query},
        data={"file": [(io.BytesIO(data), name) for data, name in files]},
        content_type="multipart/form-data", headers=api.headers(who))


def wait_done(api, url: str, timeout: float = 120) -> dict:
    end = time.monotonic() + timeout
    while True:
        body = api.client.get(url, headers=api.headers("portal")).get_json()
        if body["status"] in ("completed", "cancelled") or time.monotonic() > end:
            return body
        time.sleep(0.2)


def test_job_of_five_with_one_broken(jobs_api, dev_pki, engine_kind):
    api = jobs_api
    good = [make_pdf(1, text=f"job {engine_kind} {i}") for i in range(4)]
    broken = make_pdf(1, text="broken")[:300]
    files = [(good[0], "a.pdf"), (good[1], "dir/b.pdf"), (broken, "broken.pdf"),
             (good[2], "c.pdf"), (good[3], "Công văn số 1.pdf")]
    resp = create(api, files, reason="Lô ký")
    assert resp.status_code == 202, resp.get_json()
    job = resp.get_json()
    assert resp.headers["Location"] == f"/v1/jobs/{job['id']}"
    assert job["total"] == 5 and job["status"] in ("pending", "running")
    assert [d["name"] for d in job["documents"]] == ["a.pdf", "b.pdf", "broken.pdf", "c.pdf",
                                                     "Công văn số 1.pdf"]
    body = wait_done(api, resp.headers["Location"])
    assert body["status"] == "completed", body
    assert (body["done"], body["failed"], body["total"]) == (4, 1, 5)
    docs = body["documents"]
    assert docs[2]["status"] == "failed" and docs[2]["sha256"] is None
    problem = docs[2]["problem"]
    assert problem["status"] == 422 and problem["code"] == "malformed-pdf", problem
    assert problem["detail_vi"] and problem["detail_en"]
    downloads = {}
    for doc, (source, _name) in zip(docs, files, strict=True):
        assert doc["input_sha256"] == hashlib.sha256(source).hexdigest()
        if doc["status"] != "done":
            continue
        got = api.client.get(doc["download"], headers=api.headers("portal"))
        assert got.status_code == 200 and got.mimetype == "application/pdf"
        assert hashlib.sha256(got.data).hexdigest() == doc["sha256"] and doc["level"] == "B-T"
        valid(dev_pki, got.data)
        (record,) = [r for r in api.services.audit.list(action=SIGNED)
                     if r.output_sha256 == doc["sha256"]]
        assert record.sequence == doc["audit_sequence"] and record.actor == "portal"
        assert record.request_id == f"job-{job['id']}-{doc['n']}"
        assert record.input_sha256 == doc["input_sha256"]
        downloads[doc["n"]] = got.data
    assert sorted(downloads) == [1, 2, 4, 5]
    failed = [r for r in api.services.audit.list(action="signing:document:failed")
              if r.request_id == f"job-{job['id']}-3"]
    assert [r.error_code for r in failed] == ["malformed-pdf"]
    (created,) = api.services.audit.list(action="jobs:job:created")
    assert created.details["job"] == job["id"] and created.details["total"] == 5
    # the zip holds the four signed documents, byte for byte
    z = api.client.get(f"/v1/jobs/{job['id']}/result.zip", headers=api.headers("portal"))
    assert z.status_code == 200 and z.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(z.data)) as zf:
        names = zf.namelist()
        assert names == ["001-a.pdf", "002-b.pdf", "004-c.pdf", "005-Công văn số 1.pdf"]
        assert [zf.read(n) for n in names] == [downloads[n] for n in (1, 2, 4, 5)]
    # the broken one has nothing to download
    nope = api.client.get(f"/v1/jobs/{job['id']}/documents/3", headers=api.headers("portal"))
    assert nope.status_code == 409 and nope.get_json()["code"] == "job-document-not-ready"
    # another client sees nothing (as if there were no such job); an admin sees it
    for method in ("get", "delete"):
        other = getattr(api.client, method)(f"/v1/jobs/{job['id']}",
                                            headers=api.headers("portal-limited"))
        assert other.status_code == 404 and other.get_json()["code"] == "job-not-found"
    for path in ("/result.zip", "/documents/1"):
        assert api.client.get(f"/v1/jobs/{job['id']}{path}",
                              headers=api.headers("portal-limited")).status_code == 404
    admin = api.client.get(f"/v1/jobs/{job['id']}", headers=api.headers("admin"))
    assert admin.status_code == 200 and admin.get_json()["done"] == 4
    # the answers are what the API document says
    doc = api.client.get("/openapi.json").get_json()
    for path, method, status, answer in (("/v1/jobs", "post", "202", job),
                                         ("/v1/jobs/{job_id}", "get", "200", body)):
        schema = doc["paths"][path][method]["responses"][status]["content"]["application/json"]
        errors = [e.message for e in jsonschema_rs.validator_for(schema["schema"])
                  .iter_errors(answer)]
        assert not errors, errors[:3]


def test_cancel_keeps_signed_and_signs_no_other(idle_api, dev_pki):
    api = idle_api
    pdfs = [make_pdf(1, text=f"cancel {i}") for i in range(3)]
    resp = create(api, [(p, f"{i}.pdf") for i, p in enumerate(pdfs)])
    assert resp.status_code == 202
    url = resp.headers["Location"]
    assert api.services.jobs.depth() == 3
    assert api.services.jobs.process_one() is True           # document 1 signed
    mid = api.client.get(url, headers=api.headers("portal")).get_json()
    assert mid["status"] == "running" and mid["done"] == 1
    cancelled = api.client.delete(url, headers=api.headers("portal"))
    assert cancelled.status_code == 200
    body = cancelled.get_json()
    assert body["status"] == "cancelled" and (body["done"], body["cancelled"]) == (1, 2)
    assert api.services.jobs.process_one() is False          # nothing left to sign
    assert api.services.jobs.depth() == 0
    signed = api.client.get(f"{url}/documents/1", headers=api.headers("portal"))
    valid(dev_pki, signed.data)
    later = api.client.get(f"{url}/documents/2", headers=api.headers("portal"))
    assert later.status_code == 409 and later.get_json()["state"] == "cancelled"
    with zipfile.ZipFile(io.BytesIO(api.client.get(
            f"{url}/result.zip", headers=api.headers("portal")).data)) as zf:
        assert zf.namelist() == ["001-0.pdf"]
    assert len([r for r in api.services.audit.list(action=SIGNED)
                if r.request_id and r.request_id.startswith("job-")]) == 1
    (record,) = api.services.audit.list(action="jobs:job:cancelled")
    assert record.details["cancelled_documents"] == 2 and record.actor == "portal"
    # past its keep time a settled job is deleted with its PDFs; one still pending is kept
    pending = create(api, [(make_pdf(1, text="kept"), "kept.pdf")]).headers["Location"]
    assert api.services.jobs._store.purge(time.time() + 1) == 1
    assert api.client.get(url, headers=api.headers("portal")).status_code == 404
    assert api.client.get(pending, headers=api.headers("portal")).status_code == 200
    assert api.services.jobs.purge() == 0          # [jobs] keep_hours (168) not over


def test_document_of_a_dead_worker_is_signed_after_its_lease(idle_api, dev_pki):
    api = idle_api
    resp = create(api, [(make_pdf(1, text="lease"), "lease.pdf")])
    store = api.services.jobs._store
    dead = store.claim(time.time() - 1000, 1.0)        # claimed, lease long over
    assert dead is not None and dead.name == "lease.pdf"
    assert api.services.jobs.process_one() is True
    assert store.finish(dead, time.time(), output=b"x", sha256="0", level="B-B",
                        audit_sequence=0) is False     # the dead claim cannot store anything
    body = api.client.get(resp.headers["Location"], headers=api.headers("portal")).get_json()
    (doc,) = body["documents"]
    assert doc["status"] == "done" and doc["attempts"] == 2
    valid(dev_pki, api.client.get(doc["download"], headers=api.headers("portal")).data)


def test_refused_before_anything_is_queued(idle_api):
    api = idle_api
    pdf = make_pdf(1, text="bounds")
    too_many = create(api, [(pdf, f"{i}.pdf") for i in range(5)])
    assert too_many.status_code == 413 and too_many.get_json()["max_files"] == 4
    not_granted = create(api, [(pdf, "x.pdf")], who="portal-limited", key="agency-seal")
    assert not_granted.status_code == 403
    none = create(api, [])
    assert none.status_code == 400
    bad_level = create(api, [(pdf, "x.pdf")], level="B-Z")
    assert bad_level.status_code == 400
    auditor = create(api, [(pdf, "x.pdf")], who="auditor")
    assert auditor.status_code == 403
    assert api.services.jobs.depth() == 0
    refused = api.services.audit.list(action="jobs:job:rejected")
    assert [r.error_code for r in refused][:2] == ["document-too-large", "key-not-permitted"]
    unknown = api.client.get("/v1/jobs/nope", headers=api.headers("portal"))
    assert unknown.status_code == 404 and unknown.mimetype == "application/problem+json"


class DepthSeen:
    """Records what the workers report as the queue's depth (the metrics port)."""

    def __init__(self) -> None:
        self.depths: list[int] = []

    def set_job_queue_depth(self, depth: int) -> None:
        self.depths.append(depth)


def test_workers_report_the_queue_depth(idle_api, dev_pki):
    from signsvc.adapters.metrics_prometheus import PrometheusMetrics
    from signsvc.services.job_worker import JobWorkers

    api = idle_api
    resp = create(api, [(make_pdf(1, text=f"depth {i}"), f"{i}.pdf") for i in range(3)])
    seen = DepthSeen()
    workers = JobWorkers(api.services.jobs, 2, 0.05, metrics=seen)  # type: ignore[arg-type]
    workers.start()
    try:
        body = wait_done(api, resp.headers["Location"])
        end = time.monotonic() + 10
        while (not seen.depths or seen.depths[-1] != 0) and time.monotonic() < end:
            time.sleep(0.05)
    finally:
        workers.stop()
    assert body["done"] == 3 and not workers.running
    assert seen.depths[-1] == 0 and max(seen.depths) in (1, 2), seen.depths
    metrics = PrometheusMetrics()
    metrics.set_job_queue_depth(7)
    text, _ = metrics.exposition()
    assert b"signsvc_job_queue_depth 7.0" in text


def test_two_instances_sign_each_document_once(engine_kind, request, tmp_path, dev_pki,
                                               responders):
    """Two services on one database (threads of each claiming at once: SKIP LOCKED on
    PostgreSQL, the write lock on SQLite): every document signed once, by one claim."""
    first = new_api(tmp_path, engine_kind, request, JOBS__WORKERS="0")
    build: Any = build_api
    overrides = {"DATABASE__URL": request.getfixturevalue("storage_url")} \
        if engine_kind == "postgresql" else {}
    second = build(tmp_path / "state", with_clients=False, JOBS__WORKERS="2",
                   JOBS__POLL_SECONDS="0.05", **overrides)
    try:
        count = 8
        resp = create(first, [(make_pdf(1, text=f"two {i}"), f"{i}.pdf") for i in range(count)])
        assert resp.status_code == 202
        job_id = resp.get_json()["id"]
        from signsvc.services.job_worker import JobWorkers
        mine = JobWorkers(first.services.jobs, 2, 0.05)
        mine.start()
        second.services.job_workers.start()
        try:
            body = wait_done(first, resp.headers["Location"])
        finally:
            mine.stop()
        assert body["done"] == count, body
        assert [d["attempts"] for d in body["documents"]] == [1] * count
        records = [r for r in first.services.audit.list(action=SIGNED)
                   if (r.request_id or "").startswith(f"job-{job_id}-")]
        assert sorted(str(r.request_id) for r in records) == sorted(
            f"job-{job_id}-{n}" for n in range(1, count + 1))
        assert {r.output_sha256 for r in records} == {d["sha256"] for d in body["documents"]}
        for n in (1, count):
            valid(dev_pki, first.client.get(f"/v1/jobs/{job_id}/documents/{n}",
                                            headers=first.headers("portal")).data)
    finally:
        second.services.shutdown()
        first.services.shutdown()


def test_a_document_over_the_size_limit_fails_alone(engine_kind, request, tmp_path, dev_pki,
                                                    responders):
    small, big = make_pdf(1, text="small"), make_pdf(1, text="big", pad_to=200_000)
    api = new_api(tmp_path, engine_kind, request, JOBS__WORKERS="0",
                  SERVICE__MAX_DOCUMENT_BYTES="100000")
    try:
        resp = create(api, [(small, "small.pdf"), (big, "big.pdf")])
        assert resp.status_code == 202
        docs = resp.get_json()["documents"]
        assert [d["status"] for d in docs] == ["pending", "failed"]
        assert docs[1]["problem"]["code"] == "document-too-large"
        assert docs[1]["problem"]["max_bytes"] == 100000
        assert api.services.jobs.depth() == 1
        assert api.services.jobs.process_one() is True
        assert api.services.jobs.process_one() is False
        body = api.client.get(resp.headers["Location"], headers=api.headers("portal")).get_json()
        assert (body["status"], body["done"], body["failed"]) == ("completed", 1, 1)
        valid(dev_pki, api.client.get(body["documents"][0]["download"],
                                      headers=api.headers("portal")).data)
        (refused,) = [r for r in api.services.audit.list(action="signing:document:rejected")
                      if r.details.get("job") == body["id"]]
        assert refused.error_code == "document-too-large" and refused.details["document"] == 2
    finally:
        api.services.shutdown()


def test_visible_signature_parameters_reach_every_document(idle_api, dev_pki):
    """The /v1/sign query of a job (here a text box at a place, an agency line) is what
    each document is signed with, when it is signed later by a worker."""
    from tests.support.appearance import widget

    api = idle_api
    resp = create(api, [(make_pdf(1, text=f"visible {i}"), f"{i}.pdf") for i in range(2)],
                  profile="text", page="1", rect="300,90,560,150", lines="agency,time",
                  agency="Sở Tư pháp", reason="Phê duyệt")
    assert resp.status_code == 202, resp.get_json()
    while api.services.jobs.process_one():
        pass
    body = api.client.get(resp.headers["Location"], headers=api.headers("portal")).get_json()
    assert body["done"] == 2, body
    for doc in body["documents"]:
        data = api.client.get(doc["download"], headers=api.headers("portal")).data
        _, rect, _ = widget(data, "Signature1")
        assert rect == pytest.approx((300, 90, 560, 150))
        valid(dev_pki, data)
    bad = create(api, [(make_pdf(1), "x.pdf")], profile="text", page="0", rect="1,1,2,2")
    assert bad.status_code in (400, 422) and bad.get_json()["parameter"] == "page"
    assert api.services.jobs.depth() == 0
