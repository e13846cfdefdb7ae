"""Checks for long-term signatures: what the DSS holds, and future validation with pyHanko."""

from __future__ import annotations

import asyncio
import io
from copy import copy
from dataclasses import dataclass, replace
from datetime import datetime

from asn1crypto import crl, ocsp, x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESPassed
from pyhanko.sign.validation.ades import simulate_future_ades_lta_validation
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError, SignatureValidationError
from pyhanko.sign.validation.policy_decl import (
    LocalKnowledge,
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
    bootstrap_validation_data_handlers,
)
from pyhanko_certvalidator.context import CertValidationPolicySpec, ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    NonRevokedStatusAssertion,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleTrustManager
from pyhanko_certvalidator.revinfo.archival import CRLContainer

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


@dataclass(frozen=True)
class TimeProofValidation:
    """ETSI EN 319 102-1 § 5.6.3 for a signature whose time proof is a document timestamp.

    ``lta`` is pyHanko's own ``ades_lta_validation`` result; ``indication`` the result of the
    same algorithm (pyHanko's building blocks) with the first document timestamp after the
    signature as its proof of existence; ``proof_time`` that timestamp's genTime (the POE
    the past signature validation used), ``current`` the basic validation at ``when``."""

    lta: object
    current: object
    proof_time: datetime | None
    indication: object
    reason: str | None


def time_proof_validation(data: bytes, root: x509.Certificate, when: datetime,
                          late_crls=(), index: int = 0, *,
                          fresh_tsa_status: bool = True) -> TimeProofValidation:
    """Signature ``index`` of ``data`` validated at ``when`` by the ETSI LTA algorithm, nothing
    fetched, revocation data required (retroactive), ``late_crls`` known to the verifier;
    with ``fresh_tsa_status``, the last document timestamp's TSA certificate is known not
    revoked at ``when`` (what a verifier then fetches; pyHanko's future-validation helper
    asserts the same), otherwise only what the document carries counts.

    pyHanko 0.38's ``ades_lta_validation`` stops at step 3 for a signature without a
    signature-timestamp attribute: ``_scoped_ades_with_time_validation`` answers
    SIG_CONSTRAINTS_FAILURE "No signature timestamp present" (pyhanko/sign/validation/
    ades.py, the ``except StopIteration`` of "process signature timestamps", a TODO there),
    which is not in ``_LTA_FURTHER_PROC``. PAdES (ETSI EN 319 142-1 § 6.3) accepts a
    document timestamp as the B-T time proof, so the rest is done as § 5.6.3 says, with
    pyHanko's steps: (1) the document timestamps as evidence record
    (``_validate_prima_facie_poe``: each one validated, in the past when needed, with the POE
    of the next); (3) basic validation at ``when`` (§ 5.3); (6) past signature validation
    (§ 5.6.2.4, ``ades_past_signature_validation``) with those POEs."""
    return asyncio.run(_time_proof_validation(data, root, when, late_crls, index, fresh_tsa_status))


def _lta_spec(root: x509.Certificate, late_crls, nonrevoked=()) -> PdfSignatureValidationSpec:
    rule = RevocationCheckingRule.CRL_OR_OCSP_REQUIRED
    return PdfSignatureValidationSpec(SignatureValidationSpec(
        cert_validation_policy=CertValidationPolicySpec(
            trust_manager=SimpleTrustManager.build(trust_roots=[root]),
            revinfo_policy=CertRevTrustPolicy(RevocationCheckingPolicy(rule, rule),
                                              retroactive_revinfo=True)),
        revinfo_gathering_policy=RevocationInfoGatheringSpec(RevinfoOnlineFetchingRule.LOCAL_ONLY),
        local_knowledge=LocalKnowledge(known_crls=[CRLContainer(c) for c in late_crls],
                                       nonrevoked_assertions=list(nonrevoked))))


async def _time_proof_validation(data, root, when, late_crls, index, fresh_tsa_status) -> TimeProofValidation:
    from pyhanko.sign.validation import ades

    reader = PdfFileReader(io.BytesIO(data))
    emb = reader.embedded_regular_signatures[index]
    # the TSA's status at ``when``, as a verifier then fetches it (pyHanko's future-validation
    # helper asserts the same for the last timestamp's certificate)
    doc_ts = reader.embedded_timestamp_signatures
    pdf_spec = _lta_spec(root, late_crls,
                         [NonRevokedStatusAssertion(doc_ts[-1].signer_cert.sha256, at=when)]
                         if fresh_tsa_status and doc_ts else [])
    timing = ValidationTimingInfo(validation_time=when, best_signature_time=when,
                                  point_in_time_validation=True)
    lta = await ades.ades_lta_validation(emb, pdf_spec, timing)
    dss = ades._dss_to_local_knowledge(reader)
    known = pdf_spec.signature_validation_spec.local_knowledge
    spec = replace(pdf_spec.signature_validation_spec, local_knowledge=LocalKnowledge(
        known_crls=known.known_crls + dss.known_crls, known_ocsps=dss.known_ocsps,
        known_certs=dss.known_certs, nonrevoked_assertions=known.nonrevoked_assertions))
    async with ades._operation_scoped_spec(spec) as spec:
        # (1) the document timestamps as the evidence record
        poe_list = ades._build_prima_facie_poe_index_from_pdf_timestamps(
            reader, include_content_ts=True, diff_policy=None)
        proofs = [p for p in poe_list if p.pdf_revision > emb.signed_revision]
        if not proofs:  # no time proof at all: pyHanko's answer stands
            return TimeProofValidation(lta, None, None, lta.ades_subindic,
                                       "no document timestamp after the signature")
        try:
            poes = await ades._validate_prima_facie_poe(poe_list, spec, timing)
        except SignatureValidationError as exc:
            return TimeProofValidation(lta, None, None, exc.ades_subindication, exc.failure_message)
        proof_time = min(proofs, key=lambda p: p.pdf_revision).timestamp_dt
        # (3) basic validation at the validation time
        handlers = bootstrap_validation_data_handlers(spec, timing_info=timing,
                                                      poe_manager_override=copy(poes))
        current = await ades.ades_basic_validation(
            emb.signed_data, spec, timing_info=timing, raw_digest=emb.compute_digest(),
            validation_data_handlers=handlers)
        if current.ades_subindic is AdESPassed.OK:
            return TimeProofValidation(lta, current, proof_time, AdESPassed.OK, None)
        if current.ades_subindic not in ades._LTA_FURTHER_PROC:
            return TimeProofValidation(lta, current, proof_time, current.ades_subindic,
                                       current.failure_msg)
        # (6) past signature validation with the POEs of the document timestamps
        past = await ades.ades_past_signature_validation(
            emb.signed_data, spec, copy(poes), current.ades_subindic, init_control_time=when)
        return TimeProofValidation(lta, current, proof_time, past,
                                   None if past is AdESPassed.OK else "past signature validation")
