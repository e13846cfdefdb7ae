"""Trust, time-stamps, revocation fetching, the PAdES signer, the validator and B-LT/B-LTA
upgrades: the signature machinery every feature shares."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from signsvc.adapters.pdftotext_words import pdftotext_words
from signsvc.adapters.revocation_fetchers import ResilientFetcherBackend
from signsvc.adapters.tsa_http import make_timestamper
from signsvc.app.builders import stores
from signsvc.policy.engine import Policy
from signsvc.services.audit_service import AuditService
from signsvc.services.extend_service import ExtendService
from signsvc.settings import Settings
from signsvc.signing.clock import ClockMonitor
from signsvc.signing.ltv import Fallback, LtvBuilder
from signsvc.signing.pades import PadesSigner
from signsvc.signing.timestamps import TimeStamper, validation_context_factory
from signsvc.signing.tsa import CheckedTimeStamper
from signsvc.validation.trust import TrustAnchors, load_trust_anchors
from signsvc.validation.validator import PdfValidator


def load_trust(settings: Settings) -> TrustAnchors:
    """The configured trust store (``[trust]``)."""
    t = settings.trust
    return load_trust_anchors(t.name, t.anchors, t.intermediates, t.allow_sha1_roots)


def quiet_pyhanko() -> None:
    """pyHanko logs a full traceback at WARNING for every untrusted or revoked signer it
    validates; that outcome is in the report already."""
    logging.getLogger("pyhanko.sign.validation.generic_cms").setLevel(logging.ERROR)


def build_validator(settings: Settings, trust: TrustAnchors, policy: Policy | None,
                    fetchers: ResilientFetcherBackend | None = None) -> PdfValidator:
    """The PDF validator, reports stamped with ``policy``'s hash and version (if any; a
    placeholder policy without a hash stamps only its version); ``fetchers``: the
    service's revocation fetching (cached until nextUpdate)."""
    return PdfValidator(trust, policy_sha256=(policy.sha256 or None) if policy else None,
                        policy_version=policy.version if policy else None,
                        allow_fetching=settings.trust.allow_fetching,
                        revocation_mode=settings.trust.revocation,
                        fetcher_backend=fetchers)


@dataclass(frozen=True)
class SigningParts:
    """What signing, verification, sessions, reports and checkpoints share."""

    trust: TrustAnchors
    clock: ClockMonitor
    timestamper: TimeStamper | None          # None: no TSA configured (B-B only)
    ltv: LtvBuilder                          # revocation material, document time-stamps
    pades: PadesSigner
    validator: PdfValidator
    close: Callable[[], None]                # the revocation cache, the TSA's sessions


def build_signing_parts(settings: Settings, trust: TrustAnchors, policy: Policy) -> SigningParts:
    """The TSA client (failover, retries), revocation fetching with its cache, the PAdES
    signer with its fallbacks and visible-signature text extraction, and the validator."""
    ts, rev = settings.timestamp, settings.revocation
    cache = stores.revocation_cache(settings)
    fetchers = ResilientFetcherBackend(cache, timeout_seconds=rev.timeout_seconds,
                                       retries=rev.retries, backoff_seconds=rev.backoff_seconds)
    timestamper = make_timestamper(ts.urls, ts.timeout_seconds, retries=ts.retries,
                                   backoff_seconds=ts.backoff_seconds,
                                   max_clock_skew_seconds=ts.max_clock_skew_seconds,
                                   trust_roots=trust.anchors, intermediates=trust.intermediates)
    lt_contexts = validation_context_factory(trust.anchors, trust.intermediates, fetchers)
    clock = ClockMonitor()
    pades = PadesSigner(timestamper, lt_contexts, clock=clock,
                        fallback=Fallback(timestamp=ts.on_unavailable, revocation=rev.on_unavailable),
                        appearance=settings.appearance, page_words=pdftotext_words)
    return SigningParts(trust=trust, clock=clock, timestamper=timestamper,
                        ltv=LtvBuilder(timestamper, lt_contexts), pades=pades,
                        validator=build_validator(settings, trust, policy, fetchers),
                        close=lambda: _close(cache.close if cache is not None else None,
                                             timestamper))


def _close(close_cache: Callable[[], None] | None, timestamper: TimeStamper | None) -> None:
    """Release the revocation cache's connection and the TSA client's kept sessions."""
    if close_cache is not None:
        close_cache()
    if isinstance(timestamper, CheckedTimeStamper):
        timestamper.close()


def build_extend(settings: Settings, parts: SigningParts, audit: AuditService) -> ExtendService:
    """B-LT / B-LTA upgrades of signed documents (``/v1/extend``, ``signsvc extend``)."""
    return ExtendService(parts.ltv, audit, timeout_seconds=settings.service.signing_timeout_seconds)
