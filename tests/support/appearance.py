"""Test material for visible signatures: PNG images written with zlib (no Pillow), a
Vietnamese template PDF with embedded Liberation Serif text, and readers of signed output
(widget rectangle, appearance stream, text extracted by pdftotext, rendering)."""

from __future__ import annotations

import io
import math
import re
import struct
import subprocess
import zlib
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PdfFileWriter
from pyhanko.sign import fields

from signsvc.signing.appearance.fonts import font_engine
from tests.support.tools import require_tool

N = generic.NameObject
FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"


# -- PNG ------------------------------------------------------------------------------

def _chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + \
        struct.pack(">I", zlib.crc32(ctype + body) & 0xFFFFFFFF)


def _filter(row: bytes, prev: bytes, ftype: int, bpp: int) -> bytes:
    out = bytearray(len(row))
    for i, v in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if ftype == 0:
            pred = 0
        elif ftype == 1:
            pred = a
        elif ftype == 2:
            pred = b
        elif ftype == 3:
            pred = (a + b) >> 1
        else:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        out[i] = (v - pred) & 0xFF
    return bytes(out)


def png_bytes(width: int, height: int, pixel, colour_type: int = 6) -> bytes:
    """A PNG from ``pixel(x, y) -> tuple``; rows use filters 0-4 in turn, so that a
    decoder is exercised on every filter."""
    bpp = {6: 4, 4: 2, 2: 3}[colour_type]
    raw = bytearray()
    prev = bytes(width * bpp)
    for y in range(height):
        row = bytes(v for x in range(width) for v in pixel(x, y))
        ftype = y % 5
        raw.append(ftype)
        raw += _filter(row, prev, ftype, bpp)
        prev = row
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + \
        _chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + _chunk(b"IEND", b"")


def signature_png(width: int = 300, height: int = 120) -> bytes:
    """A blue handwritten-like stroke on a transparent background."""
    def pixel(x, y):
        cy = height / 2 + math.sin(x / width * 3 * math.pi) * height * 0.3
        d = abs(y - cy)
        alpha = 255 if d < 3 else (max(0, int(255 * (1 - (d - 3) / 2))) if d < 5 else 0)
        return (20, 40, 160, alpha)
    return png_bytes(width, height, pixel)


def seal_png(size: int = 240) -> bytes:
    """A red double ring with a star, transparent elsewhere (an agency seal)."""
    c = (size - 1) / 2

    def pixel(x, y):
        r = math.hypot(x - c, y - c) / c
        on = 0.92 <= r <= 1.0 or 0.62 <= r <= 0.67 or (r < 0.25 and abs(x - c) + abs(y - c) < c * 0.25)
        return (200, 20, 20, 230 if on else 0)
    return png_bytes(size, size, pixel)


# -- PDFs -----------------------------------------------------------------------------

def template_pdf(lines: list[tuple[float, float, str]], pages: int = 1,
                 empty_field: tuple[str, tuple[float, float, float, float]] | None = None) -> bytes:
    """A4 pages with Vietnamese text (Liberation Serif, embedded) at (x, y) on page 1, and
    optionally an empty visible signature field on page 1."""
    w = PdfFileWriter()
    engine = font_engine(w, FONT, 13)
    ops = [b"BT /F1 13 Tf 1 0 0 1 %g %g Tm %s ET" % (x, y, engine.shape(t).graphics_ops)
           for x, y, t in lines]
    for i in range(pages):
        data = b"\n".join(ops) if i == 0 else b"BT /F1 13 Tf 72 770 Td ET"
        page = generic.DictionaryObject({
            N("/Type"): N("/Page"),
            N("/MediaBox"): generic.ArrayObject([generic.NumberObject(v) for v in (0, 0, 595, 842)]),
            N("/Resources"): generic.DictionaryObject({
                N("/Font"): generic.DictionaryObject({N("/F1"): engine.as_resource()})}),
            N("/Contents"): w.add_object(generic.StreamObject(stream_data=data)),
        })
        w.insert_page(page)
    if empty_field:
        name, box = empty_field
        fields.append_signature_field(w, fields.SigFieldSpec(name, on_page=0, box=box))
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


# -- reading the result ---------------------------------------------------------------

def widget(data: bytes, name: str):
    """(widget dictionary, its /Rect, its normal appearance stream) of field ``name``."""
    reader = PdfFileReader(io.BytesIO(data))
    for fname, _, ref in fields.enumerate_sig_fields(reader):
        if fname == name:
            w = ref.get_object()
            rect = tuple(float(v) for v in w["/Rect"])
            return w, rect, w["/AP"]["/N"]
    raise AssertionError(f"no field {name}")


def all_streams(ap) -> bytes:
    """The appearance stream with every nested form XObject, concatenated."""
    out = [ap.data]
    for _, x in ap.get("/Resources", {}).get("/XObject", {}).items():
        obj = x.get_object()
        if obj.get("/Subtype") == "/Form":
            out.append(all_streams(obj))
    return b"\n".join(out)


def fonts_of(ap) -> list:
    found = []
    res = ap.get("/Resources", {})
    for _, f in res.get("/Font", {}).items():
        found.append(f.get_object())
    for _, x in res.get("/XObject", {}).items():
        obj = x.get_object()
        if obj.get("/Subtype") == "/Form":
            found += fonts_of(obj)
    return found


def image_rect_in_page(data: bytes, name: str) -> tuple[float, float, float, float]:
    _, rect, ap = widget(data, name)
    m = re.search(rb"([-\d.]+) 0 0 ([-\d.]+) ([-\d.]+) ([-\d.]+) cm /Im1 Do", all_streams(ap))
    assert m, "no image placement in the appearance stream"
    w, h, x, y = (float(v) for v in m.groups())
    return (rect[0] + x, rect[1] + y, rect[0] + x + w, rect[1] + y + h)


def pdftotext(data: bytes, tmp: Path, rect: tuple[float, float, float, float] | None = None,
              page: int = 1, page_height: float = 842) -> str:
    exe = require_tool("pdftotext")
    src = tmp / "text-in.pdf"
    src.write_bytes(data)
    args = [exe, "-q", "-f", str(page), "-l", str(page)]
    if rect is not None:
        x1, y1, x2, y2 = rect
        args += ["-x", str(int(x1) - 1), "-y", str(int(page_height - y2) - 1),
                 "-W", str(int(x2 - x1) + 3), "-H", str(int(y2 - y1) + 3)]
    run = subprocess.run([*args, str(src), "-"], capture_output=True, timeout=60, check=True)
    return run.stdout.decode("utf-8")


def render_page(data: bytes, tmp: Path, page: int = 1, dpi: int = 72) -> Path:
    exe = require_tool("pdftoppm")
    src = tmp / "render-in.pdf"
    src.write_bytes(data)
    subprocess.run([exe, "-r", str(dpi), "-png", "-f", str(page), "-l", str(page),
                    "-singlefile", str(src), str(tmp / "render")], check=True, timeout=60)
    return tmp / "render.png"


def signing_times(data: bytes) -> list:
    """The claimed signing time (/M) of each signature, as aware datetimes."""
    reader = PdfFileReader(io.BytesIO(data))
    return [s.self_reported_timestamp for s in reader.embedded_signatures]


def rgb_png_pixels(path: Path) -> tuple[int, int, bytes]:
    """Decode a PNG written by pdftoppm (8-bit RGB) into raw RGB samples."""
    from signsvc.signing.appearance import png as ours

    data = path.read_bytes()
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert depth == 8 and colour == 2, "pdftoppm writes 8-bit RGB"
    idat = b"".join(body for ctype, body in ours._chunks(data) if ctype == b"IDAT")
    return width, height, bytes(ours._unfilter(zlib.decompress(idat), width, height, 3))


def compare_png(actual: Path, reference: Path) -> tuple[float, float]:
    """(share of pixels differing by more than 48 in a channel, mean absolute difference)."""
    w1, h1, a = rgb_png_pixels(actual)
    w2, h2, b = rgb_png_pixels(reference)
    assert (w1, h1) == (w2, h2), f"size {w1}x{h1} differs from the reference {w2}x{h2}"
    differing = sum(1 for i in range(0, len(a), 3)
                    if max(abs(a[i] - b[i]), abs(a[i + 1] - b[i + 1]), abs(a[i + 2] - b[i + 2])) > 48)
    mean = sum(abs(x - y) for x, y in zip(a, b)) / len(a)
    return differing / (w1 * h1), mean


def save_rgb_png(path: Path, width: int, height: int, rgb: bytes) -> None:
    rows = b"".join(b"\x00" + rgb[y * width * 3:(y + 1) * width * 3] for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) +
                     _chunk(b"IDAT", zlib.compress(rows, 9)) + _chunk(b"IEND", b""))
