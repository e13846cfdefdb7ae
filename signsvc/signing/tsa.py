"""RFC 3161 timestamps that hold up: several TSAs in order, timeouts, retries with backoff,
failover, and every response checked before it is used. The port of the TSA client:
``CheckedTimeStamper`` is the pyHanko ``TimeStamper`` every signing path takes; an adapter
subclass supplies only the transport (``post``: send a ``TimeStampReq`` to one TSA, return
its parsed answer; ``signsvc.adapters.tsa_http`` over HTTP with aiohttp).

Guarantees of ``CheckedTimeStamper.async_timestamp``: it returns a token only when the
TSA granted the request, the token's nonce is ours, its message imprint is the digest we
sent (same algorithm), the CMS signature over the TSTInfo verifies with the embedded TSA
certificate, that certificate is a timestamping certificate (critical EKU
``timeStamping`` only), valid at ``genTime``, chains to the configured trust anchors, and
``genTime`` is within ``max_clock_skew`` of the local clock. A response failing any check
counts as a failure of that TSA. When every TSA failed, ``TimestampRequestError`` is
raised naming each TSA's last reason. Cached between calls: the time of the last success
(for ``available``) and, for an hour, each TSA certificate whose path to the trust anchors
validated (no fetching, so the path does not change) with the interval in which every
certificate of that path is valid: a later token from that certificate is accepted
without building the path again only when its ``genTime`` is inside that interval.

Time: each attempt has a TOTAL deadline of ``timeout_seconds`` (the transport is given
that budget for connection, request and the whole answer, and is cut at it however slowly
a TSA drips bytes), and the whole call, back-off sleeps included, ends by the request's
deadline (``signsvc.deadline``) when one is in force: past it, no further attempt is made
and ``TimestampRequestError`` is raised.
"""

from __future__ import annotations

import abc
import asyncio
import hashlib
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from asn1crypto import cms, tsp, x509
from pyhanko.sign.general import extract_certificate_info, extract_signer_info
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError, dummy_digest
from pyhanko.sign.validation.generic_cms import validate_sig_integrity
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.registry import CertificateRegistry, SimpleTrustManager

from signsvc import deadline

log = logging.getLogger(__name__)

#: how long a validated TSA certificate path is reused before it is built again
TRUSTED_PATH_SECONDS = 3600.0


def _within_deadline(seconds: float) -> float:
    """``seconds``, cut to what is left of the request's deadline when one is in force;
    ``deadline.DeadlineExceeded`` when it has passed."""
    left = deadline.remaining(seconds)
    return seconds if left is None else left


@dataclass(frozen=True)
class TsaOptions:
    """The TSAs to ask, in order, and how hard to try each."""

    urls: tuple[str, ...]
    timeout_seconds: float = 10.0
    retries: int = 1                    # extra attempts per TSA after the first
    backoff_seconds: float = 0.5        # wait before retry n: backoff * 2**(n-1)
    max_clock_skew_seconds: float = 300.0
    healthy_for_seconds: float = 30.0   # how long a success vouches for ``available``


class TsaResponseRejected(TimestampRequestError):
    """The TSA answered, but its response failed a check."""


class TsaUnreachable(TimestampRequestError):
    """The TSA could not be asked or its answer could not be read (connection, HTTP status,
    content type, size, format): raised by transports for every failure of theirs, so the
    domain never sees a client library's exception."""


class CheckedTimeStamper(TimeStamper, abc.ABC):
    """pyHanko ``TimeStamper`` over several TSAs, every answer checked (see the module
    docstring); a subclass implements ``post``, the transport to one TSA."""

    def __init__(self, options: TsaOptions, trust_roots: Sequence[x509.Certificate] = (),
                 intermediates: Sequence[x509.Certificate] = ()) -> None:
        if not options.urls:
            raise ValueError("at least one TSA URL is needed")
        super().__init__(include_nonce=True)
        self.options = options
        self._roots = tuple(trust_roots)
        self._intermediates = tuple(intermediates)
        self._lock = threading.Lock()
        self._last_success = 0.0
        # built once: the trust roots, and the TSA certificates whose path validated, with
        # the interval in which all certificates of that path are valid (see _check_certificate)
        self._trust_manager = SimpleTrustManager.build(trust_roots=list(self._roots)) \
            if self._roots else None
        self._trusted: dict[bytes, tuple[datetime, datetime, float]] = {}
        #: (url, outcome) of every attempt of the last call, for logs and tests
        self.last_attempts: list[tuple[str, str]] = []

    # -- pyHanko's entry points -------------------------------------------------------

    async def async_timestamp(self, message_digest: bytes, md_algorithm: str) -> cms.ContentInfo:
        nonce, req = self.request_cms(message_digest, md_algorithm)
        attempts: list[tuple[str, str]] = []
        reasons: dict[str, str] = {}
        for url in self.options.urls:
            for attempt in range(self.options.retries + 1):
                try:
                    if attempt:
                        await asyncio.sleep(_within_deadline(
                            self.options.backoff_seconds * 2 ** (attempt - 1)))
                    budget = _within_deadline(self.options.timeout_seconds)
                except deadline.DeadlineExceeded:
                    attempts.append((url, "failed: the request's deadline has passed"))
                    self.last_attempts = attempts
                    raise TimestampRequestError(
                        "; ".join([*(f"{u}: {r}" for u, r in reasons.items()),
                                   "the request's deadline has passed"])) from None
                try:
                    resp = await self._post(url, req, budget)
                    token = await self.check_response(resp, nonce, message_digest, md_algorithm)
                except TsaResponseRejected as exc:
                    attempts.append((url, f"rejected: {exc}"))
                    reasons[url] = f"rejected: {exc}"
                    break  # a TSA that answers wrongly is not retried, the next one is tried
                except (TimestampRequestError, TimeoutError, OSError, ValueError) as exc:
                    reason = str(exc) if isinstance(exc, TsaUnreachable) \
                        else f"{type(exc).__name__}: {exc}"
                    attempts.append((url, f"failed: {reason}"))
                    reasons[url] = reason
                    continue
                attempts.append((url, "ok"))
                self.last_attempts = attempts
                with self._lock:
                    self._last_success = time.monotonic()
                if len(attempts) > 1:
                    log.warning("timestamp obtained after %d attempts: %s", len(attempts), attempts)
                return token
        self.last_attempts = attempts
        log.warning("no TSA gave a usable timestamp: %s", attempts)
        raise TimestampRequestError("; ".join(f"{u}: {r}" for u, r in reasons.items()))

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        """The first TSA's raw answer (pyHanko API); prefer ``async_timestamp``."""
        return await self._post(self.options.urls[0], req, _within_deadline(
            self.options.timeout_seconds))

    # -- availability ------------------------------------------------------------------

    def available(self) -> bool:
        """True when a TSA answered correctly within ``healthy_for_seconds``, else after a
        successful probe (a real timestamp over a dummy digest, with failover)."""
        with self._lock:
            if time.monotonic() - self._last_success < self.options.healthy_for_seconds:
                return True
        try:
            asyncio.run(self.async_timestamp(dummy_digest("sha256"), "sha256"))
        except TimestampRequestError:
            return False
        return True

    def close(self) -> None:
        """Release what the transport keeps between requests (here: nothing); called once,
        when the service is shut down."""

    # -- internals ---------------------------------------------------------------------

    async def _post(self, url: str, req: tsp.TimeStampReq, budget: float) -> tsp.TimeStampResp:
        """The TSA's parsed answer within ``budget`` seconds in all (the transport is given
        the budget; ``wait_for`` cuts it there whatever the transport does)."""
        return await asyncio.wait_for(self.post(url, req, budget), budget)

    @abc.abstractmethod
    async def post(self, url: str, req: tsp.TimeStampReq, budget: float) -> tsp.TimeStampResp:
        """The transport: ``req`` sent to the TSA at ``url``, its answer parsed (fully, so a
        malformed answer fails here), all within ``budget`` seconds. Raises
        ``TsaUnreachable`` for any failure of the transport (never a client library's
        exception), ``TimeoutError`` when the budget ran out, ``ValueError`` for an answer
        that does not parse. The answer is not checked here: ``check_response`` does."""

    async def check_response(self, resp: tsp.TimeStampResp, nonce: int, message_digest: bytes,
                       md_algorithm: str) -> cms.ContentInfo:
        """The token of ``resp`` after every check of the module docstring;
        ``TsaResponseRejected`` naming the first failed check otherwise."""
        status = resp["status"]["status"].native
        if status not in ("granted", "granted_with_mods"):
            raise TsaResponseRejected(f"status {status}")
        token = resp["time_stamp_token"]
        if not isinstance(token, cms.ContentInfo) or token["content_type"].native != "signed_data":
            raise TsaResponseRejected("no signed token")
        signed: cms.SignedData = token["content"]
        info = signed["encap_content_info"]
        if info["content_type"].native != "tst_info":
            raise TsaResponseRejected("content is not a TSTInfo")
        tst: tsp.TSTInfo = info["content"].parsed
        if tst["nonce"].native != nonce:
            raise TsaResponseRejected("nonce mismatch")
        imprint = tst["message_imprint"]
        if imprint["hash_algorithm"]["algorithm"].native != md_algorithm \
                or imprint["hashed_message"].native != message_digest:
            raise TsaResponseRejected("message imprint mismatch")
        gen_time: datetime = tst["gen_time"].native
        skew = abs(gen_time - datetime.now(UTC))
        if skew > timedelta(seconds=self.options.max_clock_skew_seconds):
            raise TsaResponseRejected(f"genTime {gen_time.isoformat()} is {skew} off the local clock")
        cert = self._check_signature(signed, info)
        await self._check_certificate(cert, gen_time)
        return token

    @staticmethod
    def _check_signature(signed: cms.SignedData, info: cms.EncapsulatedContentInfo) -> x509.Certificate:
        try:
            signer_info = extract_signer_info(signed)
            cert = extract_certificate_info(signed).signer_cert
        except Exception as exc:
            raise TsaResponseRejected(f"no TSA certificate in the token ({exc})") from None
        content = info["content"].contents
        md = signer_info["digest_algorithm"]["algorithm"].native
        try:
            intact, valid = validate_sig_integrity(
                signer_info, cert, expected_content_type="tst_info",
                actual_digest=hashlib.new(md, content).digest())
        except Exception as exc:
            raise TsaResponseRejected(f"token signature cannot be checked ({exc})") from None
        if not (intact and valid):
            raise TsaResponseRejected("token signature does not verify")
        return cert

    async def _check_certificate(self, cert: x509.Certificate, gen_time: datetime) -> None:
        eku = cert.extended_key_usage_value
        if eku is None or eku.native != ["time_stamping"] or "extended_key_usage" not in \
                cert.critical_extensions:
            raise TsaResponseRejected("certificate is not a timestamping certificate")
        validity = cert["tbs_certificate"]["validity"]
        if not (validity["not_before"].native <= gen_time <= validity["not_after"].native):
            raise TsaResponseRejected("certificate not valid at genTime")
        if not self._roots:
            return
        fingerprint = cert.sha256
        with self._lock:
            known = self._trusted.get(fingerprint)
        if known is not None and known[0] <= gen_time <= known[1] \
                and time.monotonic() < known[2]:
            return  # this certificate's path was validated, and every certificate of it is valid at genTime
        vc = ValidationContext(trust_manager=self._trust_manager,
                               certificate_registry=CertificateRegistry.build(self._intermediates),
                               allow_fetching=False, revocation_mode="soft-fail", moment=gen_time)
        try:
            path = await CertificateValidator(cert, validation_context=vc).async_validate_usage(
                set(), {"time_stamping"})
        except Exception as exc:
            raise TsaResponseRejected(f"certificate not trusted ({type(exc).__name__})") from None
        certs = list(path.iter_certs(include_root=True))
        window = (max(c.not_valid_before for c in certs), min(c.not_valid_after for c in certs),
                  time.monotonic() + TRUSTED_PATH_SECONDS)
        with self._lock:
            if len(self._trusted) >= 16:
                self._trusted.clear()
            self._trusted[fingerprint] = window

