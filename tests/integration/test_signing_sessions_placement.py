"""Where the official's signature goes in a browser session: the page previews any page
(pdftoppm) with its box in PDF points, lists the document's empty signature fields, and
step 1 takes a page + rectangle or an existing field; the signed PDF has the widget there
and validates (pyHanko, pdfsig)."""

from __future__ import annotations

import io
import re

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from signsvc.services.context import RequestContext
from tests.integration.test_signing_sessions import (  # noqa: F401 - fixtures
    _attach_pki,
    finish,
    flow,
    start,
    token_sign,
)
from tests.support.appearance import pdftotext, template_pdf, widget
from tests.support.tools import pdfsig
from tests.support.validate import pyhanko_statuses

PASSWORD = "mật-khẩu-thử-nghiệm-456"
FIELD_RECT = (350.0, 100.0, 560.0, 170.0)


def upload(api, data: bytes) -> dict:
    resp = api.client.post("/v1/documents", data={
        "file": (io.BytesIO(data), "d.pdf"), "title": "Tờ trình có ô ký", "number": "7/TTr-UBND",
        "assignee": "an"}, headers=api.headers("portal"), content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


@pytest.fixture
def doc(flow):
    return upload(flow, template_pdf([(60, 780, "Tờ trình về việc cấp phép")], pages=2,
                                     empty_field=("OKy", FIELD_RECT)))


def browser(api):
    """A logged-in page client (cookie session) for the official ``an``."""
    api.services.login.set_password(RequestContext("t", "tests", "admin"), "an", PASSWORD)
    client = api.app.test_client()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    resp = client.post("/login", data={"name": "an", "password": PASSWORD, "csrf_token": csrf})
    assert resp.status_code == 302
    return client


def valid(data: bytes, dev_pki, tmp_path) -> None:
    (_, status), = pyhanko_statuses(data, dev_pki.cert("root"), [dev_pki.cert("interm")])
    assert status.intact and status.valid and status.trusted
    path = tmp_path / "placed.pdf"
    path.write_bytes(data)
    (ps,) = [s for s in pdfsig(path, dev_pki.nssdb) if s.common_name]   # (not the empty field)
    assert ps.signature_valid and ps.certificate_trusted


def test_the_page_previews_any_page_and_lists_empty_fields(flow, doc):
    client = browser(flow)
    html = client.get(f"/documents/{doc['id']}").text
    assert 'value="OKy" data-page="1" data-rect="350.0,100.0,560.0,170.0"' in html
    for n in (1, 2):
        png = client.get(f"/documents/{doc['id']}/pages/{n}.png")
        assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
        box = client.get(f"/documents/{doc['id']}/pages/{n}.json").get_json()
        assert box["page"] == n and box["rotate"] == 0
        assert box["box"] == pytest.approx([0, 0, 595.28, 841.89], abs=0.5)   # A4
    assert client.get(f"/documents/{doc['id']}/pages/1.png").data != \
        client.get(f"/documents/{doc['id']}/pages/2.png").data
    for n in (0, 3):
        assert client.get(f"/documents/{doc['id']}/pages/{n}.png").status_code == 404
        assert client.get(f"/documents/{doc['id']}/pages/{n}.json").status_code == 404
    # not logged in: sent to the login page, no image
    assert flow.app.test_client().get(f"/documents/{doc['id']}/pages/1.png").status_code == 302


def test_signing_into_an_existing_empty_field(flow, dev_pki, doc, tmp_path):
    resp = start(flow, "an", doc, "official-an", level="B-B", field="OKy",
                 appearance={"profile": "text", "agency": "UBND Tỉnh Thử Nghiệm"})
    assert resp.status_code == 201, resp.get_json()
    session = resp.get_json()
    done = finish(flow, "an", session, token_sign(dev_pki, "official-an", session))
    assert done.status_code == 200, done.get_json()
    signed = done.data
    _, rect, _ = widget(signed, "OKy")
    assert rect == pytest.approx(FIELD_RECT)
    assert PdfFileReader(io.BytesIO(signed)).embedded_signatures[0].field_name == "OKy"
    assert "Cơ quan: UBND Tỉnh Thử Nghiệm" in pdftotext(signed, tmp_path, rect)
    valid(signed, dev_pki, tmp_path)
    prepared = flow.services.audit.list(action="signing:session:prepared")[-1]
    assert prepared.details["field"] == "OKy" and prepared.details["page"] == 1
    # the field is signed now: it is no longer offered, and cannot be asked for again
    assert flow.services.documents.empty_fields(RequestContext("t", "an", "official"), doc["id"]) == []


def test_a_box_on_page_two(flow, dev_pki, doc, tmp_path):
    rect = (300.0, 500.0, 470.0, 585.0)
    resp = start(flow, "an", doc, "official-an", level="B-B",
                 appearance={"profile": "text", "page": "2", "rect": ",".join(map(str, rect))})
    assert resp.status_code == 201, resp.get_json()
    session = resp.get_json()
    signed = finish(flow, "an", session, token_sign(dev_pki, "official-an", session)).data
    name = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0].field_name
    _, got, _ = widget(signed, name)
    assert got == pytest.approx(rect)
    assert "Nguyễn Văn An" in pdftotext(signed, tmp_path, got, page=2)
    assert "Nguyễn Văn An" not in pdftotext(signed, tmp_path, got, page=1)
    valid(signed, dev_pki, tmp_path)
    prepared = flow.services.audit.list(action="signing:session:prepared")[-1]
    assert prepared.details["page"] == 2 and prepared.details["rect"] == "300.00,500.00,470.00,585.00"


@pytest.mark.parametrize("extra,status,code,parameter", [
    ({"field": "không hợp lệ!"}, 400, "bad-request", "field"),
    ({"field": 5}, 400, "bad-request", "field"),
    ({"field": "KhongCo"}, 422, "appearance-invalid", "field"),
    ({"appearance": {"profile": "text", "page": "3", "rect": "10,10,100,60"}}, 422,
     "appearance-invalid", "page"),
    ({"appearance": {"profile": "text", "page": "1", "rect": "500,800,700,900"}}, 422,
     "appearance-invalid", "rect"),
])
def test_placements_that_do_not_fit_are_refused_before_any_hash(flow, doc, extra, status, code,
                                                                parameter):
    resp = start(flow, "an", doc, "official-an", level="B-B", **extra)
    body = resp.get_json()
    assert resp.status_code == status and body["code"] == code, body
    assert body.get("parameter") == parameter and "hash" not in body
    assert body["detail_vi"] and body["detail_en"]


def test_previews_at_the_resolution_the_screen_needs(flow, doc):
    """The zoomable preview asks for 60, 100, 150 or 200 dpi; anything else is a 400."""
    import struct

    client = browser(flow)
    sizes = {}
    for dpi in (60, 100, 150, 200):
        png = client.get(f"/documents/{doc['id']}/pages/1.png?dpi={dpi}")
        assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
        sizes[dpi] = struct.unpack(">II", png.data[16:24])          # IHDR width, height
    for dpi, (width, height) in sizes.items():
        assert width == pytest.approx(595.28 / 72 * dpi, abs=2)   # (pdftoppm rounds up)
        assert height == pytest.approx(841.89 / 72 * dpi, abs=2)
    bad = client.get(f"/documents/{doc['id']}/pages/1.png?dpi=75")
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "dpi"
