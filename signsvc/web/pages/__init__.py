"""The HTML pages: ``common`` (blueprint, language, CSRF, rendering, errors as pages),
``login`` (login, TOTP, logout), ``official`` (officials' and clerks' signing pages) and
``auditor`` (verification and audit log, auditors and admins only)."""

from signsvc.web.pages import login, official  # noqa: F401  (routes on the pages blueprint)
from signsvc.web.pages.auditor import auditor
from signsvc.web.pages.common import pages

__all__ = ["auditor", "pages"]
