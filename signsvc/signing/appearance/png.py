"""PNG images with transparency for signatures and seals (VS-1, VS-3), without Pillow.

Accepted: 8-bit greyscale+alpha or RGBA (colour types 4 and 6), not interlaced, CRCs
correct, within the configured byte and pixel limits, with at least one pixel that is not
fully opaque. ``decode`` returns the colour samples and the alpha channel separately, as
a PDF image XObject and its ``/SMask`` need them.
"""

from __future__ import annotations

import functools
import struct
import zlib
from dataclasses import dataclass

from signsvc.errors import Message
from signsvc.signing.appearance.errors import ImageInvalid

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class PngImage:
    width: int
    height: int
    colors: int          # 1 (grey) or 3 (RGB)
    color_data: bytes    # width*height*colors samples
    alpha: bytes         # width*height samples


def _bad(vi: str, en: str) -> ImageInvalid:
    return ImageInvalid(Message(vi, en))


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _unfilter(raw: bytes, width: int, height: int, bpp: int) -> bytearray:
    stride = width * bpp
    if len(raw) != height * (stride + 1):
        raise _bad("Dữ liệu ảnh PNG không đúng kích thước.", "The PNG image data has the wrong size.")
    out = bytearray(height * stride)
    prev = bytearray(stride)
    pos = 0
    for y in range(height):
        ftype = raw[pos]
        line = bytearray(raw[pos + 1:pos + 1 + stride])
        pos += stride + 1
        if ftype == 0:
            pass
        elif ftype == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif ftype == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif ftype == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif ftype == 4:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                upleft = prev[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + _paeth(left, prev[i], upleft)) & 0xFF
        else:
            raise _bad(f"Bộ lọc dòng PNG không hợp lệ ({ftype}).", f"Invalid PNG row filter ({ftype}).")
        out[y * stride:(y + 1) * stride] = line
        prev = line
    return out


def inspect(data: bytes, max_bytes: int, max_side: int) -> tuple[int, int, int]:
    """Validate the container: (width, height, colour type). Raises ``ImageInvalid``."""
    if len(data) > max_bytes:
        raise _bad(f"Ảnh lớn hơn {max_bytes} byte.", f"The image is larger than {max_bytes} bytes.")
    if not data.startswith(PNG_SIGNATURE):
        raise _bad("Ảnh phải ở định dạng PNG.", "The image must be a PNG file.")
    header = None
    for ctype, body in _chunks(data):
        if ctype == b"IHDR":
            header = body
            break
    if header is None or len(header) != 13:
        raise _bad("Tệp PNG thiếu phần đầu IHDR.", "The PNG file has no IHDR header.")
    width, height, depth, colour, _comp, _filt, interlace = struct.unpack(">IIBBBBB", header)
    if colour not in (4, 6):
        raise _bad("Ảnh PNG phải có kênh trong suốt (alpha): kiểu màu xám+alpha hoặc RGBA.",
                   "The PNG must have an alpha channel (grey+alpha or RGBA colour type).")
    if depth != 8 or interlace != 0:
        raise _bad("Ảnh PNG phải dùng 8 bit mỗi kênh và không xen kẽ (interlace).",
                   "The PNG must use 8 bits per channel and no interlacing.")
    if not (1 <= width <= max_side and 1 <= height <= max_side):
        raise _bad(f"Kích thước ảnh phải từ 1 đến {max_side} điểm ảnh mỗi chiều.",
                   f"Each image dimension must be between 1 and {max_side} pixels.")
    return width, height, colour


def _chunks(data: bytes):
    pos = len(PNG_SIGNATURE)
    while pos + 8 <= len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc = data[pos + 8 + length:pos + 12 + length]
        if len(body) != length or len(crc) != 4 or \
                struct.unpack(">I", crc)[0] != zlib.crc32(ctype + body) & 0xFFFFFFFF:
            raise _bad("Tệp PNG bị hỏng (độ dài hoặc CRC sai).",
                       "The PNG file is damaged (bad length or CRC).")
        yield ctype, body
        if ctype == b"IEND":
            return
        pos += 12 + length
    raise _bad("Tệp PNG bị cắt cụt (thiếu IEND).", "The PNG file is truncated (no IEND).")


@functools.lru_cache(maxsize=8)
def decode(data: bytes, max_bytes: int = 1024 * 1024, max_side: int = 1200) -> PngImage:
    """Validated pixels of ``data``. Unfiltering is pure Python (a 1200 x 1200 Paeth-filtered
    image takes seconds), so each process keeps the last few decoded images."""
    width, height, colour = inspect(data, max_bytes, max_side)
    idat = b"".join(body for ctype, body in _chunks(data) if ctype == b"IDAT")
    try:
        d = zlib.decompressobj()
        raw = d.decompress(idat, height * (width * 4 + 1) + 1)
    except zlib.error:
        raise _bad("Dữ liệu nén của ảnh PNG bị hỏng.", "The PNG's compressed data is damaged.") from None
    channels = 4 if colour == 6 else 2
    pixels = _unfilter(raw, width, height, channels)
    colors = channels - 1
    alpha = bytes(pixels[colors::channels])
    if colors == 3:
        color_data = bytearray(width * height * 3)
        for c in range(3):
            color_data[c::3] = pixels[c::4]
    else:
        color_data = pixels[0::2]
    if min(alpha) == 255:
        raise _bad("Ảnh PNG không có vùng trong suốt (mọi điểm ảnh đều đục).",
                   "The PNG has no transparency (every pixel is opaque).")
    return PngImage(width, height, colors, bytes(color_data), alpha)
