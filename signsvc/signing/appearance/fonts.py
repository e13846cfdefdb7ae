"""Text measurement with the appearance font (HarfBuzz shaping, the same as pyHanko's
``GlyphAccumulator`` uses to draw), so that layouts are computed before drawing."""

from __future__ import annotations

import functools
import io
import threading
from pathlib import Path

import uharfbuzz as hb
from pyhanko.pdf_utils import generic as _generic
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator

from signsvc.errors import Message
from signsvc.signing.appearance.errors import AppearanceError

_lock = threading.Lock()


@functools.lru_cache(maxsize=8)
def _font_bytes(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError:
        raise AppearanceError(Message(f"Không đọc được tệp phông chữ {path}.",
                                      f"The font file {path} cannot be read.")) from None


@functools.lru_cache(maxsize=8)
def _font(path: str) -> tuple[hb.Font, int, frozenset[int]]:
    face = hb.Face(_font_bytes(path))
    font = hb.Font(face)
    return font, face.upem, frozenset(face.unicodes)


class Measurer:
    """Width in points of a line at a size; refuses characters the font cannot draw."""

    def __init__(self, font_path: Path | str) -> None:
        self.font_path = str(font_path)
        _font(self.font_path)

    def missing(self, text: str) -> str:
        _, _, cover = _font(self.font_path)
        return "".join(sorted({ch for ch in text if not ch.isspace() and ord(ch) not in cover}))

    def width(self, text: str, size: float) -> float:
        font, upem, _ = _font(self.font_path)
        missing = self.missing(text)
        if missing:
            raise AppearanceError(Message(
                f"Phông chữ không có ký tự: {missing!r}.",
                f"The font has no glyph for: {missing!r}."))
        with _lock:
            buf = hb.Buffer()
            buf.add_str(text)
            buf.guess_segment_properties()
            hb.shape(font, buf, {})
            advance = sum(p.x_advance for p in buf.glyph_positions)
        return advance / upem * size


# -- embedding -------------------------------------------------------------------------
#
# pyHanko 0.38's GlyphAccumulator writes glyph widths (/W), TJ adjustments and the font
# descriptor's metrics in the font's own units. PDF wants thousandths of an em, so a
# TrueType font with 2048 units per em (Times New Roman, Liberation Serif) is drawn with
# its letters about twice as far apart. The engine below makes HarfBuzz and every metric
# work in thousandths; the glyphs, subset and ToUnicode map are pyHanko's.


class ThousandthsGlyphAccumulator(GlyphAccumulator):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        upem = self.units_per_em
        self._to_1000 = 1000 / upem
        self.hb_font.scale = (1000, 1000)
        self.units_per_em = 1000
        fd = self.cidfont_obj._font_descriptor
        for key in ("/Ascent", "/Descent", "/CapHeight"):
            if key in fd:
                fd[_generic.NameObject(key)] = _generic.NumberObject(
                    round(int(fd[key]) * self._to_1000))
        fd[_generic.NameObject("/FontBBox")] = _generic.ArrayObject(
            _generic.NumberObject(round(int(v) * self._to_1000)) for v in fd["/FontBBox"])

    def _get_cid_and_width(self, glyph_id: int) -> tuple[int, int]:
        try:
            return self._glyphs[glyph_id]
        except KeyError:
            pass
        cid, width = super()._get_cid_and_width(glyph_id)   # caches the raw width ...
        self._glyphs[glyph_id] = result = (cid, round(width * self._to_1000))   # ... replaced
        return result


def font_engine(writer, font_path: str, size: float) -> ThousandthsGlyphAccumulator:
    """An embedded-subset font engine for ``writer`` (with ToUnicode)."""
    return ThousandthsGlyphAccumulator(writer=writer, font_handle=io.BytesIO(_font_bytes(font_path)),
                                       font_size=size, obj_stream=None)
