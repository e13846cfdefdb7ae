"""The certification path of a signer or a TSA, as the report lists it (signer first).

When pyHanko built a path (``status.validation_path``: a trusted one, or the one that
failed for revocation, expiry or a weak algorithm) the report lists exactly that path,
its anchor marked, and says per certificate what the revocation data held by the
validation context says about it. When pyHanko found no path to a trust anchor, the
report lists what can be built from the certificates at hand (those in the CMS, the
configured intermediates, the DSS, the anchors): each link's issuer must have signed it
(checked with ``cryptography``); the list then ends at the first certificate whose
issuer is not among them, and nothing in it is said to be checked for revocation.

Bounded: at most ``MAX_CHAIN_LENGTH`` certificates; at most ``MAX_ISSUER_TRIES``
candidate issuers are tried per link. Never raises for parseable certificates.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms, crl, ocsp, x509
from cryptography import x509 as cx509
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.registry import SimpleTrustManager, TrustManager

from . import certinfo, revocation
from .report import MAX_CHAIN_LENGTH, ChainCertificate

logger = logging.getLogger(__name__)

MAX_ISSUER_TRIES = 8


@dataclass(frozen=True)
class RevocationData:
    """The OCSP responses and CRLs a validation context ended up holding, and the moment
    the path was checked at."""

    ocsps: Sequence[ocsp.OCSPResponse] = ()
    crls: Sequence[crl.CertificateList] = ()
    moment: datetime | None = None
    allow_fetching: bool = False

    @classmethod
    def of(cls, vc: ValidationContext, *, allow_fetching: bool) -> RevocationData:
        return cls(ocsps=tuple(vc.ocsps), crls=tuple(vc.crls), moment=vc.moment,
                   allow_fetching=allow_fetching)


def _revoked_by(when: datetime | None, moment: datetime | None) -> str:
    """``revoked`` if the revocation is dated at or before ``moment`` (or either is unknown), else ``good``."""
    if when is None or moment is None:
        return "revoked"
    return "revoked" if when <= moment else "good"


def _ocsp_state(cert: x509.Certificate, response: ocsp.OCSPResponse, moment: datetime | None) -> str | None:
    """What a successful OCSP response says about ``cert`` (``good``/``revoked``), else ``None``."""
    try:
        if response["response_status"].native != "successful":
            return None
        for single in response.basic_ocsp_response["tbs_response_data"]["responses"]:
            cert_id = single["cert_id"]
            if cert_id["serial_number"].native != cert.serial_number:
                continue
            algo = cert_id["hash_algorithm"]["algorithm"].native
            if hashlib.new(algo, cert.issuer.dump()).digest() != cert_id["issuer_name_hash"].native:
                continue
            status = single["cert_status"]
            if status.name == "good":
                return "good"
            if status.name == "revoked":
                return _revoked_by(status.chosen["revocation_time"].native, moment)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return None


def _crl_state(cert: x509.Certificate, certificate_list: crl.CertificateList,
               moment: datetime | None) -> str | None:
    """What a CRL of ``cert``'s issuer says about it (``good``/``revoked``), else ``None``."""
    if not revocation.crl_covers(cert, certificate_list):
        return None
    try:  # cryptography's lookup: asn1crypto takes seconds over a CRL of 100 000 entries
        entry = cx509.load_der_x509_crl(certificate_list.dump()).get_revoked_certificate_by_serial_number(
            cert.serial_number)
    except (ValueError, TypeError):
        return None
    return "good" if entry is None else _revoked_by(entry.revocation_date_utc, moment)


def certificate_revocation(cert: x509.Certificate, data: RevocationData) -> str:
    """``revoked`` if some response or CRL says so (as of ``data.moment``), ``good`` if some
    says good and none revoked; otherwise ``unknown`` for a certificate that names a
    revocation source (``not_checked`` when fetching was not allowed) and ``not_checked``
    for one that names none."""
    found = {_ocsp_state(cert, r, data.moment) for r in data.ocsps}
    found |= {_crl_state(cert, c, data.moment) for c in data.crls}
    if "revoked" in found:
        return "revoked"
    if "good" in found:
        return "good"
    if revocation.declares_revinfo(cert):
        return "unknown" if data.allow_fetching else "not_checked"
    return "not_checked"


def from_path(path: ValidationPath, data: RevocationData, *,
              leaf_revoked: bool = False) -> tuple[ChainCertificate, ...]:
    """The path pyHanko built, signer first, its anchor marked (when the anchor is a
    certificate). ``leaf_revoked``: pyHanko found the signer's certificate revoked."""
    anchor = getattr(path.trust_anchor.authority, "certificate", None)
    certs = list(path.iter_certs(include_root=True))[::-1][:MAX_CHAIN_LENGTH]
    leaf = certs[0] if certs else None
    out = []
    for cert in certs:
        is_anchor = anchor is not None and cert == anchor
        if is_anchor:
            state = "not_checked"
        elif leaf_revoked and cert is leaf:
            state = "revoked"
        else:
            state = certificate_revocation(cert, data)
        out.append(certinfo.chain_certificate(cert, is_trust_anchor=is_anchor, revocation=state))
    return tuple(out)


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    """Whether ``parent``'s key signed ``child`` (names match and the signature verifies)."""
    if child.issuer != parent.subject:
        return False
    try:
        cx509.load_der_x509_certificate(child.dump()).verify_directly_issued_by(
            cx509.load_der_x509_certificate(parent.dump()))
        return True
    except Exception:  # unsupported key or algorithm, bad signature, unparseable: no link
        return False


def built(leaf: x509.Certificate, candidates: Iterable[x509.Certificate],
          trust_manager: TrustManager) -> tuple[ChainCertificate, ...]:
    """What can be built up from ``leaf`` when pyHanko found no path: issuers found among
    ``candidates`` and the anchors, each link verified; stops at a trust anchor, a
    self-issued certificate, a missing issuer or ``MAX_CHAIN_LENGTH``. No revocation
    check is claimed (``not_checked``)."""
    by_subject: dict[bytes, list[x509.Certificate]] = {}
    # the anchors (pyHanko's validation contexts hold a SimpleTrustManager)
    anchors = trust_manager.iter_certs() if isinstance(trust_manager, SimpleTrustManager) else ()
    for cert in [*candidates, *anchors]:
        by_subject.setdefault(cert.subject.dump(), []).append(cert)
    chain = [leaf]
    while len(chain) < MAX_CHAIN_LENGTH:
        current = chain[-1]
        if trust_manager.is_root(current) or current.subject == current.issuer:
            break
        tried = [c for c in by_subject.get(current.issuer.dump(), []) if c not in chain][:MAX_ISSUER_TRIES]
        parent = next((c for c in tried if _issued_by(current, c)), None)
        if parent is None:
            break
        chain.append(parent)
    return tuple(certinfo.chain_certificate(c, is_trust_anchor=trust_manager.is_root(c), revocation="not_checked")
                 for c in chain)


def cms_certificates(signed_data: cms.SignedData | None) -> list[x509.Certificate]:
    """The X.509 certificates carried in a CMS SignedData (none when unreadable)."""
    try:
        found = signed_data["certificates"] if signed_data is not None else None
        return [c.chosen for c in found if c.name == "certificate"] if found else []
    except (ValueError, KeyError, TypeError):
        return []


def chain_of(cert: x509.Certificate | None, path: ValidationPath | None, data: RevocationData, *,
             candidates: Iterable[x509.Certificate], trust_manager: TrustManager,
             leaf_revoked: bool = False) -> tuple[ChainCertificate, ...]:
    """The reported chain of ``cert``: pyHanko's ``path`` when there is one, else what
    ``built`` finds; empty without a certificate. Never raises: a failure leaves the
    signer's certificate alone in the list."""
    if cert is None:
        return ()
    try:
        if path is not None:
            return from_path(path, data, leaf_revoked=leaf_revoked)
        return built(cert, candidates, trust_manager)
    except Exception as exc:  # an odd certificate must not cost the report
        logger.info("chain of a certificate (serial %s) not described: %s", _serial(cert), exc)
        try:
            return (certinfo.chain_certificate(cert, is_trust_anchor=False, revocation="not_checked"),)
        except Exception:
            return ()


def _serial(cert: x509.Certificate) -> str:
    try:
        return format(cert.serial_number, "x")
    except Exception:  # an unparseable certificate: logging must not fail
        return "?"


def timestamp_token_certificates(signer_info: cms.SignerInfo | None) -> list[x509.Certificate]:
    """The certificates carried in the signature timestamp token(s) of ``signer_info``."""
    found: list[x509.Certificate] = []
    try:
        attrs = signer_info["unsigned_attrs"] if signer_info is not None else None
        for attr in attrs if attrs else ():
            if attr["type"].native == "signature_time_stamp_token":
                for token in attr["values"]:
                    found += cms_certificates(token["content"])
    except (ValueError, KeyError, TypeError):
        pass
    return found
