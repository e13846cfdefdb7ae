"""The validation report: signsvc's own frozen values, serialised as API.md says.

Nothing here imports pyHanko; ``validator`` maps pyHanko's results into these types.
``as_dict()`` yields the JSON names of API.md plus documented extra fields. Times are
ISO-8601 in Vietnam time (``+07:00``), serial numbers are lower-case hex strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from signsvc.names import PADES_LEVELS, Indication, SubIndication, Verdict

VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")

VERDICTS: tuple[Verdict, ...] = tuple(Verdict)
#: the level a signature is found at: a PAdES level, or "none" (not a PAdES signature)
DETECTED_LEVELS: tuple[str, ...] = (*PADES_LEVELS, "none")
REVOCATION_STATES = ("good", "revoked", "unknown", "not_checked")
COVERAGES = ("entire_file", "entire_revision", "partial")
MODIFICATIONS = ("none", "form_filling", "annotations", "other")
INDICATIONS: tuple[Indication, ...] = tuple(Indication)


def vn_time(moment: datetime | None) -> str | None:
    """``moment`` as ISO-8601 in Vietnam time, to the second; ``None`` stays ``None``.

    A naive datetime is taken to be UTC.
    """
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM_TIME).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Messages:
    """Findings, one sentence each, in the same order in both languages."""

    vi: tuple[str, ...] = ()
    en: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, list[str]]:
        return {"vi": list(self.vi), "en": list(self.en)}


@dataclass(frozen=True)
class DocumentInfo:
    sha256: str
    size: int
    revisions: int
    status: str  # "signed" | "unsigned"
    reading: str = "strict"     # "strict" | "lenient" (pyHanko non-strict) | "repaired" (xref rebuilt)
    repair: str | None = None   # what was repaired or tolerated, when ``reading`` is not strict

    def as_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "size": self.size, "revisions": self.revisions,
                "status": self.status, "reading": self.reading, "repair": self.repair}


@dataclass(frozen=True)
class SignerInfo:
    subject: str
    common_name: str | None
    serial: str
    issuer: str
    certificate_sha256: str
    organization: str | None = None
    organizational_unit: str | None = None
    uid: tuple[str, ...] = ()           # e.g. "CMND:…", "CCCD:…", "MST:…"
    issuer_common_name: str | None = None
    not_before: datetime | None = None
    not_after: datetime | None = None
    key_algorithm: str | None = None    # "rsa" | "ec" | …
    key_size: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject, "common_name": self.common_name, "serial": self.serial,
            "issuer": self.issuer, "certificate_sha256": self.certificate_sha256,
            "organization": self.organization, "organizational_unit": self.organizational_unit,
            "uid": list(self.uid), "issuer_common_name": self.issuer_common_name,
            "certificate_validity": {"not_before": vn_time(self.not_before),
                                     "not_after": vn_time(self.not_after)},
            "key_algorithm": self.key_algorithm, "key_size": self.key_size,
        }


MAX_CHAIN_LENGTH = 12
"""Certificates listed per chain at most, from the signer's up (longer paths are cut)."""


@dataclass(frozen=True)
class ChainCertificate:
    """One certificate of a certification path. ``revocation`` is what the revocation data
    used in the check says about this certificate (``not_checked`` for a trust anchor,
    which is trusted as such, and for a path pyHanko could not build)."""

    subject: str
    common_name: str | None
    issuer: str
    serial: str
    sha256: str
    not_before: datetime | None
    not_after: datetime | None
    is_trust_anchor: bool
    revocation: str

    def as_dict(self) -> dict[str, Any]:
        return {"subject": self.subject, "common_name": self.common_name, "issuer": self.issuer,
                "serial": self.serial, "sha256": self.sha256,
                "not_before": vn_time(self.not_before), "not_after": vn_time(self.not_after),
                "is_trust_anchor": self.is_trust_anchor, "revocation": self.revocation}


def chain_dict(chain: tuple[ChainCertificate, ...]) -> dict[str, Any]:
    """``chain`` (signer first) and ``chain_ends_at_anchor`` (its last one is a trust anchor)."""
    return {"chain": [c.as_dict() for c in chain],
            "chain_ends_at_anchor": bool(chain) and chain[-1].is_trust_anchor}


@dataclass(frozen=True)
class TimestampInfo:
    """A timestamp token. ``valid`` means intact, cryptographically valid (``signature_valid``)
    and issued by a trusted TSA (``trusted``)."""

    time: datetime | None   # None only when the token could not be read
    tsa: str | None
    valid: bool
    intact: bool = True
    signature_valid: bool = True
    trusted: bool = True
    chain: tuple[ChainCertificate, ...] = ()   # the TSA's path, its certificate first

    def as_dict(self) -> dict[str, Any]:
        return {"time": vn_time(self.time), "tsa": self.tsa, "valid": self.valid,
                "intact": self.intact, "signature_valid": self.signature_valid,
                "trusted": self.trusted, **chain_dict(self.chain)}


@dataclass(frozen=True)
class AlgorithmInfo:
    digest: str | None
    signature: str | None
    padding: str | None  # "PKCS#1 v1.5" | "PSS" | None (ECDSA, EdDSA)

    def as_dict(self) -> dict[str, Any]:
        return {"digest": self.digest, "signature": self.signature, "padding": self.padding}


@dataclass(frozen=True)
class SignatureReport:
    """One signature. ``valid`` is cryptographic validity only; ``indication`` is the
    ETSI EN 319 102-1 conclusion for the signature itself; document-level changes after
    it are in ``modifications`` (and decide the document verdict)."""

    field: str
    signer: SignerInfo | None
    signing_time: datetime | None
    timestamp: TimestampInfo | None
    level: str
    intact: bool
    valid: bool
    trusted: bool
    revocation: str
    coverage: str
    modifications: str
    indication: str
    sub_indication: str | None
    messages: Messages
    modifications_permitted: bool = True
    trailing_data: bool = False
    algorithm: AlgorithmInfo | None = None
    flags: tuple[str, ...] = ()          # e.g. "NotTimestamped" (VAL-2)
    revocation_time: datetime | None = None
    validation_time: datetime | None = None
    revision: int | None = None                        # 1 = original; see RevisionReport
    byte_range: tuple[int, int, int, int] | None = None  # the /ByteRange as in the file
    chain: tuple[ChainCertificate, ...] = ()           # the signer's path, signer first

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "signer": self.signer.as_dict() if self.signer else None,
            "signing_time": vn_time(self.signing_time),
            "timestamp": self.timestamp.as_dict() if self.timestamp else None,
            "level": self.level, "intact": self.intact, "valid": self.valid,
            "trusted": self.trusted, "revocation": self.revocation,
            "coverage": self.coverage, "modifications": self.modifications,
            "indication": self.indication, "sub_indication": self.sub_indication,
            "messages": self.messages.as_dict(),
            "modifications_permitted": self.modifications_permitted,
            "trailing_data": self.trailing_data,
            "algorithm": self.algorithm.as_dict() if self.algorithm else None,
            "key_size": self.signer.key_size if self.signer else None,
            "flags": list(self.flags),
            "revocation_time": vn_time(self.revocation_time),
            "validation_time": vn_time(self.validation_time),
            "revision": self.revision,
            "byte_range": list(self.byte_range) if self.byte_range is not None else None,
            **chain_dict(self.chain),
        }


@dataclass(frozen=True)
class DocumentTimestampReport:
    """A document timestamp (/DocTimeStamp), e.g. the one that makes a signature B-LTA."""

    field: str
    timestamp: TimestampInfo
    coverage: str
    modifications: str
    revision: int | None = None
    byte_range: tuple[int, int, int, int] | None = None
    indication: str = Indication.INDETERMINATE  # ETSI EN 319 102-1, as for a signature
    sub_indication: str | None = SubIndication.GENERIC
    modifications_permitted: bool = True
    messages: Messages = Messages()

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, **self.timestamp.as_dict(), "coverage": self.coverage,
                "modifications": self.modifications, "revision": self.revision,
                "byte_range": list(self.byte_range) if self.byte_range is not None else None,
                "indication": self.indication, "sub_indication": self.sub_indication,
                "modifications_permitted": self.modifications_permitted,
                "messages": self.messages.as_dict()}


@dataclass(frozen=True)
class AddedAnnotation:
    """An annotation that appeared in a revision: its page (1-based), its subtype without
    the slash (``Widget``, ``FreeText``…) and, for a widget, its form field's name."""

    page: int | None
    subtype: str | None
    field: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"page": self.page, "subtype": self.subtype, "field": self.field}


@dataclass(frozen=True)
class RevisionAdded:
    """What one revision added, compared with the previous one (the original document
    is described whole). ``fields``: form fields added, filled or otherwise changed
    (value, widget or appearance). ``content_streams``: page content streams that are new,
    rewritten or newly attached to a page. ``other_objects``: objects written in the
    revision that are none of those (nor the catalog, page tree, form, signature
    dictionaries, appearance streams of the listed items, DSS, document information
    dictionary, xref or object streams).
    ``truncated``: a cap on pages, annotations, fields or DSS entries was hit, so the
    lists may be incomplete. ``pages_removed`` and ``page_count`` are additions to the
    agreed shape."""

    pages: int = 0
    annotations: tuple[AddedAnnotation, ...] = ()
    fields: tuple[str, ...] = ()
    content_streams: int = 0
    dss: bool = False
    other_objects: int = 0
    truncated: bool = False
    pages_removed: int = 0
    page_count: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"pages": self.pages, "annotations": [a.as_dict() for a in self.annotations],
                "fields": list(self.fields), "content_streams": self.content_streams,
                "dss": self.dss, "other_objects": self.other_objects, "truncated": self.truncated,
                "pages_removed": self.pages_removed, "page_count": self.page_count}


@dataclass(frozen=True)
class RevisionReport:
    """One revision of the file (1 = the original document). ``end_offset`` is the byte
    length of the file up to and including this revision's ``%%EOF`` (and the end of line
    after it); ``sha256`` is the hash of those bytes. ``signatures`` and
    ``document_timestamps`` name the fields whose signed range ends with this revision.
    ``analysed`` is false when the revision was beyond the caps or unreadable: ``added``
    is then empty and the summary says why."""

    number: int
    end_offset: int
    sha256: str
    signatures: tuple[str, ...]
    document_timestamps: tuple[str, ...]
    added: RevisionAdded
    summary_vi: str
    summary_en: str
    analysed: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"number": self.number, "end_offset": self.end_offset, "sha256": self.sha256,
                "signatures": list(self.signatures),
                "document_timestamps": list(self.document_timestamps),
                "added": self.added.as_dict(),
                "summary": {"vi": self.summary_vi, "en": self.summary_en},
                "analysed": self.analysed}


@dataclass(frozen=True)
class ValidationReport:
    document: DocumentInfo
    signatures: tuple[SignatureReport, ...]
    verdict: str
    policy_sha256: str | None
    trust_anchors_sha256: str
    trust_anchors_name: str
    document_timestamps: tuple[DocumentTimestampReport, ...] = ()
    messages: Messages = Messages()
    validated_at: datetime | None = None
    policy_version: str | None = None
    revisions: tuple[RevisionReport, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "document": self.document.as_dict(),
            "signatures": [s.as_dict() for s in self.signatures],
            "verdict": self.verdict,
            "policy_sha256": self.policy_sha256,
            "policy_version": self.policy_version,
            "trust_anchors_sha256": self.trust_anchors_sha256,
            "trust_anchors": {"name": self.trust_anchors_name, "sha256": self.trust_anchors_sha256},
            "document_timestamps": [t.as_dict() for t in self.document_timestamps],
            "messages": self.messages.as_dict(),
            "validated_at": vn_time(self.validated_at),
            "revisions": [r.as_dict() for r in self.revisions],
        }
