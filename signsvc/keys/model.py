"""What a signing key is, to the rest of signsvc."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from asn1crypto import x509


@dataclass(frozen=True)
class CertificateInfo:
    """Client-safe facts about a certificate."""

    subject: str
    common_name: str
    issuer: str
    serial: str              # hex, upper case
    not_before: datetime
    not_after: datetime
    sha256: str

    @classmethod
    def of(cls, cert: x509.Certificate) -> CertificateInfo:
        subj = cert.subject.native
        return cls(
            subject=cert.subject.human_friendly,
            common_name=str(subj.get("common_name", "")),
            issuer=cert.issuer.human_friendly,
            serial=format(cert.serial_number, "X"),
            not_before=cert.not_valid_before,
            not_after=cert.not_valid_after,
            sha256=hashlib.sha256(cert.dump()).hexdigest(),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject, "common_name": self.common_name, "issuer": self.issuer,
            "serial": self.serial, "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(), "sha256": self.sha256,
        }


@dataclass(frozen=True)
class KeyInfo:
    """What ``GET /v1/keys`` shows about a key. No module path, label or PIN."""

    id: str
    backend: str            # "pkcs11" | "software"
    algorithm: str          # "rsa" | "ecdsa"
    key_size: int
    kind: str
    description: str
    certificate: CertificateInfo
    rsa_padding: str = "pss"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "backend": self.backend, "algorithm": self.algorithm,
            "key_size": self.key_size, "kind": self.kind, "description": self.description,
            "key_protection": "hardware" if self.backend == "pkcs11" else "software",
            "certificate": self.certificate.as_dict(),
        }


class CertifiedKey(Protocol):
    """What the policy sees of a key: its description, certificate and chain (a service
    key, or an official's token key known only by its certificate). Read-only."""

    @property
    def info(self) -> KeyInfo: ...

    @property
    def certificate(self) -> x509.Certificate: ...

    @property
    def chain(self) -> tuple[x509.Certificate, ...]: ...


class SigningKey(CertifiedKey, Protocol):
    """A key opened once at start-up and reused for every request.

    ``signer`` is a pyHanko ``Signer`` that is safe to use from several threads at once.
    ``raw_signature_size`` is the largest raw signature the key can produce (bytes), used
    to reserve room in the PDF without signing twice.
    """

    raw_signature_size: int

    @property
    def signer(self) -> Any: ...

    def check(self) -> None:
        """Raise ``TokenUnavailable`` if the key cannot be used right now."""

    def close(self) -> None: ...


def describe_public_key(cert: x509.Certificate) -> tuple[str, int, int]:
    """(algorithm, key size in bits, maximum raw signature size in bytes) of a certificate."""
    pk = cert.public_key
    algo = pk.algorithm
    bits = pk.bit_size
    if algo == "rsa":
        return "rsa", bits, (bits + 7) // 8
    if algo == "ec":
        n = (bits + 7) // 8
        # DER ECDSA-Sig-Value: SEQUENCE { INTEGER r, INTEGER s }, each up to n+1 bytes + header
        body = 2 * (n + 1 + 2)
        return "ecdsa", bits, body + (2 if body < 128 else 3)
    return algo, bits, 1024
