"""Logging for the service and the command line: one line per event, with the request id.

``configure_logging`` installs a single stderr handler on the root logger (idempotent), so
that warnings of any module (a token error in the PKCS#11 adapter, a failed checkpoint)
reach the server's output. The web layer sets ``request_id`` for the duration of each
request; every line logged meanwhile, from any module, carries it (``-`` outside requests).
Log lines never contain secrets: modules log exception types and key ids, not PINs.

Two formats (``[logging] format``): ``text`` (the default: ``FORMAT`` below) and ``json``:
one JSON object per line with ``time``, ``level``, ``logger``, ``pid``, ``message``,
``request_id`` and ``instance`` (``[service] instance_id``), plus the fields a caller
passed in ``extra`` (the access log's ``method``, ``path``, ``status``, ...).
"""

from __future__ import annotations

import contextvars
import logging
import sys

#: the id of the HTTP request being handled in this thread/context ("-" outside requests)
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("signsvc_request_id", default="-")

FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s request_id=%(request_id)s %(message)s"
#: the fields of every JSON line, renamed as ``JSON_RENAMES`` says
JSON_FIELDS = ("asctime", "levelname", "name", "process", "message", "request_id", "instance")
JSON_RENAMES = {"asctime": "time", "levelname": "level", "name": "logger", "process": "pid"}
FORMATS = ("text", "json")

_instance = "-"


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` from the current context unless the record carries one
    already (the access log's, read from the response), and ``record.instance``; never
    drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id.get()
        record.instance = _instance
        return True


def configure_logging(level: str = "INFO", *, format: str = "text", instance: str | None = None) -> None:
    """Send every logger's records at ``level`` and above to stderr, one line each, in
    ``format`` (``text`` or ``json``), tagged with ``instance``.

    Safe to call more than once (the handler is installed once; a later call changes its
    level, format and instance). Newlines inside a message are escaped so that one event
    stays one line (JSON escapes them itself)."""
    global _instance
    if format not in FORMATS:
        raise ValueError(f"log format must be one of {FORMATS}")
    if instance is not None:
        _instance = instance
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_signsvc", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler._signsvc = True  # type: ignore[attr-defined]
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    handler.setFormatter(formatter(format))
    root.setLevel(level)


def formatter(format: str) -> logging.Formatter:
    """The formatter of ``format`` (``text`` or ``json``); records need ``RequestIdFilter``."""
    if format == "json":
        from pythonjsonlogger.json import JsonFormatter

        return JsonFormatter(list(JSON_FIELDS), rename_fields=JSON_RENAMES,
                             datefmt="%Y-%m-%dT%H:%M:%S%z", json_ensure_ascii=False)
    return _OneLineFormatter(FORMAT)


class _OneLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "\\r").replace("\n", "\\n")
