"""One time formatter (signsvc.times.shown) for what people read: pages, the report's words
(HTML and PDF) and the officials' document history (the pages' when filter) all write dd/mm/yyyy HH:mm:ss in Vietnam
time, whatever offset the stored time carries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from signsvc import times
from signsvc.reports import summary
from signsvc.web.pages.dates import page_time


@pytest.mark.parametrize(("stored", "shown"), [
    ("2026-12-03T18:45:07Z", "04/12/2026 01:45:07"),
    ("2026-12-03T18:45:07", "04/12/2026 01:45:07"),          # stored without zone: UTC
    ("2026-12-04T01:45:07+07:00", "04/12/2026 01:45:07"),
    ("2026-12-03T20:45:07.999+02:00", "04/12/2026 01:45:07"),  # to the second
    (datetime(2026, 1, 31, 17, 0, 1, tzinfo=UTC), "01/02/2026 00:00:01"),
    (datetime(2026, 1, 31, 17, 0, 1), "01/02/2026 00:00:01"),
    (datetime(2026, 2, 1, 0, 0, 1, tzinfo=timezone(timedelta(hours=7))), "01/02/2026 00:00:01"),
])
def test_every_reader_writes_the_same_words(stored, shown):
    assert times.shown(stored) == shown
    assert page_time(stored) == shown                       # pages (when filter, signing result)
    assert summary.when(stored) == shown                    # report first screen, HTML and PDF


def test_not_a_time():
    assert times.shown(None) == "" and times.shown("") == ""
    assert times.shown("không phải thời gian") == "không phải thời gian"
    assert times.parse_moment(12) is None and times.iso("x") == ""
    assert times.iso("2026-12-03T18:45:07.5Z") == "2026-12-03T18:45:07+00:00"
