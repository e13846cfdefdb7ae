"""RFC 3161 timestamping for B-T and higher, and validation contexts for B-LT/B-LTA.

``TimeStamper`` (pyHanko's) is the port every signing path takes for timestamps; signsvc's
own is ``signsvc.signing.tsa.CheckedTimeStamper`` (failover, every answer checked), built
over HTTP by ``signsvc.adapters.tsa_http.make_timestamper`` in the composition root.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from asn1crypto import x509
from pyhanko.sign.timestamps import TimeStamper
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers import FetcherBackend

__all__ = ["TimeStamper", "validation_context_factory"]


def validation_context_factory(anchors: Sequence[x509.Certificate],
                               intermediates: Sequence[x509.Certificate],
                               fetcher_backend: FetcherBackend | None = None,
                               ) -> Callable[[], ValidationContext]:
    """Fresh contexts (they cache fetched data) that collect revocation info for B-LT;
    ``fetcher_backend`` (e.g. the cached, retrying one) fetches OCSP/CRL/certificates."""
    anchors, intermediates = tuple(anchors), tuple(intermediates)

    def factory() -> ValidationContext:
        return ValidationContext(trust_roots=anchors, other_certs=intermediates,
                                 allow_fetching=True, revocation_mode="hard-fail",
                                 fetcher_backend=fetcher_backend)
    return factory
