"""The local clock compared with the last timestamp a TSA returned (policy rule clock.tsa-skew)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime


class ClockMonitor:
    """Remembers the skew seen at the last TSA response: local time minus genTime, seconds.

    Thread-safe; per process (each worker keeps its own view of its own clock).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._skew: float | None = None
        self._seen_at: datetime | None = None

    def observe(self, gen_time: datetime, local_time: datetime | None = None) -> float:
        local_time = local_time or datetime.now(UTC)
        skew = (local_time - gen_time).total_seconds()
        with self._lock:
            self._skew, self._seen_at = skew, local_time
        return skew

    @property
    def skew_seconds(self) -> float | None:
        with self._lock:
            return self._skew
