"""Chain and revocation status of a signing key's certificate (pyhanko-certvalidator).

Guarantees: results are cached per certificate for ``ttl_seconds`` (so a busy service does
not ask the OCSP responder on every signature); every certvalidator exception becomes a
status string: chain ``trusted`` / ``untrusted``, revocation ``good`` / ``revoked`` /
``unknown`` / ``not_checked``; never raises.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Sequence

from asn1crypto import x509
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator import errors as cv_errors
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from signsvc import deadline

log = logging.getLogger(__name__)


class CertificateStatusChecker:
    def __init__(self, anchors: Sequence[x509.Certificate], intermediates: Sequence[x509.Certificate],
                 *, allow_fetching: bool, ttl_seconds: float = 300.0) -> None:
        self._anchors = tuple(anchors)
        self._intermediates = tuple(intermediates)
        self._allow_fetching = allow_fetching
        self._ttl = ttl_seconds
        self._cache: dict[bytes, tuple[float, tuple[str, str]]] = {}
        self._lock = threading.Lock()
        self._flights: dict[bytes, tuple[threading.Lock, list]] = {}  # key: lock, [finished, result]

    def status(self, cert: x509.Certificate, chain: Sequence[x509.Certificate] = ()) -> tuple[str, str]:
        """(chain status, revocation status) for ``cert`` now, cached for the TTL. One check
        per certificate runs at a time: requests arriving meanwhile take its result (even
        ``unknown``) instead of each asking the responders again (8 concurrent signatures
        at start-up or TTL expiry made 8 OCSP/CRL validations)."""
        key = cert.sha256
        arrived = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
            if hit and arrived - hit[0] < self._ttl:
                return hit[1]
            flight, last = self._flights.setdefault(key, (threading.Lock(), [0.0, None]))
        with flight:
            if last[0] >= arrived:      # a check finished while this request waited for it
                return last[1]
            now = time.monotonic()
            result = self._check(cert, chain)
            last[:] = [time.monotonic(), result]
        if result[1] != "unknown":      # never cache a transient failure
            with self._lock:
                self._cache[key] = (now, result)
        return result

    def _check(self, cert: x509.Certificate, chain: Sequence[x509.Certificate]) -> tuple[str, str]:
        async def validate() -> None:
            backend = AIOHttpFetcherBackend(per_request_timeout=10)
            try:
                vc = ValidationContext(trust_roots=self._anchors,
                                       other_certs=[*self._intermediates, *chain],
                                       allow_fetching=self._allow_fetching,
                                       revocation_mode="hard-fail", crls=[], ocsps=[],
                                       fetcher_backend=backend)
                await CertificateValidator(cert, validation_context=vc).async_validate_path()
            finally:
                await backend.close()

        try:
            # all fetches together end by the request's deadline (signing), 60 s otherwise
            budget = deadline.remaining(60.0)
            asyncio.run(asyncio.wait_for(validate(), budget))
        except cv_errors.RevokedError:
            return "trusted", "revoked"
        except cv_errors.InsufficientRevinfoError:
            return "trusted", "unknown" if self._allow_fetching else "not_checked"
        except (cv_errors.PathBuildingError, cv_errors.PathValidationError,
                cv_errors.InvalidCertificateError) as exc:
            log.info("certificate %s not trusted: %s", cert.sha256.hex()[:16], type(exc).__name__)
            return "untrusted", "not_checked"
        except Exception:  # a library failure must not take signing down: status unknown
            log.exception("certificate status check failed")
            return "untrusted", "unknown"
        return "trusted", "good"
