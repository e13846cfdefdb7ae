"""What is known about revocation after pyHanko checked a chain.

pyHanko reports a revocation only when it found one; it does not say whether a good
status was actually established. This module looks at the OCSP responses and CRLs the
validation context ended up holding (embedded, from the DSS, or fetched) and decides:
``revoked``, ``good``, ``unknown`` (a check was needed but could not be made) or
``not_checked`` (no check was made: no chain, or nothing embedded and fetching disabled).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from asn1crypto import crl, ocsp, x509


@dataclass(frozen=True)
class RevocationFacts:
    """``state`` for the report; ``missing`` is true when a certificate that declares
    revocation sources has no usable OCSP response or CRL (the likely cause of a chain
    failure)."""

    state: str
    missing: bool


def declares_revinfo(cert: x509.Certificate) -> bool:
    """Whether ``cert`` names an OCSP responder (AIA) or a CRL distribution point."""
    aia = cert.authority_information_access_value
    has_ocsp = aia is not None and any(d["access_method"].native == "ocsp" for d in aia)
    return has_ocsp or cert.crl_distribution_points_value is not None


def ocsp_covers(cert: x509.Certificate, response: ocsp.OCSPResponse) -> bool:
    """Whether ``response`` is a successful OCSP response that knows ``cert`` (good or revoked)."""
    try:
        if response["response_status"].native != "successful":
            return False
        basic = response.basic_ocsp_response
        for single in basic["tbs_response_data"]["responses"]:
            cert_id = single["cert_id"]
            if cert_id["serial_number"].native != cert.serial_number:
                continue
            if single["cert_status"].name not in ("good", "revoked"):
                continue
            algo = cert_id["hash_algorithm"]["algorithm"].native
            issuer_hash = hashlib.new(algo, cert.issuer.dump()).digest()
            if issuer_hash == cert_id["issuer_name_hash"].native:
                return True
    except (ValueError, KeyError, TypeError, AttributeError):
        return False
    return False


def crl_covers(cert: x509.Certificate, certificate_list: crl.CertificateList) -> bool:
    """Whether ``certificate_list`` was issued by ``cert``'s issuer (so it speaks about it)."""
    try:
        return certificate_list.issuer == cert.issuer
    except (ValueError, KeyError, TypeError):
        return False


def has_evidence(cert: x509.Certificate, ocsps: Sequence[ocsp.OCSPResponse],
                 crls: Sequence[crl.CertificateList]) -> bool:
    """Whether some OCSP response or CRL among these speaks about ``cert``."""
    return any(ocsp_covers(cert, r) for r in ocsps) or any(crl_covers(cert, c) for c in crls)


def assess(*, revoked: bool, chain: Iterable[x509.Certificate] | None, leaf: x509.Certificate,
           ocsps: Sequence[ocsp.OCSPResponse], crls: Sequence[crl.CertificateList],
           soft_failures: int, allow_fetching: bool) -> RevocationFacts:
    """Decide the revocation state of ``leaf``.

    ``chain`` is the validation path without its anchor (``None`` when no path was
    built); ``soft_failures`` counts the fetch errors certvalidator tolerated in
    soft-fail mode. ``good`` requires revocation data about the signer's certificate and
    about every CA in the path that declares a source, and no tolerated failure.
    """
    if revoked:
        return RevocationFacts("revoked", missing=False)
    if chain is None:
        return RevocationFacts("not_checked", missing=False)
    certs = list(chain) or [leaf]
    missing = any(declares_revinfo(c) and not has_evidence(c, ocsps, crls) for c in certs)
    leaf_known = has_evidence(leaf, ocsps, crls)
    if leaf_known and not missing and not soft_failures:
        return RevocationFacts("good", missing=False)
    if not allow_fetching and not soft_failures:
        return RevocationFacts("not_checked", missing=missing or not leaf_known)
    return RevocationFacts("unknown", missing=missing or not leaf_known or bool(soft_failures))
