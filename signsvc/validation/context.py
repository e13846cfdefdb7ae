"""Validation contexts: one fresh pyHanko/certvalidator context per signature check.

A context accumulates state (certificates embedded in the signature, fetched OCSP
responses and CRLs), so it is never shared between signatures or requests. What can be
shared is built once in ``TrustSetup``: the trust manager over the anchors and the
configured intermediates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from asn1crypto import x509
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers import FetcherBackend
from pyhanko_certvalidator.registry import SimpleTrustManager

from signsvc.errors import ConfigError, Message

from .evidence import Evidence
from .trust import TrustAnchors

REVOCATION_MODES = ("hard-fail", "soft-fail")

SIGNER_KEY_USAGE = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"},
                                       match_all_key_usages=False)
"""A signer's certificate must allow digitalSignature or nonRepudiation (pyHanko's own
default demands nonRepudiation, which some Vietnamese CAs do not set)."""


@dataclass(frozen=True)
class TrustSetup:
    """The reusable, read-only part of every validation context."""

    trust_manager: SimpleTrustManager
    intermediates: tuple[x509.Certificate, ...]
    allow_fetching: bool
    revocation_mode: str

    @classmethod
    def build(cls, trust: TrustAnchors, *, allow_fetching: bool, revocation_mode: str) -> TrustSetup:
        """Raises ``ConfigError`` for an unknown revocation mode or an empty trust store
        (certvalidator would fall back to the operating system's roots)."""
        if revocation_mode not in REVOCATION_MODES:
            raise ConfigError(Message(
                f"Chế độ kiểm tra thu hồi '{revocation_mode}' không hợp lệ (hard-fail hoặc soft-fail).",
                f"Revocation mode '{revocation_mode}' is not valid (hard-fail or soft-fail)."))
        if not trust.anchors:
            raise ConfigError(Message("Kho tin cậy không có chứng thư gốc nào.",
                                      "The trust store has no trust anchor."))
        return cls(trust_manager=SimpleTrustManager.build(trust_roots=list(trust.anchors)),
                   intermediates=tuple(trust.intermediates), allow_fetching=allow_fetching,
                   revocation_mode=revocation_mode)

    def context(self, evidence: Evidence, backend: FetcherBackend | None,
                moment: datetime | None = None) -> ValidationContext:
        """A fresh context over ``evidence``; with ``moment``, a point-in-time context
        that accepts revocation data issued later (``retroactive_revinfo``), used to check
        a certificate at the time a trusted timestamp proves."""
        fetching = self.allow_fetching and backend is not None
        return ValidationContext(
            trust_manager=self.trust_manager,
            other_certs=[*self.intermediates, *evidence.certs],
            crls=list(evidence.crls),
            ocsps=list(evidence.ocsps),
            allow_fetching=fetching,
            fetcher_backend=backend if fetching else None,
            revocation_mode=self.revocation_mode,
            moment=moment,
            retroactive_revinfo=moment is not None,
        )
