"""The clerk's workflow around visible signatures (issue 6): attachments in the same file or
in files of their own (WF-5), copies signed only by the clerk (WF-6), the dry run of
/v1/policy/evaluate seeing the same placement problems as /v1/sign, and the agency's own
font file taken from the configuration. Real SoftHSM2 keys, the test PKI and its TSA;
every signature produced is validated by pyHanko and pdfsig."""

from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path

import pytest

from tests.conftest import build_api
from tests.support import visual_cases as vc
from tests.support.appearance import all_streams, fonts_of, pdftotext, widget
from tests.support.tools import pdfsig
from tests.support.validate import pyhanko_statuses

ISO_VN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00$")
MM = 72 / 25.4
PDF = {"Content-Type": "application/pdf"}


@pytest.fixture(scope="module")
def wapi(dev_pki, responders, tmp_path_factory):
    """dev-software is an official's key; the seal and signature images are registered."""
    a = build_api(tmp_path_factory.mktemp("workflow"), keys__dev_software__kind="official")
    _, a.tokens["clerk-all"] = a.services.clients.create(
        "clerk-all", "clerk", ("agency-seal", "dev-software"), vc.CTX)
    vc.register_images(a.services)
    yield a
    a.services.shutdown()


def _sign(api, key: str, who: str, data: bytes = vc.TEMPLATE, level: str = "B-B", **params):
    return api.client.post("/v1/sign", query_string={"key": key, "level": level, **params},
                           data=data, headers=api.headers(who, **PDF))


def _evaluate(api, key: str, who: str, data: bytes | None = vc.TEMPLATE, **params):
    headers = api.headers(who, **PDF) if data is not None else api.headers(who)
    resp = api.client.post("/v1/policy/evaluate",
                           query_string={"key": key, "level": "B-T", **params},
                           data=data, headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    return body, {r["rule"]: r for r in body["rules"]}


def _valid_everywhere(data: bytes, dev_pki, tmp_path: Path) -> None:
    (status,) = [st for _, st in pyhanko_statuses(data, dev_pki.cert("root"),
                                                   [dev_pki.cert("interm")])]
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    f = tmp_path / "signed.pdf"
    f.write_bytes(data)
    (sig,) = pdfsig(f, dev_pki.nssdb)
    assert sig.signature_valid and sig.certificate_trusted, sig.raw


def _refused(api, resp, status: int, code: str, rule: str, since: int) -> dict:
    """A problem+json refusal (Vietnamese first), audited, and no signature recorded."""
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["code"] == code and body["rule"] == rule
    assert body["detail"].index(body["detail_vi"]) < body["detail"].index(body["detail_en"])
    denials = api.services.audit.list(after_sequence=since, action="policy:rule:denied")
    assert [(r.error_code, r.details["rule"]) for r in denials] == [(code, rule)]
    assert api.services.audit.list(after_sequence=since, action="signing:document:signed") == []
    return body


def _head(api) -> int:
    records = api.services.audit.list()
    return records[-1].sequence if records else 0


# -- WF-5: attachments -----------------------------------------------------------------

def test_separate_file_attachment_gets_the_agency_stamp(wapi, dev_pki, tmp_path):
    number = unicodedata.normalize("NFD", "Số 18/QĐ-UBND")
    resp = _sign(wapi, "agency-seal", "clerk-all", level="B-T", profile="attachment",
                 attachment_mode="separate_file", doc_number=number)
    assert resp.status_code == 200, resp.get_json()
    out = resp.data
    _, rect, _ = widget(out, "Signature1")
    # top right of page 1, inside the 90 x 25 mm margin box, 5 mm from the edges
    assert rect[2] == pytest.approx(595 - 5 * MM, abs=0.01)
    assert rect[3] == pytest.approx(842 - 5 * MM, abs=0.01)
    assert rect[0] >= 595 - 90 * MM and rect[1] >= 842 - 25 * MM
    lines = [x for x in pdftotext(out, tmp_path, rect).replace("\x0c", "").splitlines() if x.strip()]
    assert lines[0] == "Số 18/QĐ-UBND" and ISO_VN.match(lines[1]) and len(lines) == 2
    _valid_everywhere(out, dev_pki, tmp_path)
    record = wapi.services.audit.list(action="signing:document:signed")[-1]
    assert record.details["appearance"] == "attachment"
    assert "workflow.attachments" in record.details["policy_passed"]


def test_same_file_attachment_stamp_is_refused_and_dry_run_says_so(wapi):
    since = _head(wapi)
    resp = _sign(wapi, "agency-seal", "clerk-all", profile="attachment",
                 attachment_mode="same_file", doc_number="18/QĐ-UBND")
    body = _refused(wapi, resp, 422, "attachment-mode", "workflow.attachments", since)
    assert "chỉ văn bản chính được ký" in body["detail_vi"]
    assert "only the main document gets the agency signature" in body["detail_en"]

    body, rules = _evaluate(wapi, "agency-seal", "clerk-all", profile="attachment",
                            attachment_mode="same_file", doc_number="18/QĐ-UBND")
    assert body["allowed"] is False and body["denied_by"] == "workflow.attachments"
    assert rules["workflow.attachments"]["evaluated"]["attachment_mode"] == "same_file"
    assert body["facts"]["attachment_mode"] == "same_file"
    # in same_file mode the main document's seal is the one agency signature: allowed
    body, rules = _evaluate(wapi, "agency-seal", "clerk-all", profile="seal", image="seal-ubnd",
                            page="1", rect="360,100,520,260", attachment_mode="same_file")
    assert rules["workflow.attachments"]["outcome"] == "pass"
    assert "only one" in rules["workflow.attachments"]["message"]["en"]


def test_attachment_stamp_needs_the_agency_key(wapi):
    since = _head(wapi)
    resp = _sign(wapi, "dev-software", "clerk-all", profile="attachment", doc_number="18/QĐ-UBND")
    body = _refused(wapi, resp, 422, "attachment-mode", "workflow.attachments", since)
    assert "khóa con dấu cơ quan" in body["detail_vi"] and "official" in body["detail_en"]


def test_bad_attachment_mode_is_a_400_naming_the_parameter(wapi):
    resp = _sign(wapi, "agency-seal", "clerk-all", profile="attachment", doc_number="1/TB",
                 attachment_mode="inline")
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["parameter"] == "attachment_mode" and "separate_file" in body["detail_vi"]


# -- WF-6: copies by the clerk only -------------------------------------------------------

def test_portal_may_not_sign_a_copy(wapi):
    since = _head(wapi)
    resp = _sign(wapi, "agency-seal", "portal", profile="copy", copy_kind="sao-y",
                 agency="Văn phòng UBND tỉnh Thử Nghiệm")
    body = _refused(wapi, resp, 403, "policy-denied", "workflow.copies", since)
    assert "vai trò portal không được ký bản sao" in body["detail_vi"]
    assert "role portal may not sign copies" in body["detail_en"]
    body, _rules = _evaluate(wapi, "agency-seal", "portal", profile="copy", copy_kind="sao-y",
                            agency="Văn phòng UBND tỉnh Thử Nghiệm")
    assert body["denied_by"] == "workflow.copies" and body["allowed"] is False


def test_clerk_signs_the_copy(wapi, dev_pki, tmp_path):
    resp = _sign(wapi, "agency-seal", "clerk-all", level="B-T", profile="copy",
                 copy_kind="trich-sao", agency="Văn phòng UBND tỉnh Thử Nghiệm")
    assert resp.status_code == 200, resp.get_json()
    _, rect, _ = widget(resp.data, "Signature1")
    lines = [x for x in pdftotext(resp.data, tmp_path, rect).replace("\x0c", "").splitlines()
             if x.strip()]
    assert lines[:2] == ["TRÍCH SAO", "Văn phòng UBND tỉnh Thử Nghiệm"] and ISO_VN.match(lines[2])
    _valid_everywhere(resp.data, dev_pki, tmp_path)
    record = wapi.services.audit.list(action="signing:document:signed")[-1]
    assert record.actor == "clerk-all" and record.details["appearance"] == "copy"
    assert "workflow.copies" in record.details["policy_passed"]


# -- the dry run sees what /v1/sign would refuse ------------------------------------------

def test_dry_run_reports_a_box_off_the_page(wapi):
    params = {"profile": "text", "page": "1", "rect": "500,780,700,830"}
    body, rules = _evaluate(wapi, "agency-seal", "clerk-all", **params)
    check = rules["appearance.visible-signature"]
    assert body["allowed"] is False and body["denied_by"] == "appearance.visible-signature"
    assert check["outcome"] == "fail" and check["evaluated"]["status"] == 422
    assert check["evaluated"]["code"] == "appearance-invalid"
    signed = _sign(wapi, "agency-seal", "clerk-all", **params)
    assert signed.status_code == 422
    assert signed.get_json()["detail_vi"] == check["message"]["vi"]


def test_dry_run_reports_a_seal_image_with_a_personal_key(wapi):
    params = {"profile": "seal", "image": "seal-ubnd", "page": "1", "rect": "360,100,520,260"}
    body, rules = _evaluate(wapi, "dev-software", "clerk-all", **params)
    check = rules["appearance.visible-signature"]
    assert body["allowed"] is False and check["evaluated"]["parameter"] == "image"
    assert "seal-ubnd" in check["message"]["en"] and "dev-software" in check["message"]["en"]
    assert _sign(wapi, "dev-software", "clerk-all", **params).status_code == 422
    # the same seal with its own key: the dry run allows it, and so does /v1/sign
    body, rules = _evaluate(wapi, "agency-seal", "clerk-all", **params)
    assert rules["appearance.visible-signature"]["outcome"] == "pass"
    assert body["allowed"] is True


def test_dry_run_reports_an_anchor_not_found_and_skips_placement_without_a_pdf(wapi):
    _body, rules = _evaluate(wapi, "dev-software", "clerk-all", profile="official",
                             image="sig-an", anchor="Không có dòng này")
    assert rules["appearance.visible-signature"]["outcome"] == "fail"
    assert rules["appearance.visible-signature"]["evaluated"]["parameter"] == "anchor"
    # document facts only: the image is checked, the placement cannot be
    resp = wapi.client.post("/v1/policy/evaluate",
                            query_string={"key": "dev-software", "level": "B-T",
                                          "profile": "official", "image": "sig-an",
                                          "anchor": vc.NAME_LINE},
                            json={"document": {"size": 5000, "pages": 1}},
                            headers=wapi.headers("clerk-all"))
    check = {r["rule"]: r for r in resp.get_json()["rules"]}["appearance.visible-signature"]
    assert check["outcome"] == "skip" and "No PDF" in check["message"]["en"]


# -- the agency's own font file from the configuration (VS-7) ------------------------------

def test_font_file_from_config_is_embedded_and_text_extracts_nfc(dev_pki, responders, tmp_path):
    """An agency supplies its font file through [appearance] font_path (here Liberation Sans,
    installed with fonts-liberation2, standing in for Times New Roman)."""
    supplied = tmp_path / "agency-fonts" / "agency-font.ttf"
    supplied.parent.mkdir()
    shutil.copy("/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf", supplied)
    a = build_api(tmp_path / "state", appearance__font_path=str(supplied))
    try:
        assert a.services.settings.appearance.font_path == supplied
        number = unicodedata.normalize("NFD", "Số 7/GM-UBND: Ấp Đồng Ưng")
        resp = _sign(a, "agency-seal", "portal", level="B-T", profile="attachment",
                     doc_number=number)
        assert resp.status_code == 200, resp.get_json()
        _, rect, ap = widget(resp.data, "Signature1")
        (font,) = fonts_of(ap)
        base = str(font["/DescendantFonts"][0].get_object()["/BaseFont"])
        assert re.match(r"^/[A-Z]{6}\+LiberationSans", base), base
        assert "Serif" not in base and "/ToUnicode" in font
        assert set(re.findall(rb"/F\d+ ([\d.]+) Tf", all_streams(ap))) == {b"10"}
        lines = [x for x in pdftotext(resp.data, tmp_path, rect).replace("\x0c", "").splitlines()
                 if x.strip()]
        assert lines[0] == unicodedata.normalize("NFC", number) == "Số 7/GM-UBND: Ấp Đồng Ưng"
        _valid_everywhere(resp.data, dev_pki, tmp_path)
    finally:
        a.services.shutdown()
