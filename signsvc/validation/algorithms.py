"""Which algorithms a CMS signer used, whether signsvc can check them, and VAL-5 warnings."""

from __future__ import annotations

from asn1crypto import cms, x509

from signsvc.errors import Message

from . import messages
from .report import AlgorithmInfo

SUPPORTED_SIGNATURE = frozenset({"rsassa_pkcs1v15", "rsassa_pss", "ecdsa", "dsa", "ed25519", "ed448"})
SUPPORTED_DIGEST = frozenset({"sha1", "sha224", "sha256", "sha384", "sha512", "sha512_224",
                              "sha512_256", "sha3_224", "sha3_256", "sha3_384", "sha3_512",
                              "shake256", "md5"})
WEAK_DIGESTS = frozenset({"md2", "md5", "sha1"})
MIN_RSA_BITS = 2048
_PADDING = {"rsassa_pkcs1v15": "PKCS#1 v1.5", "rsassa_pss": "PSS"}


def _signature_family(signer_info: cms.SignerInfo) -> str | None:
    try:
        return signer_info["signature_algorithm"].signature_algo
    except ValueError:
        return None


def _signature_hash(signer_info: cms.SignerInfo) -> str | None:
    try:
        return signer_info["signature_algorithm"].hash_algo
    except ValueError:
        return None


def describe(signer_info: cms.SignerInfo) -> AlgorithmInfo:
    """Digest, signature mechanism and padding as named by asn1crypto (dotted OID if unknown)."""
    family = _signature_family(signer_info)
    return AlgorithmInfo(
        digest=signer_info["digest_algorithm"]["algorithm"].native,
        signature=signer_info["signature_algorithm"]["algorithm"].native,
        padding=_PADDING.get(family or ""),
    )


def unsupported(signer_info: cms.SignerInfo) -> str | None:
    """The name of the first algorithm signsvc cannot verify, or ``None`` when all are supported.

    pyHanko would report such a signature as cryptographically invalid; signsvc reports it
    as INDETERMINATE instead, because nothing shows it is wrong.
    """
    family = _signature_family(signer_info)
    if family not in SUPPORTED_SIGNATURE:
        return str(signer_info["signature_algorithm"]["algorithm"].native)
    digest = signer_info["digest_algorithm"]["algorithm"].native
    if digest not in SUPPORTED_DIGEST:
        return str(digest)
    return None


def weaknesses(signer_info: cms.SignerInfo, cert: x509.Certificate | None) -> list[Message]:
    """VAL-5 warnings: a SHA-1/MD5 digest or an RSA key under 2048 bits."""
    found: list[Message] = []
    digests = {signer_info["digest_algorithm"]["algorithm"].native, _signature_hash(signer_info)}
    for weak in sorted(d for d in digests if d in WEAK_DIGESTS):
        found.append(messages.text("weak_digest", algorithm=weak.upper().replace("SHA", "SHA-")))
    if cert is not None and cert.public_key.algorithm == "rsa":
        bits = cert.public_key.bit_size
        if bits < MIN_RSA_BITS:
            found.append(messages.text("weak_rsa_key", bits=str(bits)))
    return found
