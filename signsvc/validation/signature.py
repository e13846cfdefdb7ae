"""One signature: run pyHanko, gather plain facts, decide, build its ``SignatureReport``
(what is read off the signature and its pyHanko status: ``signature_facts``).

``check_signature`` never raises: an unparseable CMS, an unsupported algorithm or any
pyHanko/asn1crypto/certvalidator error becomes a report about that signature.

The chain is first checked now. When that fails only because of time (revoked, expired,
algorithm retired) and a trusted signature timestamp proves the signature existed before
that, it is checked again at the timestamp's time (VAL-2); then the later revocation or
expiry is a note, not a failure.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from asn1crypto import x509
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.sign.diff_analysis.policy_api import SuspiciousModification
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers import FetcherBackend

from signsvc.names import SubIndication as Sub

from . import algorithms, certinfo, legacy, messages, revocation
from . import signature_facts as sf
from .chain import RevocationData, chain_of, cms_certificates, timestamp_token_certificates
from .cmsform import signed_attributes_not_der
from .context import TrustSetup
from .decision import Facts, decide
from .evidence import Evidence, signature_evidence
from .integrity import (
    DocumentFacts,
    Integrity,
    integrity_of,
    integrity_without_status,
    range_past_end,
)
from .pdfread import SignatureEntry
from .report import AlgorithmInfo, ChainCertificate, SignatureReport, TimestampInfo

logger = logging.getLogger(__name__)


class _Check:
    """The state of one signature check (kept small: one instance per signature)."""

    def __init__(self, entry: SignatureEntry, setup: TrustSetup, backend: FetcherBackend | None,
                 doc: DocumentFacts) -> None:
        self.entry, self.setup, self.backend, self.doc = entry, setup, backend, doc
        self.checked_at: datetime | None = None   # the moment the chain was checked at
        self.level = "none"
        self.chain: tuple[ChainCertificate, ...] | None = None  # set when pyHanko checked the chain

    def candidates(self) -> list[x509.Certificate]:
        """Certificates a chain may be built from: the CMS's, the configured
        intermediates and the document's (DSS)."""
        emb = self.entry.embedded
        return [*(cms_certificates(emb.signed_data) if emb is not None else ()),
                *self.setup.intermediates, *self.doc.evidence.certs]

    @property
    def _embedded(self) -> EmbeddedPdfSignature:
        """The parsed signature: ``run`` reports an unparsed one before anything needs it."""
        emb = self.entry.embedded
        if emb is None:
            raise ValueError("the signature was not parsed")
        return emb

    def evidence(self) -> Evidence:
        emb = self.entry.embedded
        return self.doc.evidence + (signature_evidence(emb.signer_info) if emb is not None else Evidence())

    async def run(self) -> SignatureReport:
        entry = self.entry
        emb = entry.embedded
        if emb is None:
            if entry.problem == "unsupported_subfilter" and entry.subfilter in legacy.SUBFILTERS:
                return self._legacy()
            return self._report(self._unparsed_facts(), None, "none")
        cert = sf.signer_cert(emb)
        if range_past_end(entry, self.doc):  # never hash what is not in the upload
            facts = Facts(intact=False, valid=False, trusted=False, claimed_time=sf.claimed_time(entry),
                          extra=(messages.text("byte_range_past_end"),))
            return self._report(self._with_integrity(facts, integrity_without_status(entry, self.doc)), cert, "none")
        evidence = self.evidence()
        level = self.level = sf.pades_level(entry, self.doc, sf.has_signature_timestamp(emb.signer_info),
                                            evidence, cert)
        weak = tuple(algorithms.weaknesses(emb.signer_info, cert))
        base = Facts(intact=False, valid=False, trusted=False, claimed_time=sf.claimed_time(entry),
                     weaknesses=weak)
        unsupported = algorithms.unsupported(emb.signer_info)
        cannot_check = (messages.text("unsupported_algorithm", algorithm=unsupported) if unsupported is not None
                        else algorithms.pss_inconsistency(emb.signer_info, cert))
        if cannot_check is not None:
            return self._cannot_check(base, cannot_check, cert, level)
        if signed_attributes_not_der(emb.signer_info):  # positive evidence: RFC 5652 5.4
            facts = replace(base, intact=sf.content_intact(emb), valid=False,
                            extra=(messages.text("signed_attrs_not_der"),))
            return self._report(self._with_integrity(facts, integrity_without_status(entry, self.doc)), cert, level)
        vc = self.setup.context(evidence, self.backend)
        try:
            status = await sf.validate(emb, vc)
        except SignatureValidationError as exc:
            sub = exc.ades_subindication
            facts = replace(base, processing_error=exc.failure_message, intact=sf.content_intact(emb),
                            sub_indication_hint=sub.standard_name if sub else None)
            return self._report(self._with_integrity(facts, integrity_without_status(entry, self.doc)),
                                cert, level)
        except (PdfReadError, SuspiciousModification) as exc:  # the change analysis refused the form
            if entry.signed_revision >= self.doc.reader.xrefs.total_revisions - 1:
                raise
            status = await sf.validate(emb, vc, skip_diff=True)  # the signature itself, then "not classified"
            base = replace(base, extra=(*base.extra, messages.text(
                "structure_unverifiable", reason=f"{type(exc).__name__}: {exc}"[:160])))
        salt = sf.pss_salt_mismatch(emb, status)
        if salt is not None:
            return self._cannot_check(base, salt, status.signing_cert, level)
        return self._report(await self._facts(status, vc, evidence, base), status.signing_cert, level)

    def _cannot_check(self, base: Facts, reason, cert: x509.Certificate | None, level: str) -> SignatureReport:
        """INDETERMINATE with ``reason``: the signature value is not checked, but whether the
        signed content is unchanged still is (a digest mismatch is a real failure)."""
        facts = replace(base, intact=sf.content_intact(self._embedded), unsupported=reason,
                        sub_indication_hint=Sub.CRYPTO_CONSTRAINTS_FAILURE)
        if not facts.intact and sf.digest_checkable(self._embedded):
            facts = replace(facts, unsupported=None, sub_indication_hint=None)  # HASH_FAILURE
        return self._report(self._with_integrity(facts, integrity_without_status(self.entry, self.doc)),
                            cert, level)

    async def _facts(self, status: PdfSignatureStatus, vc: ValidationContext, evidence: Evidence,
                     base: Facts) -> Facts:
        trust_status, trust_vc, at_timestamp = status, vc, False
        ts = status.timestamp_validity
        if ts is not None and sf.needs_time_check(status):
            later_vc = self.setup.context(evidence, self.backend, moment=ts.timestamp)
            later = await sf.validate(self._embedded, later_vc, skip_diff=True)
            if later.trusted:
                trust_status, trust_vc, at_timestamp = later, later_vc, True
        self.checked_at = trust_vc.moment
        self.chain = sf.status_chain(trust_status, trust_vc, self.setup, self.candidates())
        path = trust_status.validation_path
        cert = trust_status.signing_cert
        rev = revocation.assess(
            revoked=trust_status.revocation_details is not None,
            chain=list(path.iter_certs(include_root=False)) if path is not None else None,
            leaf=cert, ocsps=trust_vc.ocsps, crls=trust_vc.crls,
            soft_failures=len(trust_vc.soft_fail_exceptions), allow_fetching=self.setup.allow_fetching)
        problem = sf.problem(trust_status)
        if problem == Sub.CHAIN_CONSTRAINTS_FAILURE and path is None and cert.self_signed in ("yes", "maybe"):
            problem = Sub.NO_CERTIFICATE_CHAIN_FOUND  # certvalidator's name for an untrusted self-signed cert
        if problem == Sub.CERTIFICATE_CHAIN_GENERAL_FAILURE and rev.missing:
            problem = Sub.TRY_LATER  # the chain failed for want of revocation data
        details = trust_status.revocation_details
        revoked_later = status.revocation_details if at_timestamp else None
        facts = replace(
            base, intact=bool(status.intact), valid=bool(status.valid), trusted=bool(trust_status.trusted),
            problem=problem, revocation=rev.state,
            revoked_at=details.revocation_date if details else None,
            revocation_reason=details.revocation_reason.native if details else None,
            ca_revoked=bool(details and details.ca_revoked),
            timestamp=self._timestamp(status.timestamp_validity, vc),
            claimed_time=status.signer_reported_dt or base.claimed_time,
            validated_at_timestamp=at_timestamp,
            revoked_later_at=revoked_later.revocation_date if revoked_later else None,
            revoked_later_reason=revoked_later.revocation_reason.native if revoked_later else None)
        return self._with_integrity(facts, integrity_of(self.entry, self.doc, status))

    def _timestamp(self, ts, vc: ValidationContext) -> TimestampInfo | None:
        """The signature timestamp, with the TSA's chain (pyHanko checks it with ``vc``)."""
        if ts is None:
            return None
        tst_certs = timestamp_token_certificates(self._embedded.signer_info)
        return sf.timestamp_info(ts, sf.status_chain(ts, vc, self.setup, [*tst_certs, *self.candidates()]))

    @staticmethod
    def _with_integrity(facts: Facts, integrity: Integrity) -> Facts:
        return replace(facts, coverage=integrity.coverage, modifications=integrity.modifications,
                       modifications_permitted=integrity.permitted, trailing_data=integrity.trailing)

    def _legacy(self) -> SignatureReport:
        """``adbe.pkcs7.sha1`` / ``adbe.x509.rsa_sha1``: integrity and signature value checked
        by ``legacy``; being SHA-1 they end INDETERMINATE (weak algorithm, VAL-5) at best."""
        entry = self.entry
        result = legacy.check_legacy(entry.sig_object, self.doc.data)
        base = Facts(intact=False, valid=False, trusted=False, claimed_time=sf.claimed_time(entry),
                     extra=(messages.text("legacy_subfilter", subfilter=entry.subfilter.lstrip("/")),))
        if result.problem is not None:
            facts = replace(base, parse_failure=result.problem)
        elif result.unsupported is not None:
            facts = replace(base, unsupported=messages.text("unsupported_algorithm", algorithm=result.unsupported),
                            sub_indication_hint=Sub.CRYPTO_CONSTRAINTS_FAILURE)
        else:
            assert result.algorithm is not None   # read whenever the value was checked
            weak = algorithms.weak_messages({"sha1", result.algorithm.digest}, result.cert)
            facts = replace(base, intact=result.intact, valid=result.valid, problem=Sub.CRYPTO_CONSTRAINTS_FAILURE,
                            weaknesses=tuple(weak))
            if result.value_broken:
                facts = replace(facts, processing_error="signature value", sub_indication_hint=Sub.SIG_CRYPTO_FAILURE)
        integrity = integrity_without_status(entry, self.doc)
        if result.full_file and integrity.coverage == "entire_revision":
            integrity = replace(integrity, coverage="entire_file")
        return self._report(self._with_integrity(facts, integrity), result.cert, "none", result.algorithm)

    def _unparsed_facts(self) -> Facts:
        entry = self.entry
        base = Facts(intact=False, valid=False, trusted=False, claimed_time=sf.claimed_time(entry))
        if entry.problem == "unsupported_subfilter":
            base = replace(base, unsupported=messages.text("unsupported_subfilter", subfilter=entry.subfilter))
        elif entry.problem == "several_signers":  # ambiguous, not shown broken: INDETERMINATE
            base = replace(base, unsupported=messages.text("several_signer_infos"),
                           sub_indication_hint=Sub.FORMAT_FAILURE)
        else:
            base = replace(base, parse_failure=entry.reason or "?")
        return self._with_integrity(base, integrity_without_status(entry, self.doc))

    def _docmdp(self) -> int | None:
        try:
            perm = self.entry.embedded.docmdp_level if self.entry.embedded is not None else None
            return int(perm.value) if perm is not None else None
        except Exception:  # an unreadable /Reference: treated as an approval signature
            return None

    def _report(self, facts: Facts, cert: x509.Certificate | None, level: str,
                algorithm: AlgorithmInfo | None = None) -> SignatureReport:
        finding = self.doc.finding_for(self.entry)
        facts = replace(facts, docmdp=self._docmdp(), cap=self.doc.cap, structure_finding=finding)
        if finding is not None:
            facts = replace(facts, modifications="other", modifications_permitted=False)
        hidden = self.doc.appended_after(self.entry)
        if hidden is not None:
            facts = replace(facts, trailing_data=True, extra=(*facts.extra, hidden))
        decision = decide(facts)
        emb = self.entry.embedded
        chain = self.chain
        if chain is None:  # pyHanko did not check the chain: what can be built, nothing claimed
            chain = chain_of(cert, None, RevocationData(), candidates=self.candidates(),
                             trust_manager=self.setup.trust_manager)
        return SignatureReport(
            field=self.entry.field,
            signer=certinfo.signer_info(cert) if cert is not None else None,
            signing_time=facts.claimed_time,
            timestamp=facts.timestamp,
            level=level, intact=facts.intact, valid=facts.valid, trusted=facts.trusted,
            revocation=facts.revocation, coverage=facts.coverage, modifications=facts.modifications,
            indication=decision.indication, sub_indication=decision.sub_indication,
            messages=decision.messages, modifications_permitted=facts.modifications_permitted,
            trailing_data=facts.trailing_data,
            algorithm=algorithms.describe(emb.signer_info) if emb is not None else algorithm,
            flags=decision.flags, revocation_time=facts.revoked_at or facts.revoked_later_at,
            validation_time=self.checked_at,
            chain=chain,
        )


async def check_signature(entry: SignatureEntry, setup: TrustSetup, backend: FetcherBackend | None,
                          doc: DocumentFacts) -> SignatureReport:
    """The report for one signature; never raises (a processing error is reported as
    INDETERMINATE with its reason)."""
    check = _Check(entry, setup, backend, doc)
    try:
        return await check.run()
    except Exception as exc:  # the boundary: whatever pyHanko & co. raise is a finding
        logger.warning("signature %s could not be checked", entry.field, exc_info=exc)
        reason = f"{type(exc).__name__}: {exc}"[:200]
        facts = check._with_integrity(
            Facts(intact=False, valid=False, trusted=False, claimed_time=sf.claimed_time(entry),
                  processing_error=reason),
            integrity_without_status(entry, doc))
        cert = sf.signer_cert(entry.embedded) if entry.embedded is not None else None
        return check._report(facts, cert, check.level)
