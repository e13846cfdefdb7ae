"""Logging for the service and the command line: one line per event, with the request id.

``configure_logging`` installs a single stderr handler on the root logger (idempotent), so
that warnings of any module (a token error in the PKCS#11 adapter, a failed checkpoint)
reach the server's output. The web layer sets ``request_id`` for the duration of each
request; every line logged meanwhile, from any module, carries it (``-`` outside requests).
Log lines never contain secrets: modules log exception types and key ids, not PINs.
"""

from __future__ import annotations

import contextvars
import logging
import sys

#: the id of the HTTP request being handled in this thread/context ("-" outside requests)
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("signsvc_request_id", default="-")

FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s request_id=%(request_id)s %(message)s"


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` from the current context (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def configure_logging(level: str = "INFO") -> None:
    """Send every logger's records at ``level`` and above to stderr, one line each.

    Safe to call more than once (the handler is installed once). Newlines inside a message
    are escaped so that one event stays one line."""
    root = logging.getLogger()
    if any(getattr(h, "_signsvc", False) for h in root.handlers):
        root.setLevel(level)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler._signsvc = True  # type: ignore[attr-defined]
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(_OneLineFormatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(level)


class _OneLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "\\r").replace("\n", "\\n")
