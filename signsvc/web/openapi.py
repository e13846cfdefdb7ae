"""The OpenAPI 3.1 document of the HTTP API (kept next to the routes it describes)."""

from __future__ import annotations

from typing import Any

from signsvc import __version__

_PROBLEM = {"$ref": "#/components/schemas/Problem"}
_PDF_BODY = {
    "required": True,
    "content": {
        "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                           "properties": {"file": {"type": "string",
                                                                   "format": "binary"}}}},
    },
}


def _errors(*codes: int) -> dict[str, Any]:
    texts = {400: "Bad parameter or body", 401: "Missing or wrong token",
             403: "Role or key not allowed (or the policy refused)",
             404: "Unknown key or not found", 409: "Agency seal before the official's signature",
             413: "Document too large", 415: "Unsupported media type (not a PDF upload)",
             422: "Not a PDF, malformed or encrypted PDF; extend: not-signed, signature-not-extendable "
                  "(revoked, untrusted or expired signer)",
             503: "token-unavailable, timestamp-unavailable (no TSA answered correctly), "
                  "revocation-unavailable (no OCSP/CRL for B-LT/B-LTA; no document returned), "
                  "signing-timeout ([service] signing_timeout_seconds passed; no document "
                  "returned, audited) or audit-unavailable (the audit log cannot be written or "
                  "its chain is broken: closed until an operator acknowledges)"}
    return {str(c): {"description": texts[c],
                     "content": {"application/problem+json": {"schema": _PROBLEM}}} for c in codes}


_SIGNATURE_WARNINGS = {
    "description": "Set only when the document was signed at a lower level than asked, as "
                   "[timestamp]/[revocation] on_unavailable = \"downgrade\" allows (audited): "
                   "comma-separated timestamp-unavailable (no TSA: B-B), revocation-unavailable "
                   "(no OCSP/CRL: B-T). X-Signature-Level is the level actually made.",
    "schema": {"type": "string"}}


def _level_headers(*extra: str) -> dict[str, Any]:
    h = {"X-Signature-Level": {"description": "The level the document now carries",
                               "schema": {"enum": ["B-B", "B-T", "B-LT", "B-LTA"]}},
         "X-Document-SHA256": {"schema": {"type": "string"}},
         "X-Audit-Sequence": {"schema": {"type": "string"}}}
    if "warnings" in extra:
        h["X-Signature-Warnings"] = _SIGNATURE_WARNINGS
    return h


def _q(name: str, desc: str, required: bool = False, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": required, "description": desc,
            "schema": schema or {"type": "string"}}


_APPEARANCE_PARAMS = [
    _q("page", "Page number (from 1) for rect"),
    _q("rect", "x1,y1,x2,y2 in PDF points (origin bottom left)"),
    _q("anchor", "Text on the page; the box is centred on it (official: the name line)"),
    _q("anchor_position", "above (default) | below the anchor"),
    _q("size", "width,height in points of the box placed at an anchor"),
    _q("over_field", "seal: the official's signed field whose image the seal covers"),
    _q("image", "official, seal: name of an image registered for this key"),
    _q("doc_number", "attachment: the parent document's number and symbol"),
    _q("attachment_mode", "WF-5, judged by the policy rule workflow.attachments: separate_file "
       "(each attachment a file of its own, stamped with profile=attachment) | same_file "
       "(attachments inside the main document: profile=attachment is refused, 422 "
       "attachment-mode)", schema={"enum": ["separate_file", "same_file"]}),
    _q("copy_kind", "copy", schema={"enum": ["sao-y", "sao-luc", "trich-sao"]}),
    _q("agency", "copy, text, vgca-compat: agency name (default: the certificate's O)"),
    _q("name", "official: name line under the image; text: signer (default: certificate CN)"),
    _q("email", "vgca-compat: e-mail line"),
    _q("lines", "text, vgca-compat: comma list of signer, email, agency, time"),
]


_COVERS = {
    "revision": {"type": ["integer", "null"],
                 "description": "The revision (1 = original) its signed range ends with: the one whose "
                                "end_offset is the end of the /ByteRange, else the revision that wrote "
                                "the signature dictionary."},
    "byte_range": {"type": ["array", "null"], "items": {"type": "integer"}, "minItems": 4, "maxItems": 4,
                   "description": "The /ByteRange as written in the file; null when it is not four integers."},
}
_CHAIN = {
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
_CHAIN_CERTIFICATE = {
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
_REVISION = {
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
_BATCH_RESULT = {
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

_MESSAGES = {"type": "object", "description": "Plain reasons, Vietnamese and English",
             "properties": {"vi": {"type": "array", "items": {"type": "string"}},
                            "en": {"type": "array", "items": {"type": "string"}}}}
#: ETSI EN 319 102-1 conclusion of one signature or document timestamp (README: verdict table)
_ETSI = {"indication": {"enum": ["TOTAL-PASSED", "TOTAL-FAILED", "INDETERMINATE"]},
         "sub_indication": {"type": ["string", "null"],
                            "description": "e.g. HASH_FAILURE, SIG_CRYPTO_FAILURE, FORMAT_FAILURE, "
                                           "NO_CERTIFICATE_CHAIN_FOUND, TRY_LATER, "
                                           "CRYPTO_CONSTRAINTS_FAILURE_NO_POE, GENERIC"},
         "messages": _MESSAGES}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 description of /v1 and the operational endpoints, every operation
    testable from it (see :func:`_complete`)."""
    return _complete(_document())


_PATH_PARAM = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9_-]+$"}
_SESSION_STEP1 = {"type": "object", "required": ["document_id", "certificate"], "properties": {
    "document_id": {"type": "string"}, "certificate": {"type": "string", "description": "base64 DER"},
    "level": {"enum": ["B-B", "B-T", "B-LT", "B-LTA"]}, "eservice": {"enum": ["level3", "level4", "copy"]},
    "rsa_padding": {"enum": ["pss", "pkcs1v15"]}, "field": {"type": "string"},
    "appearance": {"type": "object", "required": ["profile"],
                   "additionalProperties": {"type": "string"}}}}
_SESSION_STEP3 = {"type": "object", "required": ["signature"], "properties": {
    "signature": {"type": "string", "description": "base64 raw signature"},
    "certificate": {"type": "string", "description": "base64 DER, must be step 1's"}}}
_JSON_BODIES = {("/v1/signing-sessions", "post"): _SESSION_STEP1,
                ("/v1/signing-sessions/{id}/signature", "post"): _SESSION_STEP3}


def _complete(doc: dict[str, Any]) -> dict[str, Any]:
    """Declare what every operation can answer, so that a client (or schemathesis) can test
    it from the document alone: path parameters; 401 and 403 (role or key) on every
    operation behind the bearer token; 400, 413 and 415 on every operation with a body; the
    JSON bodies of the signing-session steps."""
    for path, item in doc["paths"].items():
        names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
        for method, op in item.items():
            if names:  # on each operation (the /docs page lists operations, not path items)
                op["parameters"] = [{"name": n, "in": "path", "required": True,
                                     "schema": _PATH_PARAM} for n in names] + op.get("parameters", [])
            body = _JSON_BODIES.get((path, method))
            if body is not None:
                op["requestBody"] = {"required": True,
                                     "content": {"application/json": {"schema": body}}}
            wanted = []
            if op.get("security") != []:
                wanted += [401, 403]
            if "requestBody" in op or method in ("post", "put", "patch"):
                wanted += [400, 413, 415]
            for code, error in _errors(*wanted).items():
                op["responses"].setdefault(code, error)
    return doc


def _document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "signsvc", "version": __version__,
                 "description": "Dịch vụ ký số và xác thực tài liệu PDF (PAdES) / "
                                "Digital signature and verification service for PDF (PAdES)."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Problem": {"type": "object", "required": ["type", "title", "status", "detail", "code"],
                            "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                                           "status": {"type": "integer"}, "detail": {"type": "string"},
                                           "detail_vi": {"type": "string"}, "detail_en": {"type": "string"},
                                           "code": {"type": "string"},
                                           "instance": {"type": ["string", "null"],
                                                        "description": "the request id"},
                                           "request_id": {"type": "string",
                                                          "description": "500 internal-error: the "
                                                                         "request id, audited"}}},
                "Key": {"type": "object", "properties": {
                    "id": {"type": "string"}, "backend": {"enum": ["pkcs11", "software"]},
                    "algorithm": {"type": "string"}, "key_size": {"type": "integer"},
                    "key_protection": {"enum": ["hardware", "software"]},
                    "certificate": {"type": "object", "properties": {
                        k: {"type": "string"} for k in ("subject", "common_name", "issuer", "serial",
                                                        "not_before", "not_after", "sha256")}}}},
                "ValidationReport": {"type": "object", "required": ["document", "signatures", "verdict"],
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
                        "level": {"enum": ["B-B", "B-T", "B-LT", "B-LTA", "none"]},
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
                    "verdict": {"enum": ["valid", "valid_modified_after", "invalid", "indeterminate",
                                         "unsigned"]},
                    "policy_sha256": {"type": ["string", "null"]},
                    "policy_version": {"type": ["string", "null"]},
                    "trust_anchors_sha256": {"type": "string"},
                    "trust_anchors": {"type": "object", "properties": {
                        "name": {"type": "string"}, "sha256": {"type": "string"}}},
                    "messages": _MESSAGES,
                    "validated_at": {"type": ["string", "null"]},
                    "revisions": {"type": "array", "items": {"$ref": "#/components/schemas/Revision"},
                                  "description": "The revision view: one entry per revision of the "
                                                 "file, oldest (the original document) first."}}},
                "Revision": _REVISION,
                "ChainCertificate": _CHAIN_CERTIFICATE,
                "BatchResult": _BATCH_RESULT,
                "AuditRecord": {"type": "object", "properties": {
                    "sequence": {"type": "integer"}, "time": {"type": "string"},
                    "action": {"type": "string"}, "outcome": {"type": "string"},
                    "prev_hash": {"type": "string"}, "record_hash": {"type": "string"}}},
            },
        },
        "security": [{"bearer": []}],
        "paths": {
            "/healthz": {"get": {"summary": "Tiến trình đang chạy / Process is up", "security": [],
                                 "responses": {"200": {"description": '{"status": "ok"}'}}}},
            "/readyz": {"get": {"summary": "Sẵn sàng phục vụ / Ready (keys, audit log)", "security": [],
                                "responses": {"200": {"description": "ready"},
                                              "503": {"description": "not ready, with the reason: "
                                                      "checks per key and store; audit_chain names "
                                                      "the first broken record when the audit "
                                                      "chain is broken"}}}},
            "/v1/keys": {"get": {"summary": "Các khóa máy khách được dùng / Keys this client may use",
                                 "responses": {"200": {"description": "keys", "content": {
                                     "application/json": {"schema": {"type": "object", "properties": {
                                         "keys": {"type": "array",
                                                  "items": {"$ref": "#/components/schemas/Key"}}}}}}},
                                               **_errors(401)}}},
            "/v1/sign": {"post": {
                "summary": "Ký PDF (PAdES) / Sign a PDF (PAdES)",
                "description": "Roles: portal, clerk. The key must be granted to the client.",
                "parameters": [_q("key", "Key id", True),
                               _q("level", "Signature level", schema={"enum": ["B-B", "B-T", "B-LT", "B-LTA"]}),
                               _q("reason", "Reason (≤200 chars)"), _q("location", "Location (≤200 chars)"),
                               _q("field", "Signature field name (an existing empty field: placement)"),
                               _q("profile", "Visible signature (Decree 30/2020, App. I)", schema={
                                   "enum": ["official", "seal", "attachment", "copy", "text",
                                            "vgca-compat"]}),
                               *_APPEARANCE_PARAMS,
                               _q("eservice", "E-service profile for the policy",
                                  schema={"enum": ["level3", "level4", "copy"]})],
                "requestBody": _PDF_BODY,
                "responses": {"200": {"description": "The signed PDF; headers X-Signature-Level, "
                                                     "X-Document-SHA256, X-Audit-Sequence, "
                                                     "X-Policy-SHA256, X-Policy-Warnings, "
                                                     "X-Signature-Warnings",
                                      "headers": _level_headers("warnings"),
                                      "content": {"application/pdf": {}}},
                              **_errors(400, 401, 403, 404, 409, 413, 415, 422, 503)}}},
            "/v1/images": {
                "post": {"summary": "Đăng ký ảnh chữ ký/con dấu / Register a signature or seal image "
                                    "(admin)",
                         "description": "PNG, 8-bit with alpha and some transparency, within the "
                                        "[appearance] limits; bound to one key (a seal only to an "
                                        "agency-seal key); never replaced.",
                         "parameters": [_q("name", "Image name", True),
                                        _q("kind", "signature | seal", True,
                                           schema={"enum": ["signature", "seal"]}),
                                        _q("key", "Key id", True),
                                        _q("diameter_mm", "seal: physical diameter in mm")],
                         "requestBody": {"required": True, "content": {"image/png": {}}},
                         "responses": {"201": {"description": "name, kind, key, sha256, width, "
                                                              "height, diameter_mm"},
                                       **_errors(400, 401, 403, 404, 415, 422)}},
                "get": {"summary": "Các ảnh đã đăng ký / Registered images (admin, auditor)",
                        "responses": {"200": {"description": "images (no image bytes)"},
                                      **_errors(401, 403)}}},
            "/v1/policy": {"get": {
                "summary": "Chính sách đang áp dụng / The policy in force (admin, auditor)",
                "responses": {"200": {"description": "version, sha256, rules, text"},
                              **_errors(401, 403)}}},
            "/v1/policy/evaluate": {"post": {
                "summary": "Thử quyết định của chính sách, không ký / Policy dry run, signs nothing",
                "description": "Same parameters as /v1/sign; the PDF body is optional. Admins and "
                               "auditors may add client=NAME to evaluate for another client. "
                               "With profile=…, the visible signature is checked as /v1/sign "
                               "checks it (image for this key and profile; with the PDF, the "
                               "page, box, anchor or field) and reported as the result "
                               "`appearance.visible-signature` (denying; its `evaluated` holds "
                               "the status 422, code and parameter /v1/sign would answer; "
                               "`skip` when no PDF is given).",
                "parameters": [_q("key", "Key id", True), _q("level", "Signature level"),
                               _q("eservice", "level3 | level4 | copy"), _q("client", "Client name"),
                               _q("field", "Signature field name (see /v1/sign)"),
                               _q("profile", "Visible signature profile (see /v1/sign)"),
                               *_APPEARANCE_PARAMS],
                "responses": {"200": {"description": "decision, denied_by, warnings, every rule with "
                                                     "its outcome and reason, and the facts"},
                              **_errors(400, 401, 403, 404, 413, 415)}}},
            "/v1/verify": {"post": {
                "summary": "Xác thực chữ ký PDF / Verify a PDF's signatures",
                "description": "Content negotiation with `Accept`: `application/json` (default, also "
                               "for `*/*` or no header) the report; `text/html` the report page "
                               "(Vietnamese; `?lang=en` or `Accept-Language: en` for English); "
                               "`application/pdf` the filed report: Vietnamese then English, naming "
                               "the tool version, the policy SHA-256 and version, the trust anchors "
                               "(name, SHA-256 of the set, each anchor's subject and SHA-256) and the "
                               "validation time, signed by `[reports] key` (B-T when a TSA is "
                               "configured) and audited as `reports:report:issued` (document SHA-256 "
                               "in, report SHA-256 out); 503 `report-unavailable` without a report "
                               "key (audited `reports:report:failed`). Any other `Accept`: 406 "
                               "`not-acceptable`.",
                "parameters": [_q("lang", "text/html only: vi (default) or en")],
                "requestBody": _PDF_BODY,
                "responses": {"200": {
                    "description": "Validation report (JSON), report page (HTML) or signed PDF report; "
                                   "PDF: headers X-Document-SHA256, X-Report-SHA256, X-Signature-Level, "
                                   "X-Verdict, X-Audit-Sequence",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ValidationReport"}},
                        "text/html": {"schema": {"type": "string"}},
                        "application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                    "406": {"description": "not-acceptable: Accept names no report format",
                            "content": {"application/problem+json": {
                                "schema": {"$ref": "#/components/schemas/Problem"}}}},
                    **_errors(401, 413, 415, 422, 503)}}},
            "/v1/verify/batch": {"post": {
                "summary": "Kiểm tra lô văn bản đến: tiếp nhận hoặc trả lại từng tệp / Batch intake: "
                           "accept or return each file (VAL-9)",
                "description": "Any client. `multipart/form-data` with one `file` part per document. "
                               "Each file is verified and gets `accept` or `return` with the reason "
                               "(Vietnamese, English) by the policy's intake rule "
                               "`intake.accepted-verdicts` (default: only `valid`; `invalid` is never "
                               "accepted). A file that is not a PDF, damaged, encrypted or over "
                               "`[service] max_document_bytes` is a `return` with the reason, never a "
                               "failure of the batch. Bounds `[service] batch_max_files` (20) and "
                               "`batch_max_bytes` (100 MiB) are checked before any file is verified: "
                               "over either, 413 `document-too-large` and nothing is checked (audited "
                               "`validation:batch:rejected`). One audit record per file: "
                               "`validation:batch:accepted` / `validation:batch:returned` with its SHA-256, "
                               "verdict, decision and the batch id.",
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "properties": {"file": {
                        "type": "array", "items": {"type": "string", "format": "binary"}}}}}}},
                "responses": {"200": {"description": "one decision per file, in the order sent",
                                      "content": {"application/json": {
                                          "schema": {"$ref": "#/components/schemas/BatchResult"}}}},
                              **_errors(400, 401, 413, 415, 503)}}},
            "/v1/audit/events": {"get": {
                "summary": "Nhật ký kiểm toán / Audit records (auditor, admin)",
                "parameters": [_q("since", "ISO 8601, inclusive"), _q("until", "ISO 8601, exclusive"),
                               _q("actor", "Client name"), _q("action", "Action tag"),
                               _q("document_sha256", "Input or output SHA-256"),
                               _q("key", "Key id used"),
                               _q("after_sequence", "Page after this sequence", schema={"type": "integer"}),
                               _q("limit", "At most 1000", schema={"type": "integer"})],
                "responses": {"200": {"description": "records, oldest first", "content": {
                    "application/json": {"schema": {"type": "object", "properties": {
                        "events": {"type": "array", "items": {"$ref": "#/components/schemas/AuditRecord"}},
                        "next_after_sequence": {"type": ["integer", "null"]}}}}}},
                    **_errors(400, 401, 403)}}},
            "/v1/audit/verify": {"get": {
                "summary": "Kiểm tra chuỗi băm nhật ký / Verify the audit hash chain",
                "description": "The chain, and the log against its signed checkpoints: a truncated "
                               "tail or a rewritten and re-chained log is named in findings.",
                "responses": {"200": {"description": '{"ok", "checked", "first_bad_sequence", '
                                                     '"last_checkpoint", "findings", "messages", ...}'},
                              **_errors(401, 403)}}},
            "/v1/audit/checkpoints": {"get": {
                "summary": "Điểm kiểm soát đã ký / Signed checkpoints of the chain head",
                "parameters": [_q("after_index", "Page on", schema={"type": "integer"}),
                               _q("limit", "At most 1000", schema={"type": "integer"}),
                               _q("signatures", "1: add the base64 DER CMS signature and RFC 3161 token")],
                "responses": {"200": {"description": '{"checkpoints": [...], "enabled", "every_records", '
                                                     '"every_seconds", "next_after_index"}'},
                              **_errors(400, 401, 403)}}},
            "/v1/audit/export": {"get": {
                "summary": "Xuất nhật ký để kiểm tra ngoại tuyến / Export the log for offline verification",
                "description": "Records from `since` to a fresh signed checkpoint, the checkpoints with "
                               "signatures and tokens, certificates and the anchors' hashes (JSON); "
                               "check it with `signsvc audit verify FILE --trust ROOT.pem`. Audited.",
                "parameters": [_q("since", "ISO-8601 date or date-time")],
                "responses": {"200": {"description": "the export (signsvc-audit-export/1)",
                                      "content": {"application/json": {}}},
                              **_errors(400, 401, 403, 503)}}},
            "/v1/extend": {"post": {
                "summary": "Nâng cấp chữ ký lên B-LT/B-LTA / Extend signatures to B-LT or B-LTA",
                "parameters": [_q("level", "B-LT (default) or B-LTA", schema={"enum": ["B-LT", "B-LTA"]})],
                "requestBody": _PDF_BODY,
                "description": "Roles: portal, clerk. Every signature keeps verifying (incremental "
                               "updates only). A signature without a signature timestamp first gets a "
                               "document timestamp as its time proof. On a B-LTA document, B-LTA adds "
                               "a new archive timestamp (renewal). Never downgrades: an outage is 503.",
                "responses": {"200": {"description": "The extended PDF", "headers": _level_headers(),
                                      "content": {"application/pdf": {}}},
                              **_errors(400, 401, 403, 413, 415, 422, 503)}}},
            "/v1/documents": {
                "post": {"summary": "Tài liệu chờ cán bộ ký / A document awaiting an official",
                         "description": "multipart: file, title, number, assignee (an official's account)",
                         "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                             "type": "object", "required": ["file", "title", "number", "assignee"],
                             "properties": {"file": {"type": "string", "format": "binary"},
                                            "title": {"type": "string"}, "number": {"type": "string"},
                                            "assignee": {"type": "string"}}}}}},
                         "responses": {"201": {"description": "the document"}, **_errors(400, 401, 403, 413, 422)}},
                "get": {"summary": "Tài liệu chờ tôi ký / Documents awaiting me",
                        "responses": {"200": {"description": "documents"}, **_errors(401)}}},
            "/v1/documents/{id}": {"get": {"summary": "Thông tin tài liệu / Document metadata",
                                           "responses": {"200": {"description": "metadata"}, **_errors(401, 404)}}},
            "/v1/documents/{id}/content": {"get": {"summary": "Bản hiện hành / Current revision (PDF)",
                                                   "responses": {"200": {"description": "PDF"}, **_errors(401, 404)}}},
            "/v1/signing-sessions": {"post": {
                "summary": "Bước 1: chuẩn bị ký / Step 1: prepare",
                "description": 'JSON {"document_id", "certificate": base64 DER, "level" (B-B, B-T, '
                               'B-LT, B-LTA), "eservice", "rsa_padding", "appearance": {"profile", '
                               '"page", "rect", ...}, "field": an existing empty signature field} '
                               '-> hash, hash_algorithm, signature_algorithm, '
                               'pss_salt_length, data_to_sign, document, expires_at',
                "responses": {"201": {"description": "the session"}, **_errors(400, 401, 403, 404, 422, 503)}}},
            "/v1/signing-sessions/{id}": {
                "get": {"summary": "Trạng thái phiên / Session status",
                        "responses": {"200": {"description": "status"}, **_errors(401, 404)}},
                "delete": {"summary": "Hủy phiên / Cancel", "responses": {"204": {"description": "cancelled"},
                                                                         **_errors(401, 404, 409)}}},
            "/v1/signing-sessions/{id}/signature": {"post": {
                "summary": "Bước 3: gắn chữ ký / Step 3: embed the signature",
                "description": 'JSON {"signature": base64 raw signature, "certificate"?}',
                "responses": {"200": {"description": "the signed PDF", "content": {"application/pdf": {}}},
                              **_errors(400, 401, 404, 409, 503)}}},
            "/v1/documents/{id}/whole-file-tickets": {"post": {
                "summary": "Đường dẫn một lần cho phần mềm ký cả tệp / One-time URLs for whole-file agents",
                "responses": {"201": {"description": "download_url, upload_url, expires_at"},
                              **_errors(401, 403, 404)}}},
            "/v1/whole-file/{ticket}/download": {"get": {
                "summary": "Tải bản cần ký (một lần) / Download the revision to sign (once)", "security": [],
                "responses": {"200": {"description": "PDF"}, **_errors(403)}}},
            "/v1/whole-file/{ticket}/upload": {"post": {
                "summary": "Tải lên tệp đã ký (một lần) / Upload the signed file (once)", "security": [],
                "responses": {"200": {"description": "accepted: the new revision"},
                              **_errors(400, 403, 409, 413, 422)}}},
            "/openapi.json": {"get": {"summary": "This document", "security": [],
                                      "responses": {"200": {"description": "OpenAPI 3.1"}}}},
            "/docs": {"get": {"summary": "Human-readable API page", "security": [],
                              "responses": {"200": {"description": "HTML"}}}},
        },
    }
