"""The legacy PDF signature formats pyHanko does not read: ``adbe.pkcs7.sha1`` and
``adbe.x509.rsa_sha1`` (ISO 32000-1 §12.8.3; deprecated in PDF 2.0).

``check_legacy`` verifies what can be verified without pyHanko's PDF layer: that the
byte range is well formed, that the signed digest equals the SHA-1 digest of the byte
range (``intact``) and that the signature value verifies with the signer's certificate
(``valid``). Both formats are SHA-1 by definition, so the caller reports them as
"weak algorithm" (VAL-5), never as passed. Never raises for a bad signature: an
unreadable one is a ``LegacyResult`` with ``problem``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from asn1crypto import algos, cms, core, x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key
from pyhanko.pdf_utils import generic
from pyhanko.sign.validation.generic_cms import validate_sig_integrity

from .report import AlgorithmInfo

PKCS7_SHA1 = "/adbe.pkcs7.sha1"
X509_RSA_SHA1 = "/adbe.x509.rsa_sha1"
SUBFILTERS = frozenset({PKCS7_SHA1, X509_RSA_SHA1})


@dataclass(frozen=True)
class LegacyResult:
    """``problem`` is set (and the rest is not meaningful) when the signature cannot be read;
    ``unsupported`` names a key type signsvc cannot check in this format."""

    intact: bool = False
    valid: bool = False
    cert: x509.Certificate | None = None
    algorithm: AlgorithmInfo | None = None
    full_file: bool = False
    problem: str | None = None
    unsupported: str | None = None
    value_broken: bool = False     # not a signature of this key at all (content state unknown)


def _byte_range_digest(sig: generic.DictionaryObject, data: bytes) -> tuple[bytes, bool]:
    """SHA-1 of the two signed ranges and whether they reach the end of the file; raises
    ``ValueError`` when /ByteRange does not surround /Contents exactly."""
    start1, len1, start2, len2 = (int(x) for x in sig["/ByteRange"])
    end = start2 + len2
    if start1 != 0 or len1 <= 0 or start2 <= len1 or len2 < 0 or end > len(data):
        raise ValueError("/ByteRange out of bounds")
    gap = data[len1:start2]
    if not (gap.startswith(b"<") and gap.endswith(b">")):
        raise ValueError("/ByteRange does not exclude exactly /Contents")
    digest = hashlib.sha1(data[:len1] + data[start2:end]).digest()
    return digest, not data[end:].strip(b" \t\r\n\x00\x0c")


def _contents(sig: generic.DictionaryObject) -> bytes:
    value = sig.raw_get("/Contents")
    if not isinstance(value, (generic.ByteStringObject, generic.TextStringObject)):
        raise ValueError("/Contents is not a string")
    return value.original_bytes


def _x509(sig: generic.DictionaryObject, digest: bytes) -> LegacyResult:
    certs = sig["/Cert"]
    first = certs[0] if isinstance(certs, generic.ArrayObject) else certs
    if not isinstance(first, (generic.ByteStringObject, generic.TextStringObject)):
        raise ValueError("/Cert is not a string")
    cert = x509.Certificate.load(first.original_bytes)
    value = core.OctetString.load(_contents(sig), strict=False).native
    algorithm = AlgorithmInfo(digest="sha1", signature="rsassa_pkcs1v15", padding="PKCS#1 v1.5")
    public_key = load_der_public_key(cert.public_key.dump())
    if not isinstance(public_key, rsa.RSAPublicKey):
        return LegacyResult(cert=cert, algorithm=algorithm,
                            unsupported=f"adbe.x509.rsa_sha1 / {cert.public_key.algorithm}")
    signed_digest = _pkcs1_digest(public_key, value)
    if signed_digest is None:
        return LegacyResult(intact=False, valid=False, cert=cert, algorithm=algorithm, value_broken=True)
    # the value is a genuine signature of the key: over this byte range, or over another content
    return LegacyResult(intact=signed_digest == digest, valid=True, cert=cert, algorithm=algorithm)


def _pkcs1_digest(public_key: rsa.RSAPublicKey, value: bytes) -> bytes | None:
    """The SHA-1 digest inside a PKCS#1 v1.5 signature value (EMSA-PKCS1-v1_5), or ``None``
    when ``value`` is not a well-formed SHA-1 signature of this key."""
    numbers = public_key.public_numbers()
    size = (public_key.key_size + 7) // 8
    number = int.from_bytes(value, "big")
    if len(value) != size or number >= numbers.n:
        return None
    encoded = pow(number, numbers.e, numbers.n).to_bytes(size, "big")
    if not encoded.startswith(b"\x00\x01"):
        return None
    end = encoded.find(b"\x00", 2)
    if end < 10 or encoded[2:end] != b"\xff" * (end - 2):
        return None
    try:
        info = algos.DigestInfo.load(encoded[end + 1:])
        if info["digest_algorithm"]["algorithm"].native != "sha1" or info.dump() != encoded[end + 1:]:
            return None
        return info["digest"].native
    except ValueError:
        return None


def _pkcs7(sig: generic.DictionaryObject, digest: bytes) -> LegacyResult:
    info = cms.ContentInfo.load(_contents(sig), strict=False)
    signed = info["content"]
    signer_info = signed["signer_infos"][0]
    sid = signer_info["sid"]
    cert = next((c.chosen for c in signed["certificates"] or ()
                 if sid.name == "issuer_and_serial_number"
                 and c.chosen.issuer == sid.chosen["issuer"]
                 and c.chosen.serial_number == sid.chosen["serial_number"].native), None)
    algorithm = AlgorithmInfo(digest=signer_info["digest_algorithm"]["algorithm"].native,
                              signature=signer_info["signature_algorithm"]["algorithm"].native,
                              padding="PKCS#1 v1.5" if signer_info["signature_algorithm"].signature_algo
                              == "rsassa_pkcs1v15" else None)
    if cert is None:
        raise ValueError("the signer's certificate is not in the CMS")
    content = signed["encap_content_info"]["content"].native
    if content != digest:
        return LegacyResult(intact=False, valid=False, cert=cert, algorithm=algorithm)
    md = hashlib.new(signer_info["digest_algorithm"]["algorithm"].native, content).digest()
    intact, valid = validate_sig_integrity(signer_info, cert, expected_content_type="data", actual_digest=md)
    return LegacyResult(intact=intact, valid=valid, cert=cert, algorithm=algorithm, value_broken=intact and not valid)


def check_legacy(sig: generic.DictionaryObject, data: bytes) -> LegacyResult:
    """Verify a legacy signature dictionary ``sig`` over the file ``data``."""
    subfilter = sig.get("/SubFilter")
    try:
        digest, full_file = _byte_range_digest(sig, data)
        result = _x509(sig, digest) if subfilter == X509_RSA_SHA1 else _pkcs7(sig, digest)
    except Exception as exc:  # the boundary: anything unreadable is a format failure
        return LegacyResult(problem=f"{type(exc).__name__}: {exc}"[:200])
    return LegacyResult(intact=result.intact, valid=result.valid, cert=result.cert,
                        algorithm=result.algorithm, full_file=full_file, unsupported=result.unsupported,
                        value_broken=result.value_broken)
