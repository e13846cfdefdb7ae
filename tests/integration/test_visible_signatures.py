"""Visible signatures (issue 6; rules VS-1 … VS-11 of vietnam-signature-rules.md), checked
the way a person would look at them: widget rectangles and appearance streams, the text
pdftotext extracts, pyHanko and pdfsig validation, and renderings against references."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from signsvc.signing.appearance.spec import AppearanceSpec
from tests.conftest import build_api
from tests.support import visual_cases as vc
from tests.support.appearance import (
    all_streams,
    compare_png,
    fonts_of,
    image_rect_in_page,
    pdftotext,
    render_page,
    signing_times,
    template_pdf,
    widget,
)
from tests.support.tools import pdfsig
from tests.support.validate import pyhanko_statuses

ISO_VN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00$")
VISUAL = Path(__file__).resolve().parent.parent / "data" / "visual"
MM = 72 / 25.4


@pytest.fixture(scope="module")
def vapi(dev_pki, responders, tmp_path_factory):
    """A service where dev-software is an official's key, with images registered."""
    a = build_api(tmp_path_factory.mktemp("visible"), keys__dev_software__kind="official")
    _, a.tokens["clerk-all"] = a.services.clients.create(
        "clerk-all", "clerk", ("agency-seal", "dev-software"), vc.CTX)
    vc.register_images(a.services)
    yield a
    a.services.shutdown()


def _sign(api, key: str, data: bytes, who: str = "clerk-all", level: str = "B-B", **params):
    return api.client.post("/v1/sign", query_string={"key": key, "level": level, **params},
                           data=data, headers=api.headers(who, **{"Content-Type": "application/pdf"}))


def _valid(data: bytes, dev_pki, count: int) -> None:
    statuses = pyhanko_statuses(data, dev_pki.cert("root"), [dev_pki.cert("interm")])
    assert len(statuses) == count
    for _, st in statuses:
        assert st.intact and st.valid and st.trusted, st.pretty_print_details()


def _pdfsig_valid(data: bytes, dev_pki, tmp_path: Path, count: int) -> None:
    f = tmp_path / "signed.pdf"
    f.write_bytes(data)
    sigs = pdfsig(f, dev_pki.nssdb)
    assert len(sigs) == count
    assert all(s.signature_valid and s.certificate_trusted for s in sigs), [s.raw for s in sigs]


def _lines(text: str) -> list[str]:
    return [line for line in text.replace("\x0c", "").splitlines() if line.strip()]


def _words(tmp_path: Path, data: bytes) -> list[tuple[float, float, float, float, str]]:
    """Every word pdftotext finds on page 1: (x1, y1, x2, y2) in PDF points, and its text."""
    import subprocess
    import xml.etree.ElementTree as ET

    f = tmp_path / "words.pdf"
    f.write_bytes(data)
    html = subprocess.run(["pdftotext", "-q", "-bbox", "-f", "1", "-l", "1", str(f), "-"],
                          capture_output=True, check=True).stdout
    return [(float(w.get("xMin")), 842 - float(w.get("yMax")), float(w.get("xMax")),
             842 - float(w.get("yMin")), w.text)
            for w in ET.fromstring(html).iter("{http://www.w3.org/1999/xhtml}word")]


def _anchor_rect(tmp_path: Path, data: bytes, words: str):
    import subprocess
    import xml.etree.ElementTree as ET

    f = tmp_path / "anchor.pdf"
    f.write_bytes(data)
    html = subprocess.run(["pdftotext", "-q", "-bbox-layout", str(f), "-"], capture_output=True,
                          check=True).stdout
    for w in ET.fromstring(html).iter("{http://www.w3.org/1999/xhtml}word"):
        if w.text == words:
            return (float(w.get("xMin")), 842 - float(w.get("yMax")), float(w.get("xMax")),
                    842 - float(w.get("yMin")))
    raise AssertionError(words)


# -- attachment and copy stamps (VS-5 … VS-8, VS-10) -------------------------------------

def test_attachment_stamp_top_right_two_lines_10pt_black_nfc(vapi, dev_pki, tmp_path):
    number = unicodedata.normalize("NFD", "Số 45/QĐ-UBND")      # decomposed on purpose
    resp = _sign(vapi, "agency-seal", vc.TEMPLATE, level="B-T", profile="attachment",
                 doc_number=number)
    assert resp.status_code == 200, resp.get_json()
    out = resp.data
    _, rect, ap = widget(out, "Signature1")
    # inside the top-right margin box (90 x 25 mm) of page 1, 5 mm from the edges
    assert rect[2] == pytest.approx(595 - 5 * MM, abs=0.01)
    assert rect[3] == pytest.approx(842 - 5 * MM, abs=0.01)
    assert rect[0] >= 595 - 90 * MM and rect[1] >= 842 - 25 * MM
    stream = all_streams(ap)
    assert set(re.findall(rb"/F\d+ ([\d.]+) Tf", stream)) == {b"10"}
    assert set(re.findall(rb"([\d.]+ [\d.]+ [\d.]+) rg", stream)) == {b"0 0 0"}
    assert b" Do" not in stream.replace(b"/F", b""), "no image in an attachment stamp"
    (font,) = fonts_of(ap)
    assert "LiberationSerif" in str(font["/BaseFont"]) and "/ToUnicode" in font
    assert re.match(r"^/[A-Z]{6}\+", str(font["/DescendantFonts"][0].get_object()["/BaseFont"]))
    lines = _lines(pdftotext(out, tmp_path, rect))
    assert lines[0] == unicodedata.normalize("NFC", number) == "Số 45/QĐ-UBND"
    # glyph advances in thousandths of an em: the drawn line spans the width it was laid
    # out for (pyHanko's own engine would draw Liberation Serif about twice as wide)
    drawn = [w for w in _words(tmp_path, out) if w[4] in lines]
    assert len(drawn) == 2 and all(w[0] == pytest.approx(rect[0] + 2, abs=0.5) for w in drawn)
    assert max(w[2] for w in drawn) == pytest.approx(rect[2] - 2, abs=1.0)
    assert len(lines) == 2 and ISO_VN.match(lines[1])
    # VS-8: the page time is the claimed signing time, and the TSA's within a second
    (claimed,) = signing_times(out)
    assert lines[1] == claimed.astimezone(vc.VIETNAM).isoformat()
    from signsvc.signing.pades import signature_timestamp_time
    assert abs((signature_timestamp_time(out) - claimed).total_seconds()) <= 1.5
    _valid(out, dev_pki, 1)
    _pdfsig_valid(out, dev_pki, tmp_path, 1)


@pytest.mark.parametrize("kind,label", [("sao-y", "SAO Y"), ("sao-luc", "SAO LỤC"),
                                        ("trich-sao", "TRÍCH SAO")])
def test_copy_stamp_kind_agency_time(vapi, dev_pki, tmp_path, kind, label):
    resp = _sign(vapi, "agency-seal", vc.TEMPLATE, profile="copy", copy_kind=kind,
                 agency="Văn phòng Ủy ban nhân dân tỉnh Thử Nghiệm", eservice="copy")
    assert resp.status_code == 200, resp.get_json()
    out = resp.data
    _, rect, ap = widget(out, "Signature1")
    assert rect[2] <= 595 and rect[3] <= 842 and rect[0] >= 595 - 90 * MM and rect[1] >= 842 - 25 * MM
    assert set(re.findall(rb"/F\d+ ([\d.]+) Tf", all_streams(ap))) == {b"10"}
    lines = _lines(pdftotext(out, tmp_path, rect))
    assert lines[:2] == [label, "Văn phòng Ủy ban nhân dân tỉnh Thử Nghiệm"]
    assert len(lines) == 3 and ISO_VN.match(lines[2])
    _valid(out, dev_pki, 1)
    if kind == "sao-y":
        _pdfsig_valid(out, dev_pki, tmp_path, 1)


# -- official and seal (VS-1 … VS-4, VS-11) ---------------------------------------------

def test_official_centred_on_anchor_then_seal_over_left_third(vapi, dev_pki, tmp_path):
    resp = _sign(vapi, "dev-software", vc.TEMPLATE, profile="official", anchor=vc.NAME_LINE,
                 image="sig-an")
    assert resp.status_code == 200, resp.get_json()
    first = resp.data
    _, rect, _ = widget(first, "Signature1")
    name = _anchor_rect(tmp_path, first, vc.NAME_LINE)
    # VS-2: the widget's x-centre is the anchor's, within 1 pt; it sits above the name line
    assert (rect[0] + rect[2]) / 2 == pytest.approx((name[0] + name[2]) / 2, abs=1)
    assert rect[1] >= name[3]
    sig = image_rect_in_page(first, "Signature1")
    assert rect[0] - 0.01 <= sig[0] and sig[2] <= rect[2] + 0.01
    assert (sig[0] + sig[2]) / 2 == pytest.approx((rect[0] + rect[2]) / 2, abs=0.5)
    # VS-11: no time text on the personal signature by default
    assert "+07:00" not in pdftotext(first, tmp_path, rect)

    resp = _sign(vapi, "agency-seal", first, profile="seal", over_field="Signature1",
                 image="seal-ubnd")
    assert resp.status_code == 200, resp.get_json()
    both = resp.data
    assert both.startswith(first)
    seal = image_rect_in_page(both, "Signature2")
    width = seal[2] - seal[0]
    # VS-3: the seal at its physical size (36 mm), not scaled
    assert width == pytest.approx(36 / 25.4 * 72, abs=0.5)
    # VS-4: it covers the left third of the signature image and sticks out to the left
    sig_w = sig[2] - sig[0]
    assert seal[2] - sig[0] == pytest.approx(sig_w / 3, abs=0.1 * sig_w)
    assert seal[0] < sig[0]
    # VS-11: the seal never hides the name line
    assert seal[1] >= name[3] or seal[3] <= name[1] or seal[2] <= name[0] or seal[0] >= name[2]
    _valid(both, dev_pki, 2)
    _pdfsig_valid(both, dev_pki, tmp_path, 2)
    records = vapi.services.audit.list(action="signing:document:signed")
    assert records[-1].details["image_sha256"] == hashlib.sha256(
        vapi.services.signing.images._store.get("seal-ubnd").png).hexdigest()
    assert records[-2].details["appearance"] == "official"


def test_seal_image_only_with_the_agency_seal_key(vapi):
    from signsvc.errors import SignsvcError
    from signsvc.services.context import RequestContext
    from tests.support.appearance import seal_png

    admin = RequestContext(request_id="t", actor="tests", role="admin")
    with pytest.raises(SignsvcError) as err:
        vapi.services.signing.images.add(admin, "seal-wrong", "seal", "dev-software", seal_png())
    assert "khóa con dấu cơ quan" in err.value.message.vi
    # a registered seal cannot be drawn by another key
    resp = _sign(vapi, "dev-software", vc.TEMPLATE, profile="seal", page="1",
                 rect="100,100,300,300", image="seal-ubnd")
    assert resp.status_code == 422 and resp.get_json()["code"] == "appearance-invalid"


# -- text, vgca-compat, existing field ---------------------------------------------------

def test_text_lines_switchable_in_rect(vapi, dev_pki, tmp_path):
    resp = _sign(vapi, "agency-seal", vc.TEMPLATE, profile="text", page="1",
                 rect="300,90,560,150", lines="agency,time", agency="Sở Tư pháp")
    assert resp.status_code == 200, resp.get_json()
    _, rect, _ = widget(resp.data, "Signature1")
    assert rect == pytest.approx((300, 90, 560, 150))
    lines = _lines(pdftotext(resp.data, tmp_path, rect))
    assert lines[0] == "Cơ quan: Sở Tư pháp" and len(lines) == 2
    assert ISO_VN.match(lines[1].removeprefix("Thời gian ký: "))
    _valid(resp.data, dev_pki, 1)
    _pdfsig_valid(resp.data, dev_pki, tmp_path, 1)


def test_vgca_compat_lines(vapi, dev_pki, tmp_path):
    resp = _sign(vapi, "agency-seal", vc.TEMPLATE, profile="vgca-compat", page="1",
                 rect="40,90,330,160", email="vanthu@thunghiem.gov.vn")
    assert resp.status_code == 200, resp.get_json()
    _, rect, _ = widget(resp.data, "Signature1")
    lines = _lines(pdftotext(resp.data, tmp_path, rect))
    assert [line.split(":")[0] for line in lines] == ["Người ký", "Email", "Cơ quan", "Thời gian ký"]
    assert re.match(r"^Thời gian ký: \d{2}\.\d{2}\.\d{4} \d{2}:\d{2}:\d{2} \+07:00$", lines[3])
    _valid(resp.data, dev_pki, 1)
    _pdfsig_valid(resp.data, dev_pki, tmp_path, 1)


def test_existing_empty_field(vapi, dev_pki, tmp_path):
    data = template_pdf([(60, 780, "Mẫu có sẵn ô ký")], empty_field=("OKy", (350, 100, 560, 170)))
    resp = _sign(vapi, "agency-seal", data, profile="text", field="OKy", agency="Sở Nội vụ")
    assert resp.status_code == 200, resp.get_json()
    _, rect, _ = widget(resp.data, "OKy")
    assert rect == pytest.approx((350, 100, 560, 170))
    assert "Cơ quan: Sở Nội vụ" in pdftotext(resp.data, tmp_path, rect)
    _valid(resp.data, dev_pki, 1)


# -- refusals: 422, nothing signed -------------------------------------------------------

@pytest.mark.parametrize("params,needle", [
    ({"profile": "text", "anchor": "Không có dòng này"}, "Không tìm thấy văn bản neo"),
    ({"profile": "text", "page": "1", "rect": "500,800,700,900"}, "nằm ngoài trang"),
    ({"profile": "text", "page": "4", "rect": "10,10,100,60"}, "không có trang 4"),
    ({"profile": "text"}, "Chưa chỉ định vị trí"),
    ({"profile": "text", "field": "KhongCo"}, "Chưa chỉ định vị trí"),
    ({"profile": "attachment"}, "doc_number"),
    ({"profile": "official", "page": "1", "rect": "10,10,200,100", "image": "khong-co"},
     "Không có ảnh chữ ký"),
])
def test_unplaceable_is_422_and_nothing_signed(vapi, params, needle):
    before = len(vapi.services.audit.list(action="signing:document:signed"))
    key = "dev-software" if params["profile"] == "official" else "agency-seal"
    resp = _sign(vapi, key, vc.TEMPLATE, **params)
    body = resp.get_json()
    assert resp.status_code == 422, body
    assert body["code"] == "appearance-invalid"
    assert needle in body["detail_vi"] and "Nothing was signed" in body["detail_en"]
    assert len(vapi.services.audit.list(action="signing:document:signed")) == before
    failed = vapi.services.audit.list(action="signing:document:failed")
    assert failed[-1].error_code == "appearance-invalid"


@pytest.mark.parametrize("params", [
    {"profile": "stamp-x"}, {"profile": "text", "rect": "1,2,3"}, {"profile": "copy", "copy_kind": "x"},
    {"profile": "text", "lines": "signer,signer"}, {"anchor": "Nguyễn"},
    {"profile": "text", "page": "0", "rect": "1,2,3,4"},
])
def test_malformed_parameters_are_400(vapi, params):
    resp = _sign(vapi, "agency-seal", vc.TEMPLATE, **params)
    assert resp.status_code == 400, resp.get_json()


# -- visual: renderings against the reviewed references ----------------------------------

@pytest.mark.parametrize("name", list(vc.CASES))
def test_rendering_matches_reference(vapi, dev_pki, tmp_path, name):
    data = vc.CASES[name](vapi.services)
    count = 2 if name == "seal" else 1
    _valid(data, dev_pki, count)
    png = render_page(data, tmp_path)
    differing, mean = compare_png(png, VISUAL / f"{name}.png")
    assert differing < 0.002 and mean < 1.0, (name, differing, mean)
    # the comparison is not blind: the unsigned page differs from the reference
    blank = render_page(vc.TEMPLATE, tmp_path / "..")
    assert compare_png(blank, VISUAL / f"{name}.png")[0] > 0.0005


def test_signing_time_is_the_same_everywhere(vapi):
    spec = AppearanceSpec("attachment", doc_number="1/TB", signing_time=vc.FIXED_TIME)
    out = vc.sign(vapi.services, "agency-seal", vc.TEMPLATE, spec).data
    (claimed,) = signing_times(out)
    assert claimed == vc.FIXED_TIME
    sig = PdfFileReader(io.BytesIO(out)).embedded_signatures[0]
    assert sig.self_reported_timestamp == vc.FIXED_TIME


def test_cli_images_add_and_list(dev_pki, tmp_path):
    import json
    import os
    import subprocess

    from tests.conftest import REPO
    from tests.support.appearance import seal_png, signature_png

    env = {**os.environ, "SIGNSVC_SERVICE__STATE_DIR": str(tmp_path / "state"),
           "SIGNSVC_AUDIT__PATH": str(tmp_path / "state" / "audit.sqlite3"),
           "SIGNSVC_AUDIT__CHECKPOINT_KEY": ""}

    def run(*args):
        return subprocess.run([str(REPO / ".venv" / "bin" / "signsvc"), "images", *args], env=env,
                              cwd=REPO, capture_output=True, text=True, timeout=120)

    (tmp_path / "seal.png").write_bytes(seal_png())
    (tmp_path / "sig.png").write_bytes(signature_png())
    ok = run("add", "seal-cli", str(tmp_path / "seal.png"), "--kind", "seal", "--key",
             "agency-seal", "--diameter-mm", "38")
    assert ok.returncode == 0, ok.stderr
    sha = hashlib.sha256(seal_png()).hexdigest()
    assert sha in ok.stdout and "Đã đăng ký ảnh" in ok.stdout
    # a JPEG-like file, and a signature image on the agency seal key, are refused
    (tmp_path / "x.png").write_bytes(b"\xff\xd8\xff" + bytes(64))
    bad = run("add", "x", str(tmp_path / "x.png"), "--kind", "seal", "--key", "agency-seal")
    assert bad.returncode == 2 and "PNG" in bad.stderr
    wrong = run("add", "sig", str(tmp_path / "sig.png"), "--kind", "signature", "--key",
                "agency-seal")
    assert wrong.returncode == 2 and "khóa con dấu cơ quan" in wrong.stderr
    nobody = run("add", "sig-x", str(tmp_path / "sig.png"), "--kind", "signature", "--official",
                 "khong-co-ai")
    assert nobody.returncode == 2 and "Không có máy khách" in nobody.stderr
    listed = json.loads(run("list", "--json").stdout)
    assert [(i["name"], i["sha256"], i["diameter_mm"]) for i in listed] == [("seal-cli", sha, 38.0)]


def test_text_colour_is_configurable(dev_pki, responders, tmp_path):
    a = build_api(tmp_path / "state", appearance__text_color="#1F3FAA")
    try:
        resp = _sign(a, "agency-seal", vc.TEMPLATE, who="portal", profile="attachment",
                     doc_number="7/GM")
        assert resp.status_code == 200, resp.get_json()
        _, _, ap = widget(resp.data, "Signature1")
        assert set(re.findall(rb"([\d.]+ [\d.]+ [\d.]+) rg", all_streams(ap))) == \
            {b"0.1216 0.2471 0.6667"}
    finally:
        a.services.shutdown()


def test_images_api_admin_only_validated_and_listed(vapi):
    from tests.support.appearance import png_bytes, seal_png

    def post(who, data, ctype="image/png", **q):
        return vapi.client.post("/v1/images", query_string=q, data=data,
                                headers=vapi.headers(who, **{"Content-Type": ctype}))

    assert post("clerk-all", seal_png(), name="s1", kind="seal", key="agency-seal").status_code == 403
    opaque = png_bytes(8, 8, lambda x, y: (0, 0, 0, 255))
    resp = post("admin", opaque, name="s1", kind="seal", key="agency-seal")
    assert resp.status_code == 422 and "trong suốt" in resp.get_json()["detail_vi"]
    assert post("admin", seal_png(), "image/jpeg", name="s1", kind="seal",
                key="agency-seal").status_code == 415
    resp = post("admin", seal_png(), name="seal-api", kind="seal", key="agency-seal",
                diameter_mm="42")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["sha256"] == hashlib.sha256(seal_png()).hexdigest() and body["diameter_mm"] == 42
    again = post("admin", seal_png(), name="seal-api", kind="seal", key="agency-seal")
    assert again.status_code == 400 and "không bị thay thế" in again.get_json()["detail_vi"]
    listed = vapi.client.get("/v1/images", headers=vapi.headers("auditor")).get_json()["images"]
    assert {"seal-api", "seal-ubnd", "sig-an"} <= {i["name"] for i in listed}
    assert all("png" not in i for i in listed)
    events = vapi.services.audit.list(action="appearance:image:registered")
    assert events[-1].input_sha256 == body["sha256"]
    assert vapi.services.audit.list(action="appearance:image:rejected")


def test_rotated_page_is_refused(vapi):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    w = IncrementalPdfFileWriter(io.BytesIO(vc.TEMPLATE))
    page_ref, _ = w.find_page_for_modification(0)
    page = page_ref.get_object()
    page[generic.NameObject("/Rotate")] = generic.NumberObject(90)
    w.update_container(page)
    out = io.BytesIO()
    w.write(out)
    resp = _sign(vapi, "agency-seal", out.getvalue(), profile="attachment", doc_number="1/TB")
    assert resp.status_code == 422 and "trang xoay" in resp.get_json()["detail_vi"]


# -- browser signing: the official's own token draws the visible signature ----------------

from tests.integration.test_signing_sessions import (  # noqa: E402
    _attach_pki,
    finish,
    flow,
    new_document,
    start,
    token_sign,
)

__all__ = ["_attach_pki", "flow"]


def test_browser_session_draws_the_officials_image(flow, dev_pki, tmp_path):
    from signsvc.services.context import RequestContext
    from tests.support.appearance import signature_png

    admin = RequestContext(request_id="t", actor="tests", role="admin")
    flow.services.signing.images.add(admin, "an-sig", "signature", "official:an", signature_png())
    doc = new_document(flow, assignee="an")
    look = {"profile": "official", "anchor": "signsvc test document", "anchor_position": "below",
            "image": "an-sig", "name": "Nguyễn Văn An"}
    # another official's image is not theirs to draw
    refused = start(flow, "an", doc, "official-an", level="B-B",
                    appearance={**look, "image": "khong-co"})
    assert refused.status_code == 422 and refused.get_json()["code"] == "appearance-invalid"
    assert start(flow, "an", doc, "official-an", appearance={"profile": 3}).status_code == 400
    resp = start(flow, "an", doc, "official-an", level="B-T", appearance=look)
    assert resp.status_code == 201, resp.get_json()
    session = resp.get_json()
    done = finish(flow, "an", session, token_sign(dev_pki, "official-an", session))
    assert done.status_code == 200, done.get_json()
    signed = done.data
    name = session.get("field_name") or PdfFileReader(io.BytesIO(signed)).embedded_signatures[0].field_name
    _, rect, _ = widget(signed, name)
    text = _words(tmp_path, signed)
    anchor = next(w for w in text if w[4] == "signsvc")
    assert rect[3] <= anchor[1]                                   # below the anchor
    assert "Nguyễn Văn An" in pdftotext(signed, tmp_path, rect)
    image_rect_in_page(signed, name)
    _valid(signed, dev_pki, 1)
    _pdfsig_valid(signed, dev_pki, tmp_path, 1)
    prepared = flow.services.audit.list(action="signing:session:prepared")[-1]
    assert prepared.details["appearance"] == "official"
    assert prepared.details["image_sha256"] == hashlib.sha256(signature_png()).hexdigest()
