"""RFC 3161 timestamping for B-T and higher, and validation contexts for B-LT/B-LTA."""

from __future__ import annotations

from typing import Callable, Sequence

from asn1crypto import x509
from pyhanko.sign.timestamps import TimeStamper
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers import FetcherBackend

from signsvc.signing.tsa import FailoverTimeStamper, TsaOptions


def make_timestamper(urls: Sequence[str], timeout: float, *, retries: int = 1,
                     backoff_seconds: float = 0.5, max_clock_skew_seconds: float = 300.0,
                     trust_roots: Sequence[x509.Certificate] = (),
                     intermediates: Sequence[x509.Certificate] = ()) -> TimeStamper | None:
    """The TSA client over every configured URL in order (failover, retries with backoff),
    or None when none is configured. Each response's status, nonce, imprint, signature,
    certificate and genTime are checked before use (``signsvc.signing.tsa``).
    """
    if not urls:
        return None
    return FailoverTimeStamper(TsaOptions(
        urls=tuple(urls), timeout_seconds=max(0.1, timeout), retries=retries,
        backoff_seconds=backoff_seconds, max_clock_skew_seconds=max_clock_skew_seconds),
        trust_roots, intermediates)


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
