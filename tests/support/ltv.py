"""Checks for long-term signatures: what the DSS holds, and future validation with pyHanko."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import crl, ocsp, x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESPassed
from pyhanko.sign.validation.ades import simulate_future_ades_lta_validation
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.sign.validation.policy_decl import PdfSignatureValidationSpec, SignatureValidationSpec
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy, RevocationCheckingPolicy, RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleTrustManager

#: after the signer's (2030-01-01) and after the TSA's (2036-01-01) certificate expiry
AFTER_SIGNER_EXPIRY = datetime.fromisoformat("2031-06-01T00:00:00+00:00")
AFTER_TSA_EXPIRY = datetime.fromisoformat("2037-06-01T00:00:00+00:00")


@dataclass(frozen=True)
class Dss:
    certs: tuple[x509.Certificate, ...]
    ocsp_serials: frozenset[int]          # certificates an OCSP response covers
    crl_issuers: frozenset[str]           # CRLs, by issuer common name
    size: int                             # bytes of DSS streams

    def cert_cns(self) -> set[str]:
        return {c.subject.native.get("common_name", "") for c in self.certs}


def read_dss(data: bytes) -> Dss | None:
    reader = PdfFileReader(io.BytesIO(data))
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return None
    size = 0
    certs = []
    for ref in dss.certs.values():
        raw = ref.get_object().data
        size += len(raw)
        certs.append(x509.Certificate.load(raw))
    serials = set()
    for ref in dss.ocsps:
        raw = ref.get_object().data
        size += len(raw)
        resp = ocsp.OCSPResponse.load(raw)
        for single in resp.basic_ocsp_response["tbs_response_data"]["responses"]:
            assert single["cert_status"].name == "good"
            serials.add(single["cert_id"]["serial_number"].native)
    issuers = set()
    for ref in dss.crls:
        raw = ref.get_object().data
        size += len(raw)
        issuers.add(crl.CertificateList.load(raw).issuer.native["common_name"])
    return Dss(tuple(certs), frozenset(serials), frozenset(issuers), size)


def future_validation_passes(data: bytes, root: x509.Certificate, when: datetime,
                             index: int = 0) -> bool:
    """pyHanko's future-validation helper (ETSI LTA algorithm at ``when``, no fetching,
    revocation data required for every certificate): does signature ``index`` pass?"""
    return future_validation(data, root, when, index).ades_subindic is AdESPassed.OK


def future_validation(data: bytes, root: x509.Certificate, when: datetime, index: int = 0):
    """The full result of pyHanko's future-validation helper (see ``future_validation_passes``)."""
    reader = PdfFileReader(io.BytesIO(data))
    rule = RevocationCheckingRule.CRL_OR_OCSP_REQUIRED
    spec = PdfSignatureValidationSpec(SignatureValidationSpec(
        cert_validation_policy=CertValidationPolicySpec(
            trust_manager=SimpleTrustManager.build(trust_roots=[root]),
            revinfo_policy=CertRevTrustPolicy(RevocationCheckingPolicy(rule, rule),
                                              retroactive_revinfo=True))))
    return asyncio.run(simulate_future_ades_lta_validation(reader.embedded_regular_signatures[index],
                                                           spec, when))


def validates_from_dss_at(data: bytes, cert: x509.Certificate, root: x509.Certificate,
                          moment: datetime, eku: set[str] | None = None) -> bool:
    """Does ``cert`` validate at ``moment`` with nothing but the DSS of ``data`` (its
    certificates, OCSP responses and CRLs), no fetching, revocation data required?"""
    from pyhanko_certvalidator import CertificateValidator, ValidationContext

    reader = PdfFileReader(io.BytesIO(data))
    dss = DocumentSecurityStore.read_dss(reader)
    vc = ValidationContext(
        trust_roots=[root], other_certs=[x509.Certificate.load(r.get_object().data) for r in dss.certs.values()],
        ocsps=[ocsp.OCSPResponse.load(r.get_object().data) for r in dss.ocsps],
        crls=[crl.CertificateList.load(r.get_object().data) for r in dss.crls],
        allow_fetching=False, revocation_mode="hard-fail", moment=moment)
    try:
        asyncio.run(CertificateValidator(cert, validation_context=vc).async_validate_usage(set(), eku))
    except Exception:
        return False
    return True
