"""Which algorithms a CMS signer used, whether signsvc can check them, and VAL-5 warnings.

RSA-PSS is accepted only with consistent parameters (RFC 4055/4056): the PSS hash is the
SignerInfo's digest algorithm, MGF1 uses that same hash, the trailer field is 1 and the
salt length fits the key. Anything else is reported, before any cryptography, as a
signature signsvc cannot check (INDETERMINATE), never as a forgery.
"""

from __future__ import annotations

from asn1crypto import cms, x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from signsvc.errors import Message

from . import messages
from .report import AlgorithmInfo

SUPPORTED_SIGNATURE = frozenset({"rsassa_pkcs1v15", "rsassa_pss", "ecdsa", "dsa", "ed25519", "ed448"})
SUPPORTED_DIGEST = frozenset({"sha1", "sha224", "sha256", "sha384", "sha512", "sha512_224",
                              "sha512_256", "sha3_224", "sha3_256", "sha3_384", "sha3_512",
                              "shake256", "shake256_len", "md5"})
WEAK_DIGESTS = frozenset({"md2", "md5", "sha1"})
MIN_RSA_BITS = 2048
_PADDING = {"rsassa_pkcs1v15": "PKCS#1 v1.5", "rsassa_pss": "PSS"}
KNOWN_OIDS = {  # algorithms met in the wild that asn1crypto/pyHanko cannot verify
    "1.2.643.7.1.1.3.2": "GOST R 34.10-2012 256 bit",
    "1.2.643.7.1.1.3.3": "GOST R 34.10-2012 512 bit",
    "1.2.643.2.2.3": "GOST R 34.10-2001",
    "1.2.156.10197.1.501": "SM2 with SM3",
    "2.16.840.1.101.3.4.3.13": "RSASSA-PKCS1-v1_5 with SHA3-224",
    "2.16.840.1.101.3.4.3.14": "RSASSA-PKCS1-v1_5 with SHA3-256",
    "2.16.840.1.101.3.4.3.15": "RSASSA-PKCS1-v1_5 with SHA3-384",
    "2.16.840.1.101.3.4.3.16": "RSASSA-PKCS1-v1_5 with SHA3-512",
    "1.2.156.10197.1.401": "SM3",
    "1.2.643.7.1.1.2.2": "GOST R 34.11-2012 (Streebog-256)",
}
_PSS_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
               "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
               "sha384": hashes.SHA384, "sha512": hashes.SHA512, "sha3_224": hashes.SHA3_224,
               "sha3_256": hashes.SHA3_256, "sha3_384": hashes.SHA3_384, "sha3_512": hashes.SHA3_512}


def algorithm_name(value: str) -> str:
    """``value`` (an asn1crypto name or a dotted OID) with its common name when known:
    ``GOST R 34.10-2012 256 bit (1.2.643.7.1.1.3.2)``."""
    return f"{KNOWN_OIDS[value]} ({value})" if value in KNOWN_OIDS else value


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
        return algorithm_name(str(signer_info["signature_algorithm"]["algorithm"].native))
    digest = signer_info["digest_algorithm"]["algorithm"].native
    if digest not in SUPPORTED_DIGEST:
        return algorithm_name(str(digest))
    if family == "rsassa_pss":
        try:
            mgf = signer_info["signature_algorithm"]["parameters"]["mask_gen_algorithm"]["algorithm"].native
        except (KeyError, ValueError, TypeError):
            return "RSASSA-PSS (?)"
        if mgf != "mgf1":
            return f"RSASSA-PSS with mask generation {algorithm_name(str(mgf))}"
    return None


def _upper(name: str) -> str:
    return name.upper().replace("SHA3_", "SHA3-").replace("SHA", "SHA-").replace("SHA-3-", "SHA3-")


def _pss_parts(signer_info: cms.SignerInfo) -> tuple[str, str, int, str]:
    params = signer_info["signature_algorithm"]["parameters"]
    return (params["hash_algorithm"]["algorithm"].native,
            params["mask_gen_algorithm"]["parameters"]["algorithm"].native,
            params["salt_length"].native, params["trailer_field"].native)


def pss_inconsistency(signer_info: cms.SignerInfo, cert: x509.Certificate | None) -> Message | None:
    """Why the RSA-PSS parameters of ``signer_info`` are inconsistent, or ``None`` (also
    for any other mechanism). Call after ``unsupported`` returned ``None``."""
    if _signature_family(signer_info) != "rsassa_pss":
        return None
    try:
        pss_hash, mgf_hash, salt, trailer = _pss_parts(signer_info)
    except (KeyError, ValueError, TypeError):
        return messages.text("pss_unreadable")
    digest = signer_info["digest_algorithm"]["algorithm"].native
    if pss_hash != digest:
        return messages.text("pss_hash_mismatch", pss=_upper(pss_hash), digest=_upper(digest))
    if mgf_hash != pss_hash:
        return messages.text("pss_mgf_mismatch", mgf=_upper(mgf_hash), pss=_upper(pss_hash))
    if trailer != "trailer_field_bc":
        return messages.text("pss_trailer", trailer=str(trailer))
    if pss_hash not in _PSS_HASHES:
        return messages.text("unsupported_algorithm", algorithm=f"RSASSA-PSS with {pss_hash}")
    if cert is not None and cert.public_key.algorithm in ("rsa", "rsassa_pss"):
        bits = cert.public_key.bit_size
        room = (bits - 1 + 7) // 8 - _PSS_HASHES[pss_hash].digest_size - 2
        if not 0 <= salt <= room:
            return messages.text("pss_salt_impossible", salt=str(salt), bits=str(bits))
    return None


def pss_salt_used(signer_info: cms.SignerInfo, public_key) -> int | None:
    """The salt length that makes the PSS signature value of ``signer_info`` verify over its
    signed attributes (declared hash and MGF1), or ``None`` when none does (then it is
    really broken). Used when the declared salt length did not verify."""
    if not isinstance(public_key, rsa.RSAPublicKey) or not signer_info["signed_attrs"]:
        return None
    try:
        pss_hash, _, _, _ = _pss_parts(signer_info)
        algorithm = _PSS_HASHES[pss_hash]()
    except (KeyError, ValueError, TypeError):
        return None
    data = b"\x31" + signer_info["signed_attrs"].dump()[1:]  # signed as a SET, not [0]
    value = signer_info["signature"].native
    room = (public_key.key_size - 1 + 7) // 8 - algorithm.digest_size - 2
    for salt in range(max(room, -1) + 1):
        try:
            public_key.verify(value, data, padding.PSS(mgf=padding.MGF1(algorithm), salt_length=salt),
                              algorithm)
            return salt
        except (InvalidSignature, UnsupportedAlgorithm, ValueError):
            continue
    return None


def weaknesses(signer_info: cms.SignerInfo, cert: x509.Certificate | None) -> list[Message]:
    """VAL-5 warnings: a SHA-1/MD5 digest or an RSA key under 2048 bits."""
    digests = {signer_info["digest_algorithm"]["algorithm"].native, _signature_hash(signer_info)}
    return weak_messages(digests, cert)


def weak_messages(digests: set[str | None], cert: x509.Certificate | None) -> list[Message]:
    """VAL-5 warnings for these digest algorithms and the certificate's RSA key size."""
    found: list[Message] = []
    for weak in sorted(d for d in digests if d in WEAK_DIGESTS):
        found.append(messages.text("weak_digest", algorithm=weak.upper().replace("SHA", "SHA-")))
    if cert is not None and cert.public_key.algorithm == "rsa":
        bits = cert.public_key.bit_size
        if bits < MIN_RSA_BITS:
            found.append(messages.text("weak_rsa_key", bits=str(bits)))
    return found
