"""Where the widget goes on the page: page + rectangle, an existing empty signature field,
an anchor text found on a page (poppler's ``pdftotext -bbox-layout``), the top right of
page 1 (attachment and copy stamps) or over an official's signature image (seal).

Every failure is a 422 ``AppearanceError`` with a Vietnamese and English message, before
the key signs anything.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields

from signsvc.errors import MalformedPdf
from signsvc.signing.appearance.errors import placement_error
from signsvc.signing.appearance.spec import Placement, nfc
from signsvc.signing.appearance.words import PageWords

MM = 72 / 25.4
_TOLERANCE = 0.01
_IMAGE_CM = re.compile(rb"([-\d.]+) 0 0 ([-\d.]+) ([-\d.]+) ([-\d.]+) cm /Im1 Do")


@dataclass(frozen=True)
class PageBox:
    index: int                                      # 0-based
    media: tuple[float, float, float, float]
    crop: tuple[float, float, float, float]
    rotate: int


@dataclass(frozen=True)
class Target:
    page: int                                       # 0-based
    rect: tuple[float, float, float, float]
    existing_field: bool = False


def _box(obj) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = (float(v) for v in obj)
    return (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


def _inherited(page, key):
    node = page
    for _ in range(64):
        if key in node:
            return node[key]
        if "/Parent" not in node:
            return None
        node = node["/Parent"]
    return None


def read_pdf(data: bytes) -> PdfFileReader:
    """A lenient reader of ``data``; ``MalformedPdf`` (422) when it cannot be opened."""
    try:
        return PdfFileReader(io.BytesIO(data), strict=False)
    except (PdfError, ValueError, TypeError, KeyError):
        raise MalformedPdf() from None


def empty_field_names(reader) -> list:
    """Names of the empty signature fields, in document order; ``[]`` when the form cannot
    be read (a name may be of any type: callers check it)."""
    try:
        return [name for name, _value, _ref in fields.enumerate_sig_fields(reader, filled_status=False)]
    except (PdfError, ValueError, TypeError, KeyError, AttributeError):
        return []


def page_box(reader, pages: int, number: int) -> PageBox:
    """``number`` is 1-based, as people count pages."""
    if not 1 <= number <= pages:
        raise placement_error(f"Tài liệu không có trang {number} (tài liệu có {pages} trang).",
                              f"The document has no page {number} (it has {pages}).",
                              parameter="page")
    page_ref, _ = reader.find_page_for_modification(number - 1)
    page = page_ref.get_object()
    media = _box(_inherited(page, "/MediaBox") or (0, 0, 595.28, 841.89))
    crop_raw = _inherited(page, "/CropBox")
    crop = _box(crop_raw) if crop_raw is not None else media
    rotate = int(_inherited(page, "/Rotate") or 0) % 360
    return PageBox(number - 1, media, crop, rotate)


def check_inside(box: PageBox, rect: tuple[float, float, float, float]) -> None:
    x1, y1, x2, y2 = rect
    c = box.crop
    if x2 - x1 <= 0 or y2 - y1 <= 0:
        raise placement_error("Khung chữ ký có chiều rộng hoặc chiều cao bằng 0.",
                              "The signature box has no width or height.", parameter="rect")
    if x1 < c[0] - _TOLERANCE or y1 < c[1] - _TOLERANCE or x2 > c[2] + _TOLERANCE \
            or y2 > c[3] + _TOLERANCE:
        raise placement_error(
            f"Khung chữ ký ({x1:g}, {y1:g}, {x2:g}, {y2:g}) nằm ngoài trang {box.index + 1} "
            f"({c[0]:g}, {c[1]:g}, {c[2]:g}, {c[3]:g}).",
            f"The signature box ({x1:g}, {y1:g}, {x2:g}, {y2:g}) lies outside page "
            f"{box.index + 1} ({c[0]:g}, {c[1]:g}, {c[2]:g}, {c[3]:g}).", parameter="rect")


def corner(box: PageBox, size: tuple[float, float], inset_mm: float, width_mm: float,
           height_mm: float) -> tuple[float, float, float, float]:
    """VS-5/VS-6: top right of the page, ``inset_mm`` from the top and right edges, and the
    whole stamp inside the margin box of ``width_mm`` x ``height_mm`` at that corner."""
    w, h = size
    right, top = box.crop[2] - inset_mm * MM, box.crop[3] - inset_mm * MM
    rect = (right - w, top - h, right, top)
    if w > (width_mm - inset_mm) * MM + _TOLERANCE or h > (height_mm - inset_mm) * MM + _TOLERANCE:
        raise placement_error(
            f"Nội dung dấu ({w / MM:.1f} x {h / MM:.1f} mm) không vừa vùng lề trên bên phải "
            f"({width_mm:g} x {height_mm:g} mm).",
            f"The stamp ({w / MM:.1f} x {h / MM:.1f} mm) does not fit the top-right margin box "
            f"({width_mm:g} x {height_mm:g} mm).")
    check_inside(box, rect)
    return rect


def existing_field(reader, name: str) -> Target:
    """An empty signature field that has a visible widget."""
    found = list(fields.enumerate_sig_fields(reader, with_name=name))
    if not found:
        raise placement_error(f"Không có trường chữ ký '{name}' trong tài liệu.",
                              f"The document has no signature field '{name}'.", parameter="field")
    _, value, ref = found[0]
    if value is not None:
        raise placement_error(f"Trường chữ ký '{name}' đã được ký.",
                              f"The signature field '{name}' is already signed.", parameter="field")
    widget = ref.get_object()
    if "/Rect" not in widget and "/Kids" in widget:
        widget = widget["/Kids"][0].get_object()
    rect = _box(widget.get("/Rect", (0, 0, 0, 0)))
    if rect[2] - rect[0] <= 0 or rect[3] - rect[1] <= 0:
        raise placement_error(f"Trường chữ ký '{name}' không hiển thị (khung rỗng).",
                              f"The signature field '{name}' is invisible (empty rectangle).",
                              parameter="field")
    return Target(_page_of_widget(reader, widget, ref), rect, existing_field=True)


def _page_of_widget(reader, widget, ref) -> int:
    page_ref = widget.get_value_as_reference("/P", optional=True) \
        if isinstance(widget, generic.DictionaryObject) else None
    count = int(reader.root["/Pages"]["/Count"])
    for i in range(count):
        pref, _ = reader.find_page_for_modification(i)
        if page_ref is not None and pref.idnum == page_ref.idnum:
            return i
        annots = pref.get_object().get("/Annots")
        if annots is not None:
            for a in annots:
                if isinstance(a, generic.IndirectObject) and a.idnum == ref.idnum:
                    return i
    return 0


def signature_image_rect(reader, name: str) -> tuple[int, tuple[float, float, float, float]]:
    """Page and page rectangle of the signature image drawn by the ``official`` profile in
    the signed field ``name`` (read from its appearance stream)."""
    found = list(fields.enumerate_sig_fields(reader, with_name=name))
    if not found or found[0][1] is None:
        raise placement_error(f"Không có chữ ký đã ký trong trường '{name}' để đóng dấu lên.",
                              f"There is no signed field '{name}' to put the seal over.",
                              parameter="over_field")
    ref = found[0][2]
    widget = ref.get_object()
    if "/Rect" not in widget and "/Kids" in widget:
        widget = widget["/Kids"][0].get_object()
    rect = _box(widget["/Rect"])
    try:
        stream = widget["/AP"]["/N"]
        data = stream.data
        inner = _find_image_cm(stream, data)
    except (KeyError, TypeError, AttributeError):
        inner = None
    if inner is None:
        raise placement_error(f"Chữ ký trong trường '{name}' không có ảnh chữ ký của người ký.",
                              f"The signature in field '{name}' has no signature image.",
                              parameter="over_field")
    w, h, x, y = inner
    bx = _box(stream.get("/BBox", (0, 0, rect[2] - rect[0], rect[3] - rect[1])))
    page = _page_of_widget(reader, widget, ref)
    return page, (rect[0] + x - bx[0], rect[1] + y - bx[1], rect[0] + x - bx[0] + w,
                  rect[1] + y - bx[1] + h)


def _find_image_cm(stream, data: bytes):
    m = _IMAGE_CM.search(data)
    if m:
        return tuple(float(v) for v in m.groups())
    # pyHanko wraps the stamp in a form XObject: look one level down
    for xobj in stream.get("/Resources", {}).get("/XObject", {}).values():
        obj = xobj.get_object()
        if obj.get("/Subtype") == "/Form":
            found = _find_image_cm(obj, obj.data)
            if found:
                return found
    return None


def find_anchor(pdf_bytes: bytes, anchor: str, page: int | None, pages: int,
                reader, page_words: PageWords | None) -> tuple[int, tuple[float, float, float, float]]:
    """First occurrence of ``anchor`` (whole words, NFC) as (page index, PDF rectangle);
    the words come from ``page_words`` (a port: no text extractor means no anchor)."""
    words = nfc(anchor).split()
    if not words:
        raise placement_error("Văn bản neo rỗng.", "The anchor text is empty.", parameter="anchor")
    first, last = (page, page) if page else (1, pages)
    if page:
        page_box(reader, pages, page)
    extracted = page_words(pdf_bytes, first, last) if page_words is not None else None
    if not extracted:
        raise placement_error("Không trích xuất được văn bản của tài liệu để tìm văn bản neo.",
                              "The document's text could not be extracted to find the anchor.",
                              parameter="anchor")
    for offset, page_list in enumerate(extracted):
        # poppler may keep words with their spaces in one element: match token by token
        seq = [(token, w) for w in page_list for token in nfc(w.text).split()]
        for i in range(len(seq) - len(words) + 1):
            if all(seq[i + k][0] == words[k] for k in range(len(words))):
                hit = [seq[i + k][1] for k in range(len(words))]
                x1 = min(w.x_min for w in hit)
                x2 = max(w.x_max for w in hit)
                top = min(w.y_min for w in hit)
                bottom = max(w.y_max for w in hit)
                box = page_box(reader, pages, first + offset)
                if box.rotate:
                    raise placement_error("Chưa hỗ trợ văn bản neo trên trang xoay.",
                                          "Anchors on rotated pages are not supported.",
                                          parameter="anchor")
                c = box.crop
                return box.index, (c[0] + x1, c[3] - bottom, c[0] + x2, c[3] - top)
    where = f"trang {page}" if page else "tài liệu"
    where_en = f"page {page}" if page else "the document"
    raise placement_error(f"Không tìm thấy văn bản neo \u201c{nfc(anchor)}\u201d trong {where}.",
                          f"The anchor text \u201c{nfc(anchor)}\u201d was not found in {where_en}.",
                          parameter="anchor")


def relative_to_anchor(anchor: tuple[float, float, float, float], size: tuple[float, float],
                       position: str, gap: float = 2.0) -> tuple[float, float, float, float]:
    """VS-2: the box centred horizontally on the anchor, above (or below) it."""
    x1, y1, x2, y2 = anchor
    w, h = size
    cx = (x1 + x2) / 2
    if position == "below":
        return (cx - w / 2, y1 - gap - h, cx + w / 2, y1 - gap)
    return (cx - w / 2, y2 + gap, cx + w / 2, y2 + gap + h)


def requested(placement: Placement) -> bool:
    return any((placement.rect, placement.anchor, placement.field, placement.over_field))
