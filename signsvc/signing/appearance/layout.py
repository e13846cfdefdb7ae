"""Pure layout of each profile inside its widget box (points, origin bottom left).

No PDF library here: a layout is a list of text lines (baseline positions) and image
rectangles that ``stamp`` turns into an appearance stream, and that the geometry tests
check against the rules (VS-2 … VS-7, VS-11).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from signsvc.errors import Message
from signsvc.signing.appearance.errors import AppearanceError

Measure = Callable[[str, float], float]

PAD = 2.0             # inner margin of text blocks
ASCENT = 0.9          # of the font size, above the baseline (Times / Liberation Serif)
DESCENT = 0.25        # of the font size, below the baseline
LEADING = 1.2         # line spacing, of the font size
STAMP_FONT_SIZE = 10.0   # VS-7: attachment and copy stamps
MIN_FONT_SIZE = 6.0


@dataclass(frozen=True)
class TextItem:
    x: float
    y: float          # baseline
    size: float
    text: str


@dataclass(frozen=True)
class ImageItem:
    x: float
    y: float
    width: float
    height: float

    @property
    def rect(self) -> tuple[float, float, float, float]:
        return (self.x, self.y, self.x + self.width, self.y + self.height)


@dataclass(frozen=True)
class Layout:
    width: float
    height: float
    texts: tuple[TextItem, ...] = ()
    image: ImageItem | None = None


def text_height(n: int, size: float) -> float:
    return 0.0 if n == 0 else (ASCENT + DESCENT + (n - 1) * LEADING) * size + 2 * PAD


def text_block(lines: Sequence[str], measure: Measure, size: float = STAMP_FONT_SIZE) -> Layout:
    """Natural-size block, lines left-aligned (attachment, copy stamps)."""
    width = max(measure(t, size) for t in lines) + 2 * PAD
    height = text_height(len(lines), size)
    return Layout(width, height, _lines(lines, PAD, height, size))


def _lines(lines: Sequence[str], x: float, top: float, size: float,
           widths: Sequence[float] | None = None, box_width: float | None = None,
           ) -> tuple[TextItem, ...]:
    items = []
    y = top - PAD - ASCENT * size
    for i, text in enumerate(lines):
        left = x if widths is None or box_width is None else (box_width - widths[i]) / 2
        items.append(TextItem(left, y, size, text))
        y -= LEADING * size
    return tuple(items)


def fitted_text_block(lines: Sequence[str], measure: Measure, width: float, height: float,
                      size: float = STAMP_FONT_SIZE) -> Layout:
    """Lines in a given box (text / vgca-compat): the font shrinks to fit, down to 6 pt."""
    while size >= MIN_FONT_SIZE:
        if max(measure(t, size) for t in lines) + 2 * PAD <= width and \
                text_height(len(lines), size) <= height:
            return Layout(width, height, _lines(lines, PAD, height, size))
        size -= 0.5
    raise AppearanceError(Message(
        "Khung chữ ký quá nhỏ cho nội dung (cỡ chữ tối thiểu 6 pt). Tài liệu chưa được ký.",
        "The signature box is too small for its text (6 pt at least). Nothing was signed."))


def official(width: float, height: float, image_px: tuple[int, int], below: Sequence[str],
             measure: Measure, size: float = 11.0) -> Layout:
    """VS-1/VS-2: the signature image centred in the box, keeping its aspect ratio, above
    the optional lines (e.g. the name line), which are centred. No time text (VS-11)."""
    below = [t for t in below if t]
    text_h = text_height(len(below), size)
    area = height - text_h
    if area < 10 or width < 10:
        raise AppearanceError(Message(
            "Khung chữ ký quá nhỏ cho ảnh chữ ký. Tài liệu chưa được ký.",
            "The signature box is too small for the signature image. Nothing was signed."))
    iw, ih = image_px
    scale = min(width / iw, area / ih)
    w, h = iw * scale, ih * scale
    image = ImageItem((width - w) / 2, text_h + (area - h) / 2, w, h)
    widths = [measure(t, size) for t in below]
    if widths and max(widths) > width:
        raise AppearanceError(Message(
            "Dòng chữ dưới ảnh chữ ký dài hơn khung chữ ký. Tài liệu chưa được ký.",
            "The text under the signature image is wider than the box. Nothing was signed."))
    return Layout(width, height, _lines(below, 0, text_h, size, widths, width), image)


def seal_size(diameter_mm: float, image_px: tuple[int, int]) -> tuple[float, float]:
    """VS-3: the seal at its physical size, diameter_mm/25.4*72 pt wide, never scaled."""
    width = diameter_mm / 25.4 * 72
    iw, ih = image_px
    return width, width * ih / iw


def seal(diameter_mm: float, image_px: tuple[int, int]) -> Layout:
    w, h = seal_size(diameter_mm, image_px)
    return Layout(w, h, (), ImageItem(0, 0, w, h))


def seal_over(sig_image: tuple[float, float, float, float], seal_wh: tuple[float, float],
              ) -> tuple[float, float, float, float]:
    """VS-4/VS-11: the seal's right edge at the first third of the signature image (so it
    covers its left third and sticks out on the left), vertically centred on the image but
    never lower than the image's bottom, below which the name line is."""
    x1, y1, x2, y2 = sig_image
    w, h = seal_wh
    right = x1 + (x2 - x1) / 3
    bottom = max((y1 + y2) / 2 - h / 2, y1)
    return (right - w, bottom, right, bottom + h)
