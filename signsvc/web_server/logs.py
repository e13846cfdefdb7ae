"""gunicorn's own log lines (``gunicorn.error``, ``gunicorn.access``) in signsvc's format.

With ``[logging] format = "text"`` gunicorn logs as it always did (``signsvc.wsgi``'s
``ACCESS_LOG_FORMAT`` for the access lines). With ``"json"`` every line is one JSON object
like the application's (``signsvc.logsetup``): an access line has ``message`` ``"access"``
and the fields ``remote``, ``method``, ``path``, ``status``, ``bytes``, ``duration_ms``,
``request_id`` (the response's ``X-Request-Id``) and ``instance``. The query string is not
logged (only the path), nor any header but the request id.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from gunicorn.glogging import Logger

from signsvc import logsetup


class SignsvcLogger(Logger):
    """gunicorn's logger; ``json`` is set by ``signsvc.wsgi`` before the master starts."""

    json = False

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        if not self.json:
            return
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(logsetup.formatter("json"))
                if not any(isinstance(f, logsetup.RequestIdFilter) for f in handler.filters):
                    handler.addFilter(logsetup.RequestIdFilter())

    def access(self, resp: Any, req: Any, environ: dict, request_time: Any) -> None:
        if not self.json:
            super().access(resp, req, environ, request_time)
            return
        if not self.access_log_enabled:
            return
        try:
            atoms = self.atoms_wrapper_class(self.atoms(resp, req, environ, request_time))
            self.access_log.info("access", extra=access_fields(atoms))
        except Exception:
            self.error(traceback.format_exc())


def access_fields(atoms: Any) -> dict[str, Any]:
    """The JSON access line's fields from gunicorn's log atoms (``-`` when unknown)."""
    status = str(atoms["s"]).split(" ")[0]
    size = atoms["B"]
    return {"remote": atoms["h"], "method": atoms["m"], "path": atoms["U"],
            "status": int(status) if status.isdigit() else status,
            "bytes": size if isinstance(size, int) else 0,
            "duration_ms": int(atoms["M"]) if str(atoms["M"]).isdigit() else atoms["M"],
            "request_id": atoms["{x-request-id}o"]}


def configure(*, json: bool) -> str:
    """Choose the format (in the master, before it starts); returns gunicorn's
    ``logger_class``."""
    SignsvcLogger.json = json
    logging.getLogger("gunicorn.error")   # created now: same logger object in every worker
    return f"{SignsvcLogger.__module__}.{SignsvcLogger.__qualname__}"
