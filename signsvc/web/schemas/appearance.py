"""Query parameters of a visible signature on ``/v1/sign`` and ``/v1/policy/evaluate``.

The parsing itself lives in :mod:`signsvc.signing.appearance.params` (pure, no PDF
library; reached through :mod:`signsvc.services.signing_requests`), shared with ``signsvc sign --profile …`` so that the command line and the API
accept and refuse exactly the same values with the same messages.
"""

from __future__ import annotations

from signsvc.services.signing_requests import (  # noqa: F401  (re-exported for signsvc.web)
    APPEARANCE_PARAMS, ATTACHMENT_MODES, parse_appearance,
)
