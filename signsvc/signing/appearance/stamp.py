"""The pyHanko stamp style that draws a ``Layout``: an embedded subset of the appearance
font (with ToUnicode, via pyHanko's ``GlyphAccumulator``) and images with soft masks."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

from pyhanko.pdf_utils import content, generic
from pyhanko.pdf_utils import layout as pdf_layout
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.stamp.base import BaseStamp, BaseStampStyle

from signsvc.errors import Message
from signsvc.signing.appearance.errors import AppearanceError
from signsvc.signing.appearance.fonts import font_engine
from signsvc.signing.appearance.layout import Layout
from signsvc.signing.appearance.png import PngImage

_COLOUR = re.compile(r"^#([0-9a-fA-F]{6})$")


def rgb(colour: str) -> tuple[float, float, float]:
    m = _COLOUR.match(colour)
    if not m:
        raise AppearanceError(Message(f"Màu chữ phải có dạng #RRGGBB, không phải {colour!r}.",
                                      f"The text colour must be #RRGGBB, not {colour!r}."))
    v = m.group(1)
    return tuple(round(int(v[i:i + 2], 16) / 255, 4) for i in (0, 2, 4))  # type: ignore


@dataclass(frozen=True)
class DecreeStampStyle(BaseStampStyle):
    """Draws exactly the layout: no border, no background."""

    layout: Layout | None = None
    font_path: str = ""
    colour: tuple[float, float, float] = (0.0, 0.0, 0.0)
    image: PngImage | None = None
    border_width: int = 0

    def create_stamp(self, writer, box, text_params) -> DecreeStamp:
        return DecreeStamp(writer, self, box)


class DecreeStamp(BaseStamp):
    def __init__(self, writer, style: DecreeStampStyle, box: pdf_layout.BoxConstraints) -> None:
        super().__init__(writer=writer, style=style, box=box)

    def _render_inner_content(self):
        style: DecreeStampStyle = self.style
        lay = style.layout
        if lay is None:
            raise ValueError("DecreeStampStyle needs its layout")
        ops: list[bytes] = []
        if lay.image is not None and style.image is not None:
            self.set_resource(content.ResourceType.XOBJECT, pdf_name("/Im1"),
                              _image_xobject(self.writer, style.image))
            im = lay.image
            ops.append(b"q %.3f 0 0 %.3f %.3f %.3f cm /Im1 Do Q"
                       % (im.width, im.height, im.x, im.y))
        if lay.texts:
            sizes = sorted({t.size for t in lay.texts})
            for n, size in enumerate(sizes, start=1):
                engine = font_engine(self.writer, style.font_path, size)
                name = f"/F{n}"
                self.set_resource(content.ResourceType.FONT, pdf_name(name), engine.as_resource())
                for t in (t for t in lay.texts if t.size == size):
                    shaped = engine.shape(t.text)
                    ops.append(b"BT %s %g Tf %g %g %g rg 1 0 0 1 %.3f %.3f Tm %s ET" % (
                        name.encode("ascii"), size, *style.colour, t.x, t.y, shaped.graphics_ops))
        return ops


def _image_xobject(writer, img: PngImage) -> generic.IndirectObject:
    def stream(colour_space: str, data: bytes, **extra) -> generic.StreamObject:
        d = generic.DictionaryObject({
            pdf_name("/Type"): pdf_name("/XObject"), pdf_name("/Subtype"): pdf_name("/Image"),
            pdf_name("/Width"): generic.NumberObject(img.width),
            pdf_name("/Height"): generic.NumberObject(img.height),
            pdf_name("/ColorSpace"): pdf_name(colour_space),
            pdf_name("/BitsPerComponent"): generic.NumberObject(8),
            pdf_name("/Filter"): pdf_name("/FlateDecode"),
        })
        for k, v in extra.items():
            d[pdf_name(k)] = v
        return generic.StreamObject(d, encoded_data=zlib.compress(data, 9))

    smask = writer.add_object(stream("/DeviceGray", img.alpha))
    space = "/DeviceRGB" if img.colors == 3 else "/DeviceGray"
    return writer.add_object(stream(space, img.color_data, **{"/SMask": smask}))
