"""Form uploads (``multipart/form-data``) of real-sized documents: a 3 MB scan goes through
every upload path up to ``[service] max_document_bytes`` (exactly the limit passes, one
byte more is 413 problem+json in Vietnamese and English, audited), and the form parser
streams file parts to temporary files on disk instead of memory.

Issue 10: werkzeug counted file parts against ``MAX_FORM_MEMORY_SIZE`` (64 KiB), so every
form upload over about 256 KB got 413 while the page promised 25 MiB.
"""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc

import pytest

from tests.conftest import build_api
from tests.support.pdfs import make_pdf

MB3 = 3 * 1000 * 1000
LIMIT = 4 * 1024 * 1024


def _form(data: bytes, name: str = "scan.pdf", **fields: str) -> dict:
    return {"file": (io.BytesIO(data), name), **fields}


def _problem_413(resp, limit: int) -> dict:
    assert resp.status_code == 413, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["code"] == "document-too-large"
    mib = f"{limit / (1024 * 1024):.1f} MiB"
    assert "vượt quá kích thước tối đa" in body["detail_vi"] and mib in body["detail_vi"]
    assert "exceeds the maximum size" in body["detail_en"] and mib in body["detail_en"]
    return body


@pytest.fixture(scope="module")
def signed_3mb(api):
    """A 3 MB PDF (incompressible padding, like a scan) signed at B-B by the service."""
    resp = api.client.post("/v1/sign", query_string={"key": "dev-software", "level": "B-B"},
                           data=make_pdf(2, text="Quyet dinh 125/QD-UBND", pad_to=MB3),
                           headers=api.headers("portal", **{"Content-Type": "application/pdf"}))
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert len(resp.data) > MB3
    return resp.data


@pytest.fixture
def small_limit(tmp_path, dev_pki, responders):
    api = build_api(tmp_path / "state", SERVICE__MAX_DOCUMENT_BYTES=str(LIMIT),
                    SERVICE__BATCH_MAX_BYTES=str(2 * LIMIT))
    yield api
    api.services.shutdown()


def test_verify_form_upload_of_3mb(api, signed_3mb):
    resp = api.client.post("/v1/verify", data=_form(signed_3mb), headers=api.headers("auditor"),
                           content_type="multipart/form-data")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    report = resp.get_json()
    assert report["document"]["sha256"] == hashlib.sha256(signed_3mb).hexdigest()
    assert report["document"]["size"] == len(signed_3mb)
    assert report["verdict"] == "valid"
    (sig,) = report["signatures"]
    assert sig["intact"] and sig["valid"] and sig["trusted"]


def test_documents_form_upload_of_3mb_keeps_text_fields(api, signed_3mb):
    from signsvc.services.context import RequestContext

    setup = RequestContext("uploads", "tests", "admin")
    if "chi" not in api.tokens:
        _, api.tokens["chi"] = api.services.clients.create("chi", "official", (), setup)
    scan = make_pdf(3, text="Ban scan phu luc", pad_to=MB3)
    resp = api.client.post("/v1/documents", data=_form(
        scan, "Phụ lục 125.pdf", title="Quyết định phê duyệt phụ lục", number="125/QĐ-UBND",
        assignee="chi"), headers=api.headers("portal"), content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_data(as_text=True)[:300]
    doc = resp.get_json()
    assert doc["title"] == "Quyết định phê duyệt phụ lục" and doc["number"] == "125/QĐ-UBND"
    assert doc["sha256"] == hashlib.sha256(scan).hexdigest()
    content = api.client.get(f"/v1/documents/{doc['id']}/content", headers=api.headers("chi"))
    assert content.status_code == 200 and content.data == scan


def test_limit_is_max_document_bytes_on_every_form_path(small_limit):
    api = small_limit
    over = b"%PDF-1.7\n" + b"0" * (LIMIT + 1 - 9)
    assert len(over) == LIMIT + 1
    # one byte over: 413 problem+json, vi + en, on each form path
    before = api.services.audit.verify().as_dict()["checked"]
    _problem_413(api.client.post("/v1/verify", data=_form(over), headers=api.headers("auditor"),
                                 content_type="multipart/form-data"), LIMIT)
    (rec,) = api.services.audit.list(after_sequence=before)
    assert (rec.action, rec.error_code) == ("validation:document:rejected", "document-too-large")
    _problem_413(api.client.post("/v1/documents", data=_form(over, title="Tờ trình", number="1/TTr",
                                                             assignee="nobody"),
                                 headers=api.headers("portal"), content_type="multipart/form-data"),
                 LIMIT)
    rec = api.services.audit.list(after_sequence=rec.sequence)[-1]
    assert (rec.action, rec.error_code, rec.actor) == (
        "documents:document:rejected", "document-too-large", "portal")
    _problem_413(api.client.post("/v1/sign", query_string={"key": "dev-software"}, data=_form(over),
                                 headers=api.headers("portal"), content_type="multipart/form-data"),
                 LIMIT)
    # the whole-file agent's upload (multipart ``uploadfile``): the size is checked first
    _problem_413(api.client.post("/v1/whole-file/no-such-ticket/upload",
                                 data={"uploadfile": (io.BytesIO(over), "signed.pdf")},
                                 content_type="multipart/form-data"), LIMIT)
    # a body far over the bound, declared: refused before it is read
    _problem_413(api.client.post("/v1/verify", data=_form(over + b"0" * LIMIT),
                                 headers=api.headers("auditor"), content_type="multipart/form-data"),
                 LIMIT)


def test_exact_limit_passes(small_limit):
    """A file part of exactly ``max_document_bytes`` is read in full (not 413)."""
    api = small_limit
    pad = LIMIT
    for _ in range(5):                       # the padding stream's own overhead, found out
        body = make_pdf(text="exact", pad_to=pad)
        if len(body) == LIMIT:
            break
        pad += LIMIT - len(body)
    assert len(body) == LIMIT
    resp = api.client.post("/v1/verify", data=_form(body), headers=api.headers("auditor"),
                           content_type="multipart/form-data")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    report = resp.get_json()
    assert report["document"]["size"] == LIMIT and report["verdict"] == "unsigned"


def test_batch_form_upload_of_3mb_files(api, signed_3mb):
    resp = api.client.post("/v1/verify/batch", data={"file": [
        (io.BytesIO(signed_3mb), "a.pdf"), (io.BytesIO(signed_3mb), "b.pdf")]},
        headers=api.headers("auditor"), content_type="multipart/form-data")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    results = resp.get_json()["results"]
    assert [r["decision"] for r in results] == ["accept", "accept"]


def test_form_parser_spools_file_parts_to_disk(api):
    """Parsing a 3 MB form keeps well under 1 MB in memory; the part is a file on disk."""
    app = api.app
    data = os.urandom(MB3)
    with app.test_request_context("/v1/verify", method="POST", content_type="multipart/form-data",
                                  data=_form(data, title="Tờ trình số 7")):
        from flask import request

        tracemalloc.start()
        try:
            files = request.files
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        upload = files["file"]
        assert request.form["title"] == "Tờ trình số 7"
        assert peak < 512 * 1024, f"the parser held {peak} bytes in memory"
        assert os.fstat(upload.stream.fileno()).st_size == MB3   # a real file, on disk
        assert upload.stream.read() == data


def test_spool_is_bounded(api):
    """A file part beyond the request's bound is refused while it is being written."""
    from werkzeug.exceptions import RequestEntityTooLarge

    from signsvc.web.uploads import BoundedSpool

    spool = BoundedSpool(100)
    spool.write(b"x" * 100)
    with pytest.raises(RequestEntityTooLarge):
        spool.write(b"y")
    spool.seek(0)
    assert spool.read() == b"x" * 100
    spool.close()
