"""Pure parts of visible signatures: PNG validation and decoding, layouts, times, and the
query parameters of /v1/sign."""

from __future__ import annotations

import re
import struct
import zlib
from datetime import UTC, datetime, timedelta, timezone

import pytest

from signsvc.errors import BadRequest
from signsvc.services.signing_requests import parse_appearance
from signsvc.signing.appearance import layout as lay
from signsvc.signing.appearance import png
from signsvc.signing.appearance.errors import AppearanceError, ImageInvalid
from signsvc.signing.appearance.fonts import Measurer
from signsvc.signing.appearance.spec import iso_vn, vgca_time
from tests.support.appearance import FONT, png_bytes, seal_png


def _pixel(x, y):
    return ((x * 7 + y) % 256, (y * 13) % 256, (x * y) % 256, (x + y * 3) % 256)


def test_png_decodes_every_row_filter_rgba_and_grey_alpha():
    w, h = 23, 11
    img = png.decode(png_bytes(w, h, _pixel))
    assert (img.width, img.height, img.colors) == (w, h, 3)
    expected = [_pixel(x, y) for y in range(h) for x in range(w)]
    assert img.alpha == bytes(p[3] for p in expected)
    assert img.color_data == bytes(v for p in expected for v in p[:3])
    grey = png.decode(png_bytes(w, h, lambda x, y: ((x * 9) % 256, (y * 20) % 256), colour_type=4))
    assert grey.colors == 1 and grey.color_data == bytes((x * 9) % 256 for y in range(h) for x in range(w))


@pytest.mark.parametrize("data,needle", [
    (b"\xff\xd8\xff\xe0JFIF" + bytes(100), "PNG"),
    (png_bytes(4, 4, lambda x, y: (1, 2, 3), colour_type=2), "alpha"),
    (png_bytes(4, 4, lambda x, y: (1, 2, 3, 255)), "trong suốt"),
    (png_bytes(4, 4, _pixel)[:-8], "IEND"),
    (png_bytes(3000, 1, lambda x, y: (0, 0, 0, 0)), "Kích thước"),
])
def test_png_refusals(data, needle):
    with pytest.raises(ImageInvalid) as err:
        png.decode(data, max_bytes=1 << 20, max_side=2000)
    assert needle in err.value.message.vi


def test_png_bad_crc_and_size_limit():
    data = bytearray(png_bytes(4, 4, _pixel))
    data[30] ^= 0xFF                       # inside IHDR/IDAT: the CRC no longer matches
    with pytest.raises(ImageInvalid):
        png.decode(bytes(data))
    with pytest.raises(ImageInvalid, match="larger"):
        png.decode(seal_png(), max_bytes=100)
    sixteen = bytearray(png_bytes(2, 2, _pixel))
    ihdr = struct.pack(">IIBBBBB", 2, 2, 16, 6, 0, 0, 0)
    sixteen[16:29] = ihdr
    sixteen[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    with pytest.raises(ImageInvalid, match="8 bits"):
        png.decode(bytes(sixteen))


def test_seal_size_and_overlap_rules():
    w, h = lay.seal_size(40, (300, 300))
    assert w == pytest.approx(40 / 25.4 * 72) and h == pytest.approx(w)  # VS-3
    sig = (300.0, 200.0, 480.0, 260.0)
    seal = lay.seal_over(sig, (w, h))
    assert seal[2] - sig[0] == pytest.approx((sig[2] - sig[0]) / 3)       # VS-4
    assert seal[0] < sig[0] and seal[1] >= sig[1]                          # VS-4, VS-11
    assert seal[2] - seal[0] == pytest.approx(w)


def test_official_image_centred_and_text_below():
    measure = Measurer(FONT).width
    out = lay.official(170, 85, (300, 120), ["Nguyễn Văn Ấn"], measure)
    im = out.image
    assert im.x + im.width / 2 == pytest.approx(85)
    assert im.width / im.height == pytest.approx(300 / 120)
    (name,) = out.texts
    assert name.y + lay.ASCENT * name.size <= im.y + 0.01                   # name below image
    assert name.x + measure(name.text, name.size) / 2 == pytest.approx(85)
    with pytest.raises(AppearanceError):
        lay.official(8, 85, (300, 120), [], measure)


def test_text_blocks_fit_or_refuse():
    measure = Measurer(FONT).width
    block = lay.text_block(["SAO Y", "Ủy ban nhân dân"], measure)
    assert {t.size for t in block.texts} == {10.0}
    assert block.width == pytest.approx(measure("Ủy ban nhân dân", 10) + 2 * lay.PAD)
    fitted = lay.fitted_text_block(["Người ký: Nguyễn Văn Ấn"] * 3, measure, 80, 40)
    assert fitted.texts[0].size < 10
    with pytest.raises(AppearanceError):
        lay.fitted_text_block(["Người ký: Nguyễn Văn Ấn"] * 3, measure, 20, 10)


def test_font_covers_vietnamese_and_refuses_missing_glyphs():
    m = Measurer(FONT)
    assert m.missing("Ủy ban nhân dân tỉnh Thừa Thiên Huế, ỹ ợ ẵ Ỵ đ Đ ư Ơ") == ""
    with pytest.raises(AppearanceError):
        m.width("漢字", 10)


def test_times():
    utc = datetime(2026, 11, 28, 3, 15, 0, 500000, tzinfo=UTC)
    assert iso_vn(utc) == "2026-11-28T10:15:00+07:00"
    assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00$", iso_vn(utc))
    assert vgca_time(utc.astimezone(timezone(timedelta(hours=-5)))) == "28.11.2026 10:15:00 +07:00"


def test_parameters():
    spec = parse_appearance({"profile": "text", "page": "2", "rect": "300,150,100,90",
                             "lines": "agency,time", "agency": "So\u0302\u0301 Tư pháp"})
    assert spec.placement.rect == (100, 90, 300, 150) and spec.placement.page == 2
    assert spec.agency == "Số Tư pháp" and spec.lines == ("agency", "time")
    assert parse_appearance({"key": "x"}) is None
    for bad in ({"profile": "nope"}, {"profile": "text", "rect": "1,2,nan,4"},
                {"profile": "text", "size": "0,10"}, {"profile": "text", "over_field": "S1"},
                {"profile": "text", "rect": "1,2,3,4", "anchor": "A"}, {"doc_number": "1"},
                {"profile": "text", "anchor_position": "left"}, {"profile": "text", "page": "x"}):
        with pytest.raises(BadRequest):
            parse_appearance(bad)


@pytest.mark.parametrize("env,needle", [
    ({"SIGNSVC_APPEARANCE__TEXT_COLOR": "blue"}, "appearance.text_color"),
    ({"SIGNSVC_APPEARANCE__SEAL_DIAMETER_MM": "5"}, "seal_diameter_mm"),
    ({"SIGNSVC_APPEARANCE__FONT": "x"}, "unknown key"),
])
def test_appearance_settings_are_checked_at_start_up(env, needle):
    import os

    from signsvc.errors import ConfigError
    from signsvc.settings.loader import load_settings
    from tests.conftest import REPO

    with pytest.raises(ConfigError) as err:
        load_settings(REPO / "config" / "signsvc.toml", environ={**os.environ, **env})
    assert needle in err.value.message.en
