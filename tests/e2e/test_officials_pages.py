"""The official's pages as people use them (issue 15, items 2, 4, 5), in headless Chromium
at desktop (1366×768) and phone (390×844) size, against signsvc on loopback and the real
signsvc-agent in front of the official's SoftHSM2 token:

- placing the signature by keyboard (a visible focus; arrows move, Shift + arrows resize),
  signing, the result box with the new version, its hash and the level reached, the way
  back to the list, the document under "Đã ký" with every version downloadable (byte-exact,
  validated) and its history (who, when as the timestamp's time, level, verdict now);
- placing by drag (draw, move), snapping into an existing empty signature field, zooming;
- the drawn signature carries no time (the timestamp holds it; VS-8, VS-11).
Every signature produced is validated (pyHanko with revocation, and the widget's place).
"""

from __future__ import annotations

import hashlib
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta, timezone

import pytest

from signsvc.services.context import RequestContext
from tests.e2e import test_browser_signing as base
from tests.e2e.test_browser_signing import (
    CHROMIUM_ARGS,
    login,
    on_preview,
    open_field_document,
    wait_preview,
)
from tests.support.appearance import (
    image_rect_in_page,
    pdftotext,
    signature_png,
    widget,
)
from tests.support.tools import require_tool
from tests.support.validate import pyhanko_statuses

site = base.site                       # signsvc + agent + the official "an" and a document
site_overrides = base.site_overrides
VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
VN = timezone(timedelta(hours=7))
A_TIME = re.compile(r"\d{2}:\d{2}(:\d{2})?|\d{4}-\d{2}-\d{2}|\d{2}[./]\d{2}[./]\d{4}")
FIELD_RECT = (350.0, 100.0, 560.0, 170.0)
A4 = (595.28, 841.89)


@pytest.fixture(params=sorted(VIEWPORTS))
def screen(request):
    """A page in a fresh browser at the parametrised screen size (the phone: touch, 3x)."""
    from playwright.sync_api import sync_playwright

    require_tool("chromium")
    phone = request.param == "phone"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                    args=CHROMIUM_ARGS)
        context = browser.new_context(accept_downloads=True, locale="vi-VN",
                                      viewport=VIEWPORTS[request.param], is_mobile=phone,
                                      has_touch=phone, device_scale_factor=3 if phone else 1)
        page = context.new_page()
        page.screen_name = request.param
        script_errors: list[str] = []
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        yield page
        context.close()
        assert script_errors == []            # the page's script never failed
        browser.close()


def statuses(data: bytes, dev_pki) -> list:
    # (pyHanko runs its own event loop; Playwright's sync API holds this thread's)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(pyhanko_statuses, data, dev_pki.cert("root"),
                           [dev_pki.cert("interm")]).result()


def valid_signatures(data: bytes, dev_pki, count: int) -> list:
    found = statuses(data, dev_pki)
    assert len(found) == count
    for _, status in found:
        assert status.intact and status.valid and status.trusted
        assert status.signing_cert.subject.native["common_name"] == "Nguyễn Văn An (TEST ONLY)"
    return found


def rect_inputs(page) -> tuple[float, ...]:
    return tuple(float(page.input_value(f"#rect-{c}")) for c in ("x1", "y1", "x2", "y2"))


def download(page, selector: str, path) -> bytes:
    with page.expect_download() as info:
        page.click(selector)
    info.value.save_as(path)
    return path.read_bytes()


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_keyboard_placement_sign_and_find_it_under_signed(site, screen, dev_pki, tmp_path):
    page, origin, doc = screen, site["origin"], site["doc"]
    # the official has a registered signature image: the page offers it first (image + name)
    site["api"].services.signing.images.add(RequestContext("e2e", "tests", "admin"), "chu-ky-an",
                                            "signature", "official:an", signature_png())
    login(page, origin)
    assert "Giấy phép xây dựng số 45" in page.inner_text("#documents")
    assert "Bạn chưa ký văn bản nào." in page.inner_text("#signed-list")
    page.click("a.open")
    wait_preview(page, 1)
    assert page.inner_text("#doc-state") == "Chờ ký"
    # the preview uses the screen: at least 85 % of the viewer's width, sharp enough
    width = page.evaluate("document.getElementById('preview').clientWidth")
    assert width >= 0.85 * page.evaluate("document.getElementById('viewer-scroll').clientWidth")
    assert width >= (320 if page.screen_name == "phone" else 700)
    # keyboard only: the button puts the box on the page and focuses it, visibly
    page.focus("#place-default")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'box'")
    outline = page.evaluate("(() => { const s = getComputedStyle(document.getElementById('box'));"
                            " return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()")
    assert outline[0] != "none" and outline[1] >= 2
    start = rect_inputs(page)
    for key, times in (("ArrowLeft", 4), ("ArrowUp", 2), ("Shift+ArrowRight", 6), ("Shift+ArrowDown", 2)):
        for _ in range(times):
            page.keyboard.press(key)
    expected = (start[0] - 20, start[1] + 10 - 10, start[2] - 20 + 30, start[3] + 10)
    assert rect_inputs(page) == pytest.approx(expected, abs=0.06)
    # the box on screen is where the rectangle says
    shown, box = page.locator("#preview").bounding_box(), page.locator("#box").bounding_box()
    scale = shown["width"] / A4[0]
    assert abs(box["x"] - shown["x"] - expected[0] * scale) < 2
    assert abs(box["width"] - (expected[2] - expected[0]) * scale) < 2
    assert page.input_value("#profile") == "official"
    assert "Ảnh chữ ký và họ tên (chu-ky-an)" in page.inner_text("#profile")
    assert "B-T" not in page.inner_text("#level-panel")         # said in words, no code
    assert "Chữ ký số có dấu thời gian" in page.inner_text("#level-text")
    no_sideways_scroll(page)
    page.click("#sign")
    page.wait_for_selector("#download", timeout=60000)
    summary = page.inner_text("#summary")
    new_sha = page.inner_text("#new-sha256")
    assert re.search(r"Phiên bản mới\s+2", summary) and re.fullmatch(r"[0-9a-f]{64}", new_sha)
    assert "Có dấu thời gian (B-T)" in summary and "Hợp lệ, văn bản còn nguyên vẹn" in summary
    assert page.inner_text("#doc-state") == "Đã ký" and page.inner_text("#doc-sha256") == new_sha
    page.screenshot(path=str(tmp_path / f"signed-{page.screen_name}.png"), full_page=True)
    data = download(page, "#download", tmp_path / "signed.pdf")
    assert hashlib.sha256(data).hexdigest() == new_sha
    ((sig, status),) = valid_signatures(data, dev_pki, 1)
    assert status.timestamp_validity is not None and status.timestamp_validity.valid
    _, rect, _ = widget(data, sig.field_name)
    assert rect == pytest.approx(expected, abs=0.06)
    drawn = pdftotext(data, tmp_path, rect)
    assert "Nguyễn Văn An" in drawn and not A_TIME.search(drawn), drawn   # no time drawn
    image = image_rect_in_page(data, sig.field_name)            # the signature image, inside
    assert rect[0] <= image[0] < image[2] <= rect[2] and rect[1] <= image[1] < image[3] <= rect[3]
    # back to the list: the document did not vanish, it is under "Đã ký"
    page.click("#back-to-list")
    page.wait_for_url(f"{origin}/documents")
    assert page.locator("#documents").count() == 0
    assert "45/GPXD-UBND" in page.inner_text("#signed")
    page.screenshot(path=str(tmp_path / f"list-{page.screen_name}.png"), full_page=True)
    no_sideways_scroll(page)
    page.click("#signed a.open-signed")
    page.wait_for_selector("#version-2")
    two, one = page.inner_text("#version-2"), page.inner_text("#version-1")
    when = status.timestamp_validity.timestamp.astimezone(VN).strftime("%d/%m/%Y %H:%M:%S")
    assert "Nguyễn Văn An (TEST ONLY)" in two and when in two and "theo dấu thời gian" in two
    assert "Có dấu thời gian (B-T)" in two and "Hợp lệ, văn bản còn nguyên vẹn" in two
    assert "Bản gốc (chưa ký)" in one and "Chưa ký" in one
    assert page.locator("#sign").count() == 0                  # nothing left to sign
    versions = {n: download(page, f"#version-{n} a.download-version", tmp_path / f"v{n}.pdf")
                for n in (1, 2)}
    assert hashlib.sha256(versions[1]).hexdigest() == doc["sha256"]
    assert versions[2] == data
    assert statuses(versions[1], dev_pki) == []
    page.screenshot(path=str(tmp_path / f"history-{page.screen_name}.png"), full_page=True)
    no_sideways_scroll(page)


def test_keyboard_snaps_into_the_field_under_the_box(site, screen, dev_pki):
    """Keyboard only: Enter on the box puts it into the empty signature field under it, as a
    drop does with a pointer; away from any field, Enter leaves the box where it is."""
    page, api = screen, site["api"]
    doc = open_field_document(site, page, FIELD_RECT, 8, pages=1)
    page.focus("#place-default")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'box'")
    start = rect_inputs(page)
    centre = ((start[0] + start[2]) / 2, (start[1] + start[3]) / 2)
    field_centre = ((FIELD_RECT[0] + FIELD_RECT[2]) / 2, (FIELD_RECT[1] + FIELD_RECT[3]) / 2)
    assert abs(centre[0] - field_centre[0]) > 30 or abs(centre[1] - field_centre[1]) > 30
    page.keyboard.press("Enter")                       # no field under the box: it stays
    assert rect_inputs(page) == pytest.approx(start, abs=0.06)
    assert page.is_checked("#place-box")
    steps_x = round((field_centre[0] - centre[0]) / 5)
    steps_y = round((field_centre[1] - centre[1]) / 5)
    for _ in range(abs(steps_x)):
        page.keyboard.press("ArrowRight" if steps_x > 0 else "ArrowLeft")
    for _ in range(abs(steps_y)):
        page.keyboard.press("ArrowUp" if steps_y > 0 else "ArrowDown")
    assert page.is_checked("#place-box")               # moving alone does not snap
    page.keyboard.press("Enter")
    assert page.is_checked("#place-field") and page.input_value("#field") == "OKy"
    assert rect_inputs(page) == pytest.approx(FIELD_RECT, abs=0.06)
    assert "Đã khớp vào ô ký có sẵn OKy" in page.inner_text("#rect-text")
    page.click("#sign")
    page.wait_for_selector("#download", timeout=60000)
    data = api.client.get(f"/v1/documents/{doc['id']}/content", headers=api.headers("portal")).data
    ((sig, _),) = valid_signatures(data, dev_pki, 1)
    assert sig.field_name == "OKy"


def test_drag_move_snap_and_zoom(site, screen, dev_pki, tmp_path):
    page = screen
    open_field_document(site, page, FIELD_RECT, 7)
    assert page.locator(".field-outline[data-field=OKy]").count() == 1   # the field is shown

    def points(fx: float, fy: float) -> tuple[float, float]:
        return fx * A4[0], A4[1] - fy * A4[1]

    def drag(a: tuple[float, float], b: tuple[float, float]) -> None:
        page.mouse.move(*a)
        page.mouse.down()
        page.mouse.move((a[0] + b[0]) / 2, (a[1] + b[1]) / 2, steps=4)
        page.mouse.move(*b, steps=4)
        page.mouse.up()

    # draw a box by dragging across the page
    a = on_preview(page, 0.15, 0.15)
    shown = page.locator("#preview").bounding_box()
    b = (a[0] + 0.3 * shown["width"], a[1] + 0.1 * shown["height"])
    drag(a, b)
    tol = 2 * A4[0] / shown["width"]
    (x1, y2), (x2, y1) = points(0.15, 0.15), points(0.45, 0.25)
    assert rect_inputs(page) == pytest.approx((x1, y1, x2, y2), abs=tol)
    assert page.is_checked("#place-box")
    if page.screen_name == "phone":   # a finger's tap places a box centred there too
        page.touchscreen.tap(*on_preview(page, 0.5, 0.3))
        cx, cy = points(0.5, 0.3)
        tapped = rect_inputs(page)
        assert (tapped[0] + tapped[2]) / 2 == pytest.approx(cx, abs=tol)
        assert (tapped[1] + tapped[3]) / 2 == pytest.approx(cy, abs=tol)
        assert tapped[2] - tapped[0] == pytest.approx(170, abs=0.2)
    # move it: drag the box by 40 px right and 20 px down
    page.mouse.click(*on_preview(page, 0.3, 0.72))            # a click: a 170 x 85 box there
    before = rect_inputs(page)
    box = page.locator("#box").bounding_box()
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    drag(centre, (centre[0] + 40, centre[1] + 20))
    pt = A4[0] / page.locator("#preview").bounding_box()["width"]
    moved = rect_inputs(page)
    assert moved[0] - before[0] == pytest.approx(40 * pt, abs=tol)
    assert moved[1] - before[1] == pytest.approx(-20 * pt, abs=tol)
    assert moved[2] - moved[0] == pytest.approx(170, abs=0.2)
    # drop it on the empty field: it snaps into the field
    box = page.locator("#box").bounding_box()
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    field = page.locator(".field-outline[data-field=OKy]").bounding_box()
    drag(centre, (field["x"] + field["width"] / 2 + 5, field["y"] + field["height"] / 2 - 3))
    assert page.is_checked("#place-field") and page.input_value("#field") == "OKy"
    assert rect_inputs(page) == pytest.approx(FIELD_RECT, abs=0.06)
    assert "Đã khớp vào ô ký có sẵn OKy" in page.inner_text("#rect-text")
    # zoom in twice: the page grows, the box stays on the field
    before_width = page.locator("#preview").bounding_box()["width"]
    page.click("#zoom-in")
    page.click("#zoom-in")
    assert page.inner_text("#zoom-level") == "150%"
    after_width = page.locator("#preview").bounding_box()["width"]
    assert after_width == pytest.approx(1.5 * before_width, rel=0.02)
    page.evaluate("document.querySelector('.field-outline').scrollIntoView({block: 'center', inline: 'center'})")
    box, field = page.locator("#box").bounding_box(), page.locator(".field-outline").bounding_box()
    for k in ("x", "y", "width", "height"):
        assert abs(box[k] - field[k]) < 2, k
    page.screenshot(path=str(tmp_path / f"snapped-{page.screen_name}.png"), full_page=True)
    page.click("#zoom-fit")
    assert page.inner_text("#zoom-level") == "100%"
    page.click("#sign")
    page.wait_for_selector("#download", timeout=60000)
    data = download(page, "#download", tmp_path / "field.pdf")
    ((sig, _),) = valid_signatures(data, dev_pki, 1)
    assert sig.field_name == "OKy"
    _, rect, _ = widget(data, "OKy")
    assert rect == pytest.approx(FIELD_RECT)
    drawn = pdftotext(data, tmp_path, rect)
    assert "Nguyễn Văn An" in drawn and not A_TIME.search(drawn), drawn
