"""Times on pages: the ``when`` filter wraps ``signsvc.times.shown`` (``dd/mm/yyyy HH:mm:ss``
in Vietnam time, the one formatter of signsvc) in ``<time datetime=…>`` holding the exact
ISO 8601 value. Only what people read is formatted; JSON answers and the PDF attachment
stamp (Decree 30) keep ISO 8601.
"""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from signsvc.times import VIETNAM, parse_moment
from signsvc.times import iso as iso_time
from signsvc.times import shown as page_time

__all__ = ["VIETNAM", "iso_time", "page_time", "parse_moment", "when"]


@pass_context
def when(context: Context, value: Any) -> Markup | str:
    """Jinja filter ``when``: ``<time datetime="ISO" title="Vietnam time">dd/mm/yyyy
    HH:mm:ss</time>``; not a time: the value as it is (escaped by the template). Marks the
    page as one that shows times (the footer's time-zone note)."""
    moment = parse_moment(value)
    if moment is None:
        return page_time(value)
    texts = context.get("t")
    zone = texts("time_zone") if callable(texts) else "UTC+07:00"
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        iso_time(moment), escape(zone), page_time(moment))
