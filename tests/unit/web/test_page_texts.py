"""The pages' one catalogue (signsvc.web.i18n): both languages say the same things, every
``t.key`` a template reads exists, and times read as people in Vietnam write them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from markupsafe import Markup

from signsvc.errors import Message
from signsvc.web.i18n import LANGUAGES, TEXTS, Texts, pick, t, texts
from signsvc.web.pages.dates import iso_time, page_time, when

TEMPLATES = Path(__file__).resolve().parents[3] / "signsvc" / "web" / "templates"
#: t.key / t['key'] / t('key' in templates (t.get / t.items are the mapping's own)
_READ = re.compile(r"\bt(?:\.(\w+)\b(?!\s*\()|\[['\"](\w+)['\"]\]|\(\s*['\"](\w+)['\"])")


def test_both_languages_have_the_same_texts_and_none_is_empty():
    assert set(LANGUAGES) == set(TEXTS) == {"vi", "en"}
    assert set(TEXTS["vi"]) == set(TEXTS["en"])
    for language in LANGUAGES:
        assert all(v.strip() for v in TEXTS[language].values()), language


def test_every_text_a_template_reads_exists():
    read = set()
    for template in TEMPLATES.glob("*.html"):
        for m in _READ.finditer(template.read_text(encoding="utf-8")):
            read.add(next(g for g in m.groups() if g))
    read -= {"get", "items"}   # the mapping's methods, called
    assert read, "no template reads t.*"
    assert sorted(read - set(TEXTS["vi"])) == []


def test_texts_read_by_attribute_call_and_key_even_named_like_dict_methods():
    vi = Texts("vi", {"clear": "Xóa bộ lọc", "checked": "đã kiểm tra {n} bản ghi"})
    assert vi.clear == "Xóa bộ lọc" and vi["clear"] == "Xóa bộ lọc"
    assert vi("checked", n=3) == "đã kiểm tra 3 bản ghi"
    assert vi("missing") == "missing"
    assert t("verdict_unsigned", "vi") == "Chưa ký" and t("verdict_unsigned", "en") == "Not signed"
    assert texts("fr") is texts("vi")   # anything else reads Vietnamese


def test_pick_takes_the_page_language_half():
    message = Message("Không tìm thấy.", "Not found.")
    assert pick(message, "vi") == "Không tìm thấy." and pick(message, "en") == "Not found."
    assert pick({"vi": ["một"], "en": ["one"]}, "en") == ["one"]
    assert pick("as is", "en") == "as is"


def test_times_on_pages_are_day_month_year_in_vietnam_time():
    assert page_time("2026-12-03T18:45:07Z") == "04/12/2026 01:45:07"
    assert page_time("2026-12-03T10:00:00+07:00") == "03/12/2026 10:00:00"
    assert page_time(datetime(2026, 1, 31, 17, 0, 1, tzinfo=UTC)) == "01/02/2026 00:00:01"
    assert page_time("2026-12-03T18:45:07") == "04/12/2026 01:45:07"   # stored without zone: UTC
    assert page_time(None) == "" and page_time("") == ""
    assert page_time("không phải thời gian") == "không phải thời gian"
    assert iso_time("2026-12-03T18:45:07.123Z") == "2026-12-03T18:45:07+00:00"


def test_when_keeps_the_exact_time_in_the_time_element():
    out = when({"t": texts("vi")}, "2026-12-03T18:45:07Z")   # a dict stands for the context
    assert isinstance(out, Markup)
    assert str(out) == ('<time datetime="2026-12-03T18:45:07+00:00" title="giờ Việt Nam (UTC+07:00)">'
                        "04/12/2026 01:45:07</time>")
    assert when({"t": texts("en")}, "n/a") == "n/a"
