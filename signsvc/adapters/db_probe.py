"""The readiness check of the database(s) every store uses (``services.readiness``)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from signsvc.adapters.db import database_for
from signsvc.adapters.db.tables import GROUPS
from signsvc.settings import Settings

log = logging.getLogger(__name__)

#: the check's code when a database does not answer
UNAVAILABLE = "database-unavailable"


def database_check(settings: Settings) -> Callable[[], str | None]:
    """A check that runs ``SELECT 1`` on each distinct engine of the stores (one when
    ``[database] url`` is set, one per SQLite file otherwise): None when all answer, else
    ``database-unavailable`` (the exception's type is logged, never the URL)."""
    engines = list({id(e): e for e in (database_for(settings, g) for g in GROUPS)}.values())

    def check() -> str | None:
        for engine in engines:
            try:
                with engine.connect() as conn:
                    conn.exec_driver_sql("SELECT 1")
            except Exception as exc:
                log.warning("readiness: a database does not answer (%s)", type(exc).__name__)
                return UNAVAILABLE
        return None
    return check
