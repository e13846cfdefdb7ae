"""The response bodies of the API as schemas for the OpenAPI document.

Small bodies are pydantic models (``RESPONSE_MODELS``); the validation report and its
parts (made by ``signsvc.validation.report``'s ``as_dict``) are JSON-schema documents
(``COMPONENTS``) kept inline, property by property, because tests compare them with what
the domain objects serialise (tests/unit/validation/test_chain.py, test_revisions.py,
tests/integration/test_corpus_real_world.py).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from signsvc.names import PADES_LEVELS, Indication, Verdict

_COVERS: dict[str, Any] = {
    "revision": {"type": ["integer", "null"],
                 "description": "The revision (1 = original) its signed range ends with: the one whose "
                                "end_offset is the end of the /ByteRange, else the revision that wrote "
                                "the signature dictionary."},
    "byte_range": {"type": ["array", "null"], "items": {"type": "integer"}, "minItems": 4, "maxItems": 4,
                   "description": "The /ByteRange as written in the file; null when it is not four integers."},
}
_CHAIN: dict[str, Any] = {
    "chain": {"type": "array", "maxItems": 12, "items": {"$ref": "#/components/schemas/ChainCertificate"},
              "description": "The certification path, its own certificate (signer or TSA) first, up to the "
                             "trust anchor: the path pyHanko validated (or the one that failed for "
                             "revocation, expiry or algorithm). When no path to an anchor was found: the "
                             "certificates that can be linked (each link's signature verified) from those in "
                             "the CMS, the configured intermediates, the DSS and the anchors, at least the "
                             "certificate itself. At most 12 certificates."},
    "chain_ends_at_anchor": {"type": "boolean",
                             "description": "The last certificate of chain is a trust anchor; false: the path "
                                            "ends without reaching one (untrusted)."},
}
_CHAIN_CERTIFICATE: dict[str, Any] = {
    "type": "object",
    "required": ["subject", "common_name", "issuer", "serial", "sha256", "not_before", "not_after",
                 "is_trust_anchor", "revocation"],
    "properties": {
        "subject": {"type": "string", "description": "RFC 4514 (CN=…,O=…,C=VN)"},
        "common_name": {"type": ["string", "null"]},
        "issuer": {"type": "string", "description": "RFC 4514"},
        "serial": {"type": "string", "description": "lower-case hex"},
        "sha256": {"type": "string", "description": "SHA-256 of the certificate (DER), hex"},
        "not_before": {"type": ["string", "null"], "description": "ISO-8601, Vietnam time (+07:00)"},
        "not_after": {"type": ["string", "null"], "description": "ISO-8601, Vietnam time (+07:00)"},
        "is_trust_anchor": {"type": "boolean"},
        "revocation": {"enum": ["good", "revoked", "unknown", "not_checked"],
                       "description": "What the OCSP responses and CRLs used in the check say about this "
                                      "certificate at the time it was checked; not_checked for a trust anchor "
                                      "(trusted as such), for a certificate that names no revocation source, "
                                      "and for every certificate of a path pyHanko could not build."},
    },
}
_REVISION: dict[str, Any] = {
    "type": "object",
    "required": ["number", "end_offset", "sha256", "signatures", "document_timestamps", "added", "summary"],
    "description": "What one incremental update (revision) of the file holds. Bounded: at most 100 "
                   "revisions are analysed (later ones are listed with analysed=false), page, "
                   "annotation (5000), field (2000) and DSS walks stop at their caps (added.truncated), "
                   "10 s in all; the summary says when something was cut. Streams are never decoded.",
    "properties": {
        "number": {"type": "integer", "description": "1 = the original document, N = the last"},
        "end_offset": {"type": "integer", "description": "Bytes of the file up to and including this "
                                                         "revision's %%EOF and the end of line after it"},
        "sha256": {"type": "string", "description": "SHA-256 of the first end_offset bytes"},
        "signatures": {"type": "array", "items": {"type": "string"},
                       "description": "Signature fields whose signed range ends with this revision"},
        "document_timestamps": {"type": "array", "items": {"type": "string"}},
        "analysed": {"type": "boolean", "description": "false: beyond the caps or unreadable; added is empty"},
        "added": {"type": "object", "description": "What this revision added compared with the previous "
                                                   "one; revision 1 describes the original document whole.",
                  "properties": {
                      "pages": {"type": "integer", "description": "pages new in the page tree"},
                      "pages_removed": {"type": "integer"}, "page_count": {"type": "integer"},
                      "annotations": {"type": "array", "items": {"type": "object", "properties": {
                          "page": {"type": ["integer", "null"]}, "subtype": {"type": ["string", "null"]},
                          "field": {"type": ["string", "null"], "description": "widgets: the field name"}}}},
                      "fields": {"type": "array", "items": {"type": "string"},
                                 "description": "form fields added, filled or changed (value, widget, appearance)"},
                      "content_streams": {"type": "integer",
                                          "description": "page content streams new, rewritten or newly attached"},
                      "dss": {"type": "boolean", "description": "the DSS (validation data) was added or updated"},
                      "other_objects": {"type": "integer",
                                        "description": "objects written that are none of the above (nor the "
                                                       "catalog, page tree, form, signature dictionaries, "
                                                       "appearance streams of the listed items, /Info, xref "
                                                       "or object streams)"},
                      "truncated": {"type": "boolean"}}},
        "summary": {"type": "object", "properties": {"vi": {"type": "string"}, "en": {"type": "string"}},
                    "description": "One plain-language sentence of what this revision did"},
    },
}
_BATCH_RESULT: dict[str, Any] = {
    "type": "object", "required": ["results", "accepted", "returned"],
    "properties": {
        "batch_id": {"type": "string"},
        "results": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string", "description": "the part's file name (no path), or file-N"},
            "sha256": {"type": "string"}, "size": {"type": "integer"},
            "decision": {"enum": ["accept", "return"]},
            "verdict": {"type": ["string", "null"], "description": "null: the file could not be read"},
            "reason": {"type": "object", "properties": {"vi": {"type": "string"}, "en": {"type": "string"}}},
            "returned_by": {"type": ["string", "null"], "description": "the intake rule that returned it"},
            "error_code": {"type": ["string", "null"],
                           "description": "not-a-pdf, malformed-pdf, encrypted-pdf, document-too-large"},
            "report": {"oneOf": [{"$ref": "#/components/schemas/ValidationReport"}, {"type": "null"}]}}}},
        "accepted": {"type": "integer"}, "returned": {"type": "integer"},
        "policy_sha256": {"type": "string"}, "policy_version": {"type": "string"},
    },
}

_MESSAGES: dict[str, Any] = {"type": "object", "description": "Plain reasons, Vietnamese and English",
             "properties": {"vi": {"type": "array", "items": {"type": "string"}},
                            "en": {"type": "array", "items": {"type": "string"}}}}
#: ETSI EN 319 102-1 conclusion of one signature or document timestamp (README: verdict table)
_ETSI: dict[str, Any] = {"indication": {"enum": [str(i) for i in Indication]},
         "sub_indication": {"type": ["string", "null"],
                            "description": "e.g. HASH_FAILURE, SIG_CRYPTO_FAILURE, FORMAT_FAILURE, "
                                           "NO_CERTIFICATE_CHAIN_FOUND, TRY_LATER, "
                                           "CRYPTO_CONSTRAINTS_FAILURE_NO_POE, GENERIC"},
         "messages": _MESSAGES}



_VALIDATION_REPORT: dict[str, Any] = {"type": "object", "required": ["document", "signatures", "verdict"],
                     "properties": {
    "document": {"type": "object", "properties": {
        "sha256": {"type": "string"}, "size": {"type": "integer"},
        "revisions": {"type": "integer"}, "status": {"enum": ["signed", "unsigned"]},
        "reading": {"enum": ["strict", "hybrid", "lenient", "repaired"],
                    "description": "How the file was read: pyHanko's strict reader; "
                                   "table plus XRefStm (Word); non-strict; xref "
                                   "rebuilt by object scan (results capped at "
                                   "INDETERMINATE)"},
        "repair": {"type": ["string", "null"],
                   "description": "What was repaired or tolerated when not strict"}}},
    "signatures": {"type": "array", "items": {"type": "object", "properties": {
        "field": {"type": "string"}, "signer": {"type": "object"},
        "signing_time": {"type": ["string", "null"]},
        "timestamp": {"type": ["object", "null"],
                      "description": "The signature timestamp: time, tsa, valid, intact, "
                                     "signature_valid, trusted and the TSA's chain",
                      "properties": {"time": {"type": ["string", "null"]},
                                     "tsa": {"type": ["string", "null"]},
                                     "valid": {"type": "boolean"}, "intact": {"type": "boolean"},
                                     "signature_valid": {"type": "boolean"},
                                     "trusted": {"type": "boolean"}, **_CHAIN}},
        "level": {"enum": [*map(str, PADES_LEVELS), "none"]},
        "intact": {"type": "boolean"}, "valid": {"type": "boolean"},
        "trusted": {"type": "boolean"},
        "revocation": {"enum": ["good", "revoked", "unknown", "not_checked"]},
        "coverage": {"enum": ["entire_file", "entire_revision", "partial"]},
        "modifications": {"enum": ["none", "form_filling", "annotations", "other"]},
        **_ETSI,
        "modifications_permitted": {"type": "boolean"},
        "trailing_data": {"type": "boolean",
                          "description": "unsigned bytes after the last revision"},
        "algorithm": {"type": ["object", "null"], "properties": {
            "digest": {"type": ["string", "null"]},
            "signature": {"type": ["string", "null"]},
            "padding": {"type": ["string", "null"]}}},
        "key_size": {"type": ["integer", "null"]},
        "flags": {"type": "array", "items": {"type": "string"}},
        "revocation_time": {"type": ["string", "null"]},
        "validation_time": {"type": ["string", "null"]},
        **_COVERS, **_CHAIN}}},
    "document_timestamps": {"type": "array", "items": {"type": "object", "properties": {
        "field": {"type": "string"}, "time": {"type": ["string", "null"]},
        "tsa": {"type": ["string", "null"]}, "valid": {"type": "boolean"},
        "intact": {"type": "boolean"}, "signature_valid": {"type": "boolean"},
        "trusted": {"type": "boolean"},
        "coverage": {"enum": ["entire_file", "entire_revision", "partial"]},
        "modifications": {"enum": ["none", "form_filling", "annotations", "other"]},
        "modifications_permitted": {"type": "boolean"},
        **_ETSI, **_COVERS, **_CHAIN}}},
    "verdict": {"enum": [str(v) for v in Verdict]},
    "policy_sha256": {"type": ["string", "null"]},
    "policy_version": {"type": ["string", "null"]},
    "trust_anchors_sha256": {"type": "string"},
    "trust_anchors": {"type": "object", "properties": {
        "name": {"type": "string"}, "sha256": {"type": "string"}}},
    "messages": _MESSAGES,
    "validated_at": {"type": ["string", "null"]},
    "revisions": {"type": "array", "items": {"$ref": "#/components/schemas/Revision"},
                  "description": "The revision view: one entry per revision of the "
                                 "file, oldest (the original document) first."}}}


class _Body(BaseModel):
    model_config = ConfigDict(extra="allow")


class Problem(_Body):
    """RFC 9457 problem details, in Vietnamese and English (``detail`` holds both)."""

    type: str
    title: str
    status: int
    detail: str
    code: str = Field(description="A stable slug: document-too-large, malformed-pdf, ...")
    detail_vi: str | None = None
    detail_en: str | None = None
    instance: str | None = Field(default=None, description="The request id")
    parameter: str | None = Field(default=None, description="400: the parameter that is wrong")
    request_id: str | None = Field(default=None, description="500 internal-error: the request "
                                                              "id, audited")


class Certificate(_Body):
    subject: str | None = None
    common_name: str | None = None
    issuer: str | None = None
    serial: str | None = None
    not_before: str | None = None
    not_after: str | None = None
    sha256: str | None = None


class Key(_Body):
    """A key this client may use (GET /v1/keys)."""

    id: str
    backend: Literal["pkcs11", "software"]
    algorithm: str | None = None
    key_size: int | None = None
    key_protection: Literal["hardware", "software"] | None = None
    certificate: Certificate | None = None


class KeyList(_Body):
    keys: list[Key]


class AuditRecord(_Body):
    """One audit record (more fields than these: the action's facts)."""

    sequence: int
    time: str
    action: str
    outcome: str
    prev_hash: str | None = None
    record_hash: str | None = None


class AuditEvents(_Body):
    events: list[AuditRecord]
    next_after_sequence: int | None = Field(description="Give it as after_sequence for the "
                                                        "next page; null at the end")


class Health(_Body):
    """GET /healthz: the process is up; which instance answered, on which database."""

    status: Literal["ok"]
    instance: str = Field(description="[service] instance_id (default host name:port)")
    database: Literal["sqlite", "postgresql"]


class Readiness(_Body):
    """GET /readyz: ``ready`` (200) or ``not-ready`` (503), and each check's result."""

    status: Literal["ready", "not-ready"]
    checks: dict[str, str] = Field(description="component -> ok or an error code")


class Document(_Body):
    """A document of the browser-signing workflow."""

    id: str
    title: str | None = None
    number: str | None = None
    assignee: str | None = None
    revision: int
    sha256: str
    pages: int | None = None
    state: str
    created_at: str | None = None
    updated_at: str | None = None


class DocumentList(_Body):
    documents: list[Document]


class Image(_Body):
    """A registered signature or seal image (no image bytes)."""

    name: str
    kind: Literal["signature", "seal"]
    key: str
    sha256: str
    width: int
    height: int
    diameter_mm: float | None = None


class ImageList(_Body):
    images: list[Image]


#: pydantic response models, by name in components/schemas
RESPONSE_MODELS: tuple[type[BaseModel], ...] = (
    Problem, Key, KeyList, AuditRecord, AuditEvents, Health, Readiness, Document, DocumentList,
    Image, ImageList)
#: JSON-schema response components, by name
COMPONENTS: dict[str, dict[str, Any]] = {
    "ValidationReport": _VALIDATION_REPORT,
    "Revision": _REVISION,
    "ChainCertificate": _CHAIN_CERTIFICATE,
    "BatchResult": _BATCH_RESULT,
}
