"""Times as people in Vietnam read them: ``dd/mm/yyyy HH:mm:ss`` in Vietnam time
(Asia/Ho_Chi_Minh, UTC+07:00). The one formatter of every page, the PDF report's words and
the officials' document history.

signsvc stores and sends times as ISO 8601 (JSON answers, the audit log, the PDF attachment
stamp that Decree 30 prescribes); only what people read goes through ``shown``.

This module imports nothing of signsvc, so every layer may use it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
SHOWN_FORMAT = "%d/%m/%Y %H:%M:%S"


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


def shown(value: Any) -> str:
    """``value`` (see ``parse_moment``) as ``dd/mm/yyyy HH:mm:ss`` in Vietnam time, to the
    second; ``None`` or ``""`` as ``""``; anything that is not a time unchanged (as text)."""
    moment = parse_moment(value)
    if moment is None:
        return "" if value is None or value == "" else str(value)
    return moment.astimezone(VIETNAM).strftime(SHOWN_FORMAT)


def iso(value: Any) -> str:
    """``value`` as ISO 8601 with its offset, to the second (UTC for a time without zone);
    ``""`` when it is not a time."""
    moment = parse_moment(value)
    return moment.isoformat(timespec="seconds") if moment else ""
