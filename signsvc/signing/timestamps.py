"""RFC 3161 timestamping for B-T and higher, and validation contexts for B-LT/B-LTA."""

from __future__ import annotations

from typing import Callable, Sequence

from asn1crypto import x509
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper
from pyhanko_certvalidator import ValidationContext


def make_timestamper(urls: Sequence[str], timeout: float) -> TimeStamper | None:
    """The TSA client for the first configured URL, or None when none is configured.

    pyHanko checks the response's status, nonce and message imprint before use.
    """
    if not urls:
        return None
    return HTTPTimeStamper(urls[0], timeout=int(max(1, timeout)))


def validation_context_factory(anchors: Sequence[x509.Certificate],
                               intermediates: Sequence[x509.Certificate],
                               ) -> Callable[[], ValidationContext]:
    """Fresh contexts (they cache fetched data) that collect revocation info for B-LT."""
    anchors, intermediates = tuple(anchors), tuple(intermediates)

    def factory() -> ValidationContext:
        return ValidationContext(trust_roots=anchors, other_certs=intermediates,
                                 allow_fetching=True, revocation_mode="hard-fail")
    return factory
