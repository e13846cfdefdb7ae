"""What an official sees of what they signed (issue 15, items 2, 4, 5), through the pages
with a logged-in browser session and the official's real (SoftHSM2) token:

- a signed document is listed under "Đã ký" (never vanishes), its page lists every version
  (who, when as dd/mm/yyyy HH:mm:ss Vietnam time, level reached, verdict now) and each
  version downloads byte-exact (its recorded SHA-256) and validates;
- a three-step signature draws no time unless it equals the signature's own time (VS-8,
  VS-11), and the official profile draws the signer's name;
- officials sign at the level the e-service profile asks, told in words; only accounts
  allowed to may choose another level (the server enforces it).
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta, timezone

import pytest

from signsvc.services.context import RequestContext
from signsvc.services.document_history import prefix_lengths
from tests.conftest import build_api
from tests.integration import test_signing_sessions as sessions
from tests.integration.test_signing_sessions import finish, new_document, start, token_sign
from tests.integration.test_signing_sessions_placement import browser
from tests.support.appearance import pdftotext, signature_png, widget
from tests.support.validate import pyhanko_statuses

flow = sessions.flow                 # the fixtures of the three-step tests
_attach_pki = sessions._attach_pki
VN = timezone(timedelta(hours=7))
PAGE_TIME = re.compile(r"\b\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}\b")


def sign(api, doc: dict, level: str, **extra):
    resp = start(api, "an", doc, "official-an", level=level, **extra)
    assert resp.status_code == 201, resp.get_json()
    session = resp.get_json()
    done = finish(api, "an", session, token_sign(api.dev_pki, "official-an", session))
    assert done.status_code == 200, done.get_json()
    return done


def all_valid(data: bytes, dev_pki, count: int) -> list:
    statuses = pyhanko_statuses(data, dev_pki.cert("root"), [dev_pki.cert("interm")])
    assert len(statuses) == count
    for _, status in statuses:
        assert status.intact and status.valid and status.trusted
    return statuses


def row(html: str, revision: int) -> str:
    found = re.search(rf'<tr id="version-{revision}".*?</tr>', html, re.S)
    assert found, f"no row for version {revision}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0)))


def test_signed_documents_stay_listed_with_every_version(flow, dev_pki):
    doc = new_document(flow)
    v2 = sign(flow, doc, "B-B").headers["X-Document-SHA256"]
    v3_resp = sign(flow, doc, "B-T")
    v3 = v3_resp.headers["X-Document-SHA256"]
    client = browser(flow)

    listing = client.get("/documents").text
    signed_table = re.search(r'<table id="signed".*?</table>', listing, re.S).group(0)
    assert doc["id"] in signed_table and "123/QĐ-UBND" in signed_table
    assert 'id="documents"' not in listing          # nothing awaits any more
    assert "Không có văn bản nào chờ bạn ký." in listing

    page = client.get(f"/documents/{doc['id']}").text
    assert page.index('id="version-3"') < page.index('id="version-2"') < page.index('id="version-1"')
    r3, r2, r1 = row(page, 3), row(page, 2), row(page, 1)
    assert "Nguyễn Văn An (TEST ONLY)" in r3 and "Nguyễn Văn An (TEST ONLY)" in r2
    assert "Có dấu thời gian (B-T)" in r3 and "Cơ bản (B-B)" in r2
    assert "Hợp lệ, văn bản còn nguyên vẹn" in r3 and "Hợp lệ, văn bản còn nguyên vẹn" in r2
    assert "Bản gốc (chưa ký)" in r1 and "Chưa ký" in r1
    assert "theo dấu thời gian" in r3 and "do máy người ký ghi" in r2
    for r in (r1, r2, r3):
        assert PAGE_TIME.search(r), r
    assert "T" not in PAGE_TIME.search(r3).group(0)

    # every version downloads byte-exact, and each signed one validates
    expected = {1: doc["sha256"], 2: v2, 3: v3}
    got = {}
    for n in (1, 2, 3):
        resp = client.get(f"/documents/{doc['id']}/versions/{n}/download")
        assert resp.status_code == 200 and resp.mimetype == "application/pdf"
        assert f"href=\"/documents/{doc['id']}/versions/{n}/download\"" in page
        got[n] = resp.data
        assert hashlib.sha256(resp.data).hexdigest() == expected[n]
    assert all_valid(got[1], dev_pki, 0) == []
    all_valid(got[2], dev_pki, 1)
    (_, _), (_, last) = all_valid(got[3], dev_pki, 2)
    assert got[3].startswith(got[2]) and got[2].startswith(got[1])

    # the time shown for version 3 is its timestamp's, to the second, in Vietnam time
    stamp = last.timestamp_validity.timestamp.astimezone(VN).strftime("%d/%m/%Y %H:%M:%S")
    assert stamp in r3

    # downloads are audited with the version
    records = flow.services.audit.list(action="documents:document:downloaded", limit=100)
    assert {(r.details["revision"], r.output_sha256) for r in records} >= set(expected.items())
    # a version that does not exist, or someone else's document: not found
    assert client.get(f"/documents/{doc['id']}/versions/4/download").status_code == 404
    other = new_document(flow, assignee="binh")
    assert client.get(f"/documents/{other['id']}/versions/1/download").status_code == 404


def test_prefix_lengths_finds_each_version_at_its_end():
    v1 = b"%PDF-1.7\n...\n%%EOF\n"
    v2 = v1 + b"update 1\n%%EOF\r\n"
    v3 = v2 + b"update 2\n%%EOF"
    shas = {hashlib.sha256(v).hexdigest(): len(v) for v in (v1, v2, v3)}
    assert prefix_lengths(v3, set(shas)) == shas
    assert prefix_lengths(v3, {hashlib.sha256(b"other").hexdigest()}) == {}


def test_three_step_signatures_draw_no_time_unless_it_is_the_signatures(flow, dev_pki, tmp_path):
    rect = "300,100,520,170"
    box = (300.0, 100.0, 520.0, 170.0)
    # B-T, text: signer and agency, no time (the timestamp is taken at step 3)
    doc = new_document(flow)
    signed = sign(flow, doc, "B-T", appearance={"profile": "text", "page": "1", "rect": rect}).data
    drawn = pdftotext(signed, tmp_path, box)
    assert "Nguyễn Văn An" in drawn
    assert "Thời gian" not in drawn and not re.search(r"\d{4}-\d{2}-\d{2}T|\d{2}[./]\d{2}[./]\d{4}", drawn)
    all_valid(signed, dev_pki, 1)

    # B-T asking for a time line: refused before any hash is handed out
    doc = new_document(flow)
    resp = start(flow, "an", doc, "official-an", level="B-T",
                 appearance={"profile": "text", "page": "1", "rect": rect, "lines": "signer,time"})
    assert resp.status_code == 422
    problem = resp.get_json()
    assert problem["code"] == "appearance-invalid" and problem["parameter"] == "lines"
    assert "dấu thời gian" in problem["detail_vi"]

    # B-B asking for it: drawn, equal to the signature's own (claimed) time to the second
    signed = sign(flow, doc, "B-B", appearance={"profile": "text", "page": "1", "rect": rect,
                                                "lines": "signer,time"}).data
    ((_, status),) = all_valid(signed, dev_pki, 1)
    own = status.signer_reported_dt.astimezone(VN).replace(microsecond=0).isoformat()
    assert f"Thời gian ký: {own}" in pdftotext(signed, tmp_path, box).replace("\n", " ")

    # attachment stamps need a time: not in three steps at a timestamped level
    doc = new_document(flow)
    resp = start(flow, "an", doc, "official-an", level="B-T",
                 appearance={"profile": "attachment", "doc_number": "12/QĐ-UBND"})
    assert resp.status_code == 422 and resp.get_json()["parameter"] == "profile"


def test_official_profile_draws_image_and_name_without_time(flow, dev_pki, tmp_path):
    admin = RequestContext("t", "tests", "admin")
    flow.services.signing.images.add(admin, "chu-ky-an", "signature", "official:an", signature_png())
    doc = new_document(flow)
    client = browser(flow)
    page = client.get(f"/documents/{doc['id']}").text
    # the official's registered image is the default appearance
    options = re.findall(r"<option value=\"(\w+)\"[^>]*?(selected)?>", page[page.index('id="profile"'):])
    assert options[0] == ("official", "selected")
    assert "Chữ ký cá nhân không ghi thời gian trên trang" in page
    signed = sign(flow, doc, "B-T", appearance={"profile": "official", "image": "chu-ky-an",
                                                "page": "1", "rect": "320,90,490,175"}).data
    ((sig, _),) = all_valid(signed, dev_pki, 1)
    _, got, _ = widget(signed, sig.field_name)
    drawn = pdftotext(signed, tmp_path, got)
    assert "Nguyễn Văn An" in drawn and not re.search(r"\d{2}:\d{2}:\d{2}", drawn)


def csrf_of(html: str) -> str:
    return re.search(r'data-csrf="([^"]+)"', html).group(1)


def test_officials_are_told_the_level_and_cannot_change_it(flow):
    doc = new_document(flow)
    client = browser(flow)
    page = client.get(f"/documents/{doc['id']}").text
    assert '<select id="level"' not in page and "B-LTA" not in page
    assert "Chữ ký số có dấu thời gian: tổ chức cấp dấu thời gian xác nhận thời điểm ký." in page
    assert "dịch vụ công trực tuyến một phần (mức độ 3)" in page
    resp = client.post("/pages/api/sessions", headers={"X-CSRF-Token": csrf_of(page)},
                       json={"document_id": doc["id"], "level": "B-B", "certificate": "x"})
    assert resp.status_code == 403 and resp.get_json()["code"] == "forbidden"
    assert "không được đổi mức chữ ký" in resp.get_json()["detail_vi"]
    refused = flow.services.audit.list(action="signing:session:rejected")[-1]
    assert refused.error_code == "forbidden" and refused.actor == "an"
    english = client.get(f"/documents/{doc['id']}?lang=en").text
    assert "Signature with a timestamp: a timestamping authority confirms the time." in english


@pytest.fixture
def choosing(tmp_path, dev_pki, responders):
    api = build_api(tmp_path / "state", PAGES__LEVEL_CHOICE_ROLES='["official"]')
    _, api.tokens["an"] = api.services.clients.create("an", "official", (),
                                                      RequestContext("t", "tests", "admin"))
    yield api
    api.services.shutdown()


def test_accounts_allowed_to_choose_see_the_levels_explained(choosing):
    doc = new_document(choosing)
    page = browser(choosing).get(f"/documents/{doc['id']}").text
    select = re.search(r'<select id="level">.*?</select>', page, re.S).group(0)
    assert re.findall(r'value="([^"]+)"', select) == ["B-B", "B-T", "B-LT", "B-LTA"]
    assert re.search(r'value="B-T" selected', select)
    assert "Lưu trữ lâu dài (B-LTA)" in page and "thêm dấu thời gian lưu trữ" in page


def test_page_cancel_and_completion_bodies_are_read_by_the_apis_schemas(flow, dev_pki):
    """The officials' page reads step 3 and its cancellation through the schemas of the API
    (SessionComplete, PageCancel): a body of the wrong shape is a 400 naming the field and
    one audited refusal, the session is untouched and can still be signed from the page."""
    doc = new_document(flow)
    resp = start(flow, "an", doc, "official-an", level="B-T")
    assert resp.status_code == 201, resp.get_json()
    session = resp.get_json()
    client = browser(flow)
    csrf = {"X-CSRF-Token": csrf_of(client.get(f"/documents/{doc['id']}").text)}
    url = f"/pages/api/sessions/{session['id']}"

    bad_reason = client.post(f"{url}/cancel", headers=csrf, json={"reason": ["pin-locked"]})
    assert bad_reason.status_code == 400 and bad_reason.get_json()["parameter"] == "reason"
    not_object = client.post(f"{url}/signature", headers=csrf, json=["c2ln"])
    assert not_object.status_code == 400, not_object.get_json()
    refused = flow.services.audit.list(action="signing:session:rejected")[-2:]
    assert [(r.details["step"], r.actor) for r in refused] == [("cancel", "an"), ("complete", "an")]

    done = client.post(f"{url}/signature", headers=csrf,
                       json={"signature": token_sign(dev_pki, "official-an", session)})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["verdict"] == "valid" and done.get_json()["revision"] == 2
    signed = flow.client.get(f"/v1/documents/{doc['id']}/content", headers=flow.headers("an"))
    all_valid(signed.data, dev_pki, 1)
