"""Sign and check audit checkpoints with pyHanko: CMS (CAdES, detached) and RFC 3161.

A checkpoint's payload (``signsvc.audit.checkpoints.Checkpoint.payload``) gets

- a detached CMS ``SignedData`` made with the audit key's pyHanko ``Signer``
  (``signing-certificate-v2``, ``signing-time``, the key's certificate and chain
  embedded), verifiable by any CMS tool:
  ``openssl cms -verify -binary -inform DER -in sig.p7s -content payload.json -CAfile root.pem``;
- an RFC 3161 time-stamp token whose message imprint is SHA-256 of the same payload:
  ``openssl ts -verify -data payload.json -in token.tst -token_in -CAfile root.pem``.

``CheckpointChecker`` checks both offline: no fetching, trust only in the anchors it is
given, the signer's certificate checked at the time the TSA vouches for. Revocation is
not checked (an offline verifier has no OCSP); the report says so.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterable, Sequence
from datetime import UTC
from typing import Any

from asn1crypto import cms, x509
from cryptography.hazmat.primitives import hashes
from pyhanko.sign.validation.generic_cms import (
    async_validate_detached_cms,
    validate_tst_signed_data,
)
from pyhanko.sign.validation.status import TimestampSignatureStatus
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from signsvc.audit.checkpoints import SignatureCheck
from signsvc.audit.events import format_time

log = logging.getLogger(__name__)


class CheckpointSigner:
    """Signs payloads with one configured key and time-stamps them with the TSA."""

    def __init__(self, key: Any, timestamper: Any) -> None:
        if timestamper is None:
            raise ValueError("audit checkpoints need a TSA ([timestamp] urls)")
        self._key = key
        self._timestamper = timestamper
        self.key_id: str = key.info.id
        self.certificate_sha256: str = key.info.certificate.sha256

    def certificates(self) -> tuple[x509.Certificate, ...]:
        """The audit key's certificate and chain (for exports)."""
        return (self._key.certificate, *tuple(self._key.chain))

    def sign(self, payload: bytes) -> tuple[bytes, bytes]:
        """``(cms_signature_der, timestamp_token_der)`` over ``payload``; raises on failure."""
        async def run() -> tuple[bytes, bytes]:
            signed = await self._key.signer.async_sign_general_data(
                payload, "sha256", detached=True, use_cades=True)
            token = await self._timestamper.async_timestamp(
                hashlib.sha256(payload).digest(), "sha256")
            return signed.dump(), token.dump()
        return asyncio.run(run())


def _digest(data: bytes, algorithm: str) -> bytes:
    h = hashes.Hash(get_pyca_cryptography_hash(algorithm))
    h.update(data)
    return h.finalize()


def _signed_data(der: bytes, what: str) -> cms.SignedData:
    info = cms.ContentInfo.load(der)
    if info["content_type"].native != "signed_data":
        raise ValueError(f"the {what} is not a CMS SignedData")
    content = info["content"]
    _ = content.native  # parse everything now: damage is reported here, not half-way
    return content


class CheckpointChecker:
    """``CheckpointSignatureChecker`` over the given trust anchors, without any network.

    ``other_certs`` are helpers for building paths (intermediates, the certificates an
    export carries); they grant no trust.
    """

    def __init__(self, trust_roots: Iterable[x509.Certificate],
                 other_certs: Iterable[x509.Certificate] = ()) -> None:
        self._roots = tuple(trust_roots)
        self._others = tuple(other_certs)
        if not self._roots:
            raise ValueError("checking checkpoints needs at least one trust anchor")

    def _context(self, moment=None) -> ValidationContext:
        return ValidationContext(trust_roots=self._roots, other_certs=self._others,
                                 allow_fetching=False, revocation_mode="soft-fail",
                                 moment=moment)

    def __call__(self, payload: bytes, signature: bytes, timestamp_token: bytes) -> SignatureCheck:
        try:
            return asyncio.run(self._check(payload, signature, timestamp_token))
        except Exception as exc:  # every library failure is a failed check, never a crash
            log.debug("checkpoint check failed", exc_info=True)
            return SignatureCheck(False, f"cannot be checked: {type(exc).__name__}: {exc}"[:300])

    async def _check(self, payload: bytes, signature: bytes, token: bytes) -> SignatureCheck:
        try:
            tst = _signed_data(token, "time-stamp token")
        except ValueError as exc:
            return SignatureCheck(False, f"the time-stamp token is unreadable: {exc}"[:300])
        try:
            sd = _signed_data(signature, "signature")
        except ValueError as exc:
            return SignatureCheck(False, f"the signature is unreadable: {exc}"[:300])
        ts_kwargs = await validate_tst_signed_data(tst, self._context(),
                                                   lambda algo: _digest(payload, algo))
        ts = TimestampSignatureStatus(**ts_kwargs)
        tsa = ts.signing_cert.subject.human_friendly if ts.signing_cert else None
        ts_time = format_time(ts.timestamp.astimezone(UTC))
        if not ts.intact:
            return SignatureCheck(False, "the time-stamp token does not cover this checkpoint",
                                  timestamp_time=ts_time, tsa_subject=tsa)
        if not ts.valid:
            return SignatureCheck(False, "the time-stamp token's signature is not valid",
                                  timestamp_time=ts_time, tsa_subject=tsa)
        if not ts.trusted:
            return SignatureCheck(False, "the TSA does not chain to a trust anchor "
                                  f"({ts.trust_problem_indic})", timestamp_time=ts_time,
                                  tsa_subject=tsa)
        status = await async_validate_detached_cms(
            payload, sd, signer_validation_context=self._context(moment=ts.timestamp))
        cert = status.signing_cert
        subject = cert.subject.human_friendly if cert is not None else None
        cert_sha = hashlib.sha256(cert.dump()).hexdigest() if cert is not None else None
        common = dict(signer_subject=subject, signer_certificate_sha256=cert_sha,
                      timestamp_time=ts_time, tsa_subject=tsa)
        if not status.intact:
            return SignatureCheck(False, "the signature does not cover this checkpoint "
                                  "(the checkpoint or its signature was altered)", **common)
        if not status.valid:
            return SignatureCheck(False, "the signature value is not valid "
                                  "(the checkpoint or its signature was altered)", **common)
        if not status.trusted:
            return SignatureCheck(False, "the signer does not chain to a trust anchor at the "
                                  f"time-stamp's time ({status.trust_problem_indic})", **common)
        return SignatureCheck(True, None, **common)


def certificates_of(ders: Sequence[bytes]) -> list[x509.Certificate]:
    """Parse DER certificates (for an export's certificate list); skips unreadable ones."""
    out = []
    for der in ders:
        try:
            cert = x509.Certificate.load(der)
            _ = cert.native
        except ValueError:
            continue
        out.append(cert)
    return out
