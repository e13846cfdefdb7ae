"""Times on pages as people in Vietnam read them: ``dd/mm/yyyy HH:mm:ss`` in Vietnam time
(Asia/Ho_Chi_Minh, UTC+07:00), the exact ISO 8601 value kept in ``<time datetime=…>``.

Only pages use this; the PDF attachment stamp keeps ISO 8601 as Decree 30 prescribes, and
JSON answers keep ISO 8601.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
PAGE_FORMAT = "%d/%m/%Y %H:%M:%S"


def parse_moment(value: Any) -> datetime | None:
    """``value`` (a ``datetime`` or an ISO 8601 text, ``Z`` allowed) as an aware datetime;
    a time without a zone is UTC (how signsvc stores times); None when it is not a time."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def page_time(value: Any) -> str:
    """``value`` as ``dd/mm/yyyy HH:mm:ss`` in Vietnam time; an empty value as ``""``,
    anything that is not a time unchanged (as text)."""
    moment = parse_moment(value)
    if moment is None:
        return "" if value in (None, "") else str(value)
    return moment.astimezone(VIETNAM).strftime(PAGE_FORMAT)


def iso_time(value: Any) -> str:
    """``value`` as ISO 8601 with its offset, to the second (UTC for a time without zone)."""
    moment = parse_moment(value)
    return moment.isoformat(timespec="seconds") if moment else ""


@pass_context
def when(context: Context, value: Any) -> Markup | str:
    """Jinja filter ``when``: ``<time datetime="ISO" title="Vietnam time">dd/mm/yyyy
    HH:mm:ss</time>``; not a time: the value as it is (escaped by the template)."""
    moment = parse_moment(value)
    if moment is None:
        return page_time(value)
    texts = context.get("t")
    zone = texts("time_zone") if callable(texts) else "UTC+07:00"
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        iso_time(moment), escape(zone), page_time(moment))
