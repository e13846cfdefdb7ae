"""What signsvc reads off one signature and its pyHanko status, before deciding: the
claimed time, the PAdES level the file shows, whether the digest can be checked and is
intact, a mistaken RSA-PSS salt length, the chain of a status, and pyHanko's validation run
with signsvc's difference-analysis policy (``diff.policy``).

Every reader here is total: an unreadable attribute gives ``None`` or ``False``, never an
exception (``signature.check_signature`` builds a report about any signature).
"""

from __future__ import annotations

from datetime import datetime

from asn1crypto import cms, x509
from cryptography.hazmat.primitives.serialization import load_der_public_key
from pyhanko.pdf_utils import generic
from pyhanko.sign.general import find_unique_cms_attribute
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext

from signsvc.names import PadesLevel
from signsvc.names import SubIndication as Sub

from . import algorithms, certinfo, messages, revocation
from .chain import RevocationData, chain_of
from .context import SIGNER_KEY_USAGE, TrustSetup
from .diff.policy import policy_for
from .evidence import Evidence
from .integrity import DocumentFacts
from .pdfread import SignatureEntry
from .report import ChainCertificate, TimestampInfo

TIME_BOUND_PROBLEMS = frozenset({Sub.REVOKED_NO_POE, Sub.REVOKED_CA_NO_POE,
                                 Sub.OUT_OF_BOUNDS_NO_POE, Sub.OUT_OF_BOUNDS_NOT_REVOKED,
                                 Sub.EXPIRED, Sub.CRYPTO_CONSTRAINTS_FAILURE_NO_POE})
def claimed_time(entry: SignatureEntry) -> datetime | None:
    try:
        if entry.embedded is not None:
            return entry.embedded.self_reported_timestamp
        return generic.parse_pdf_date(entry.sig_object["/M"], strict=False)
    except Exception:
        return None


def has_signature_timestamp(signer_info: cms.SignerInfo) -> bool:
    try:
        attrs = signer_info["unsigned_attrs"]
        return any(a["type"].native == "signature_time_stamp_token" for a in attrs) if attrs else False
    except (ValueError, KeyError, TypeError):
        return False


def pades_level(entry: SignatureEntry, doc: DocumentFacts, has_timestamp: bool, evidence: Evidence,
           cert: x509.Certificate | None) -> str:
    """B-B without a time proof; B-T with one: a signature timestamp, or a document
    timestamp in a later revision (ETSI EN 319 142-1 6.3 accepts either); B-LT when the
    document (DSS) or the signature (Adobe archive) also holds an OCSP response or CRL about
    the signer's certificate; B-LTA when a document timestamp other than the time proof
    was added in a later revision."""
    if entry.embedded is None:
        return "none"
    later = sum(1 for rev in doc.doc_timestamp_revisions if rev > entry.signed_revision)
    if not has_timestamp and not later:
        return PadesLevel.B_B
    has_revinfo = (revocation.has_evidence(cert, evidence.ocsps, evidence.crls) if cert is not None
                   else evidence.has_revinfo)
    if not has_revinfo:
        return PadesLevel.B_T
    archive = later if has_timestamp else later - 1  # the first one is then the time proof
    return PadesLevel.B_LTA if archive > 0 else PadesLevel.B_LT


def timestamp_info(status, chain: tuple[ChainCertificate, ...] = ()) -> TimestampInfo:
    """A pyHanko timestamp status as a ``TimestampInfo`` (with the TSA's ``chain``)."""
    return TimestampInfo(time=status.timestamp, tsa=certinfo.common_name(status.signing_cert),
                         valid=bool(status.intact and status.valid and status.trusted),
                         intact=bool(status.intact), signature_valid=bool(status.valid),
                         trusted=bool(status.trusted), chain=chain)


def status_chain(status, vc: ValidationContext, setup: TrustSetup,
                 candidates: list[x509.Certificate]) -> tuple[ChainCertificate, ...]:
    """The chain of a pyHanko status's signing certificate: its ``validation_path`` with
    what ``vc``'s revocation data says per certificate, or what can be built from
    ``candidates`` when pyHanko found no path."""
    details = status.revocation_details
    return chain_of(status.signing_cert, status.validation_path,
                    RevocationData.of(vc, allow_fetching=setup.allow_fetching),
                    candidates=candidates, trust_manager=setup.trust_manager,
                    leaf_revoked=details is not None and not details.ca_revoked)


def signer_cert(emb: EmbeddedPdfSignature) -> x509.Certificate | None:
    try:
        return emb.signer_cert
    except Exception:
        return None


async def validate(emb: EmbeddedPdfSignature, vc: ValidationContext, skip_diff: bool = False) -> PdfSignatureStatus:
    return await async_validate_pdf_signature(emb, signer_validation_context=vc, diff_policy=policy_for(mdp(emb)),
                                              key_usage_settings=SIGNER_KEY_USAGE, skip_diff=skip_diff)


def mdp(emb: EmbeddedPdfSignature):
    try:
        return emb.docmdp_level
    except Exception:  # an unreadable /Reference: as an approval signature
        return None


def problem(status: PdfSignatureStatus) -> str | None:
    return status.trust_problem_indic.standard_name if status.trust_problem_indic is not None else None


def needs_time_check(status: PdfSignatureStatus) -> bool:
    ts = status.timestamp_validity
    if ts is None or not (ts.intact and ts.valid and ts.trusted):
        return False
    horizon = status.error_time_horizon
    return problem(status) in TIME_BOUND_PROBLEMS and horizon is not None and ts.timestamp < horizon


def digest_checkable(emb: EmbeddedPdfSignature) -> bool:
    """Whether signsvc can hash the byte range with the signer's digest algorithm and the
    CMS holds a messageDigest to compare with (detached: no eContent, or the zero-length
    eContent some writers leave, which Acrobat also reads as detached)."""
    try:
        return (emb.md_algorithm in algorithms.SUPPORTED_DIGEST and bool(emb.signer_info["signed_attrs"])
                and emb.signed_data["encap_content_info"]["content"].native in (None, b""))
    except (KeyError, ValueError, TypeError):
        return False


def content_intact(emb: EmbeddedPdfSignature) -> bool:
    """The byte range digest equals the signed messageDigest (False when not checkable)."""
    if not digest_checkable(emb):
        return False
    try:
        signed = find_unique_cms_attribute(emb.signer_info["signed_attrs"], "message_digest").native
        return emb.compute_digest() == signed
    except Exception:  # a missing or repeated attribute, an odd digest: not shown to be intact
        return False


def pss_salt_mismatch(emb: EmbeddedPdfSignature, status: PdfSignatureStatus):
    """For an intact RSA-PSS signature whose value does not verify with its declared salt
    length but does with another one: the ``pss_salt_mismatch`` message; else ``None``."""
    if status.valid or not status.intact or status.pkcs7_signature_mechanism != "rsassa_pss":
        return None
    try:
        public_key = load_der_public_key(status.signing_cert.public_key.dump())
        declared = emb.signer_info["signature_algorithm"]["parameters"]["salt_length"].native
    except Exception:
        return None
    used = algorithms.pss_salt_used(emb.signer_info, public_key)
    if used is None or used == declared:
        return None
    return messages.text("pss_salt_mismatch", declared=str(declared), used=str(used))
