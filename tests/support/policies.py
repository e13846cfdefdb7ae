"""Policy files for tests that run real servers under load."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import REPO

SHIPPED = REPO / "config" / "policy.toml"


def without_rate_limits(path: Path) -> Path:
    """Write the shipped policy with every per-minute and per-day limit lifted to *path*.

    A load test signs as fast as the machine allows; on a fast machine the shipped
    600 signatures a minute per client is reached within seconds and every later request
    gets 429, which says nothing about what the test checks. Exact limits are tested in
    tests/integration/test_rate_counters.py and test_postgres_service.py."""
    text = SHIPPED.read_text()
    text = re.sub(r"(?m)^per_minute = \d+$", "per_minute = 100000", text)
    text = re.sub(r"(?m)^per_day = \d+$", "per_day = 10000000", text)
    path.write_text(text)
    return path
