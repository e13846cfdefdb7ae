"""Who signed: an asn1crypto certificate turned into a ``SignerInfo`` (VAL-6 fields)."""

from __future__ import annotations

import functools

from asn1crypto import x509
from cryptography import x509 as cx509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

from .report import ChainCertificate, SignerInfo


def _attributes(name: x509.Name, attr: str) -> list[str]:
    values = []
    for rdn in name.chosen:
        for type_and_value in rdn:
            if type_and_value["type"].native == attr:
                values.append(str(type_and_value["value"].native))
    return values


def _joined(name: x509.Name, attr: str) -> str | None:
    values = _attributes(name, attr)
    return ", ".join(values) if values else None


def _names(cert: x509.Certificate) -> tuple[str, str]:
    """Subject and issuer as RFC 4514 strings (``CN=…,O=…,C=VN``), asn1crypto's wording
    when cryptography cannot parse the certificate."""
    return _names_of(cert.dump())


@functools.lru_cache(maxsize=4096)
def _names_of(der: bytes) -> tuple[str, str]:
    """``_names`` of the certificate encoded as ``der``, memoised: a pure function of the
    encoding, and the same signer/CA certificates come back in every verification (a new
    cryptography parse per certificate per call was 2.6% of a worker's samples)."""
    try:
        parsed = cx509.load_der_x509_certificate(der)
        return parsed.subject.rfc4514_string(), parsed.issuer.rfc4514_string()
    except ValueError:
        cert = x509.Certificate.load(der)
        return cert.subject.human_friendly, cert.issuer.human_friendly


_EDWARDS_BITS = {"ed25519": 256, "ed448": 456}


def _key_size(public_key) -> int | None:
    """Bits of the key (the curve's size for ECDSA, RFC 8032 sizes for EdDSA, whose key
    asn1crypto cannot size);
    ``None`` when unknown. Never raises."""
    if public_key.algorithm in _EDWARDS_BITS:
        return _EDWARDS_BITS[public_key.algorithm]
    if public_key.algorithm == "ec":  # asn1crypto rounds to whole bytes (P-521 -> 528)
        try:
            key = load_der_public_key(public_key.dump())
            if isinstance(key, ec.EllipticCurvePublicKey):
                return key.curve.key_size
        except Exception:  # a curve cryptography does not know: asn1crypto's figure below
            pass
    try:
        return public_key.bit_size
    except Exception:  # asn1crypto fails in odd ways on unusual keys (UnboundLocalError, ...)
        return None


def signer_info(cert: x509.Certificate) -> SignerInfo:
    """The facts a report shows about ``cert``: names (CN, O, OU, UID such as ``CMND:``/
    ``CCCD:``/``MST:``), serial in hex, SHA-256, validity period and key; never raises for
    an unusual but parseable certificate."""
    subject = cert.subject
    public_key = cert.public_key
    key_size = _key_size(public_key)
    subject_str, issuer_str = _names(cert)
    return SignerInfo(
        subject=subject_str,
        common_name=_joined(subject, "common_name"),
        serial=format(cert.serial_number, "x"),
        issuer=issuer_str,
        certificate_sha256=cert.sha256.hex(),
        organization=_joined(subject, "organization_name"),
        organizational_unit=_joined(subject, "organizational_unit_name"),
        uid=tuple(_attributes(subject, "user_id")),
        issuer_common_name=_joined(cert.issuer, "common_name"),
        not_before=cert.not_valid_before,
        not_after=cert.not_valid_after,
        key_algorithm=public_key.algorithm,
        key_size=key_size,
    )


def common_name(cert: x509.Certificate) -> str | None:
    """The subject CN (several joined by ", "), or the whole subject when there is none."""
    return _joined(cert.subject, "common_name") or cert.subject.human_friendly


def chain_certificate(cert: x509.Certificate, *, is_trust_anchor: bool, revocation: str) -> ChainCertificate:
    """``cert`` as one element of a reported certification path; never raises for a
    parseable certificate."""
    subject_str, issuer_str = _names(cert)
    return ChainCertificate(
        subject=subject_str, common_name=_joined(cert.subject, "common_name"), issuer=issuer_str,
        serial=format(cert.serial_number, "x"), sha256=cert.sha256.hex(),
        not_before=cert.not_valid_before, not_after=cert.not_valid_after,
        is_trust_anchor=is_trust_anchor, revocation=revocation)
