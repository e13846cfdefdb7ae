"""A batch job survives the instance that accepted it: ``kill -9`` of ``signsvc serve``
while its worker signs the job's documents, restart on the same state folder: the new
instance's worker (started with the process, no request needed) takes up the pending
documents and, once its lease ends, the one the dead worker held; the job completes with
every document signed exactly once (one audit record each) and valid."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from signsvc.adapters.audit_sql import SqlAuditStore
from signsvc.adapters.db.engine import url_engine
from tests.support.pdfs import make_pdf
from tests.support.server import running_server
from tests.support.validate import pyhanko_statuses

LEASE = 8          # [jobs] lease_seconds
TIMEOUT = 6        # [service] signing_timeout_seconds (the lease must exceed it)
COUNT = 10


def call(base: str, token: str, path: str, *, method: str = "GET", body: bytes | None = None,
         content_type: str | None = None) -> tuple[int, bytes, dict]:
    headers = {"Authorization": f"Bearer {token}"}
    if content_type:
        headers["Content-Type"] = content_type
    req = urllib.request.Request(f"{base}{path}", method=method, data=body, headers=headers)
    with urllib.request.urlopen(req, timeout=60) as resp:
        return resp.status, resp.read(), dict(resp.headers)


def multipart(files: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, data in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                     f'filename="{name}"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
                     + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), \
        f"multipart/form-data; boundary={boundary}"


def urls(engine_kind: str, request: pytest.FixtureRequest, state: Path) -> tuple[str, str]:
    """The databases of the jobs and of the audit log: the state folder's SQLite files, or
    the module's PostgreSQL database (``[database] url``)."""
    if engine_kind == "postgresql":
        url = request.getfixturevalue("storage_url")
        return url, url
    return f"sqlite:///{state / 'jobs.sqlite3'}", f"sqlite:///{state / 'audit.sqlite3'}"


def test_job_finishes_after_kill_and_restart(dev_pki, responders, tmp_path, engine_kind, request):
    state = tmp_path / "state"
    jobs_url, audit_url = urls(engine_kind, request, state)

    def states() -> list[str]:
        with url_engine(jobs_url).connect() as conn:
            return [r[0] for r in conn.execute(text("SELECT state FROM job_documents ORDER BY n"))]

    env = {"SIGNSVC_AUDIT__CHECKPOINT_KEY": "",
           **({"SIGNSVC_DATABASE__URL": jobs_url} if engine_kind == "postgresql" else {}),
           "SIGNSVC_SERVICE__SIGNING_TIMEOUT_SECONDS": str(TIMEOUT),
           "SIGNSVC_JOBS__LEASE_SECONDS": str(LEASE), "SIGNSVC_JOBS__POLL_SECONDS": "0.2"}
    pdfs = [make_pdf(1, text=f"survives {i}") for i in range(COUNT)]
    with running_server(tmp_path / "one", env=env, workers=1, state=state) as one:
        token = one.new_client("batch", "portal", "dev-software")
        body, ctype = multipart([(f"{i}.pdf", p) for i, p in enumerate(pdfs)])
        status, answer, headers = call(one.base, token, "/v1/jobs?key=dev-software&level=B-T",
                                       method="POST", body=body, content_type=ctype)
        assert status == 202, answer[:300]
        location = headers["Location"]
        end = time.monotonic() + 60
        while time.monotonic() < end and states().count("done") < 2:
            time.sleep(0.02)
        os.killpg(one.process.pid, signal.SIGKILL)       # mid-job
        one.process.wait(timeout=10)
    killed_at = time.monotonic()
    at_kill = states()
    assert 2 <= at_kill.count("done") < COUNT, at_kill

    with running_server(tmp_path / "two", env=env, workers=2, state=state) as two:
        end = time.monotonic() + 120       # no request: the workers start with the process
        while time.monotonic() < end and states().count("done") < COUNT:
            time.sleep(0.2)
        assert states() == ["done"] * COUNT, states()
        if "running" in at_kill:           # its document waited for the dead claim's lease
            assert time.monotonic() - killed_at >= LEASE - 1
        status, answer, _ = call(two.base, token, location)
        job = json.loads(answer)
        assert job["status"] == "completed" and job["done"] == COUNT and job["failed"] == 0
        signed = {}
        for doc in job["documents"]:
            status, data, _ = call(two.base, token, doc["download"])
            assert hashlib.sha256(data).hexdigest() == doc["sha256"]
            signed[doc["n"]] = (doc, data)
    for _doc, data in signed.values():
        (_, sig), = pyhanko_statuses(data, dev_pki.cert("root"), [dev_pki.cert("interm")])
        assert sig.intact and sig.valid and sig.trusted, sig.pretty_print_details()
    store = SqlAuditStore(url_engine(audit_url))
    try:
        records = [r for r in store.records(action="signing:document:signed")
                   if (r.request_id or "").startswith(f"job-{job['id']}-")]
        by_request = sorted(str(r.request_id) for r in records)
        assert by_request == sorted(f"job-{job['id']}-{n}" for n in range(1, COUNT + 1)), \
            by_request                     # exactly once each
        for r in records:
            doc, data = signed[int(str(r.request_id).rsplit("-", 1)[1])]
            assert r.output_sha256 == doc["sha256"] and r.sequence == doc["audit_sequence"]
    finally:
        store.close()
