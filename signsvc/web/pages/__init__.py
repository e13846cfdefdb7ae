"""The HTML pages: ``common`` (blueprint, language, CSRF, rendering, errors as pages),
``login`` (login, TOTP, logout), ``official`` (officials' and clerks' signing pages),
``agent_help`` (installing the signing agent) and ``auditor`` (verification and audit log,
auditors and admins only); ``dates`` formats times for pages."""

from signsvc.web.pages import agent_help, login, official  # noqa: F401  (routes on the pages blueprint)
from signsvc.web.pages.auditor import auditor
from signsvc.web.pages.common import pages

__all__ = ["auditor", "pages"]
