"""POST /v1/sign: sign a PDF (PAdES) with a key granted to the client."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, Response, request

from signsvc.errors import SignsvcError
from signsvc.permissions import Permission, roles_for
from signsvc.services.context import RequestContext
from signsvc.services.signing_requests import SignatureRequest
from signsvc.web.auth import client_required, services
from signsvc.web.headers import content_disposition, header_text
from signsvc.web.idempotency import PARAMETER as IDEMPOTENCY_KEY
from signsvc.web.idempotency import REPLAYED, idempotent
from signsvc.web.openapi import PDF_BINARY, PDF_BODY, Reply, documented
from signsvc.web.schemas.common import parse_query
from signsvc.web.schemas.sign import SignQuery
from signsvc.web.uploads import read_pdf_upload

api_sign = Blueprint("api_sign", __name__)

SIGN_ROLES = roles_for(Permission.SIGN_DOCUMENT)


def _sign_request(args: Mapping[str, str]) -> tuple[str, SignatureRequest]:
    """The key and the signature request of the query (:class:`SignQuery`)."""
    return parse_query(SignQuery, args).signature_request(
        services().settings.service.default_level)


@api_sign.post("/sign")
@documented(
    "Ký PDF (PAdES) / Sign a PDF (PAdES)",
    {200: Reply("The signed PDF", {"application/pdf": PDF_BINARY}, {
        "X-Signature-Level": "The level the document now carries (B-B, B-T, B-LT, B-LTA)",
        "X-Document-SHA256": "SHA-256 of the signed PDF",
        "X-Audit-Sequence": "The audit record of the signature",
        "X-Key-Protection": "hardware or software",
        "X-Policy-SHA256": "SHA-256 of the policy in force",
        "X-Policy-Version": "The policy's version (percent-encoded when not ASCII)",
        "X-Policy-Warnings": "Rules that warned, comma-separated",
        "X-Signature-Warnings": "Set only when the document was signed at a lower level than "
                                "asked, as [timestamp]/[revocation] on_unavailable = \"downgrade\" "
                                "allows (audited): timestamp-unavailable (no TSA: B-B), "
                                "revocation-unavailable (no OCSP/CRL: B-T)",
        REPLAYED: "true: the stored answer to an earlier request with this Idempotency-Key"})},
    description="Roles: portal, clerk. The key must be granted to the client.",
    query=SignQuery, body=PDF_BODY, errors=(404, 409, 422, 503), headers=(IDEMPOTENCY_KEY,))
@client_required(*SIGN_ROLES)
def sign(ctx: RequestContext) -> Response:
    """The signed PDF and what it carries in headers; a refused request is audited."""
    svc = services()
    try:
        key_id, sig_request = _sign_request(request.args)
        data = read_pdf_upload(request, svc.settings.service.max_document_bytes)
    except SignsvcError as exc:
        svc.signing.reject(ctx, exc, request.args.get("key"), request.args.get("level"))
        raise
    return idempotent(ctx, "sign", data, lambda: _signed(ctx, key_id, data, sig_request))


def _signed(ctx: RequestContext, key_id: str, data: bytes,
            sig_request: SignatureRequest) -> Response:
    """Sign and answer (once per Idempotency-Key: ``signsvc.web.idempotency``)."""
    result = services().signing.sign(ctx, key_id, data, sig_request)
    resp = Response(result.data, mimetype="application/pdf")
    resp.headers["X-Signature-Level"] = result.level
    resp.headers["X-Document-SHA256"] = result.sha256
    resp.headers["X-Audit-Sequence"] = str(result.audit_sequence)
    resp.headers["X-Key-Protection"] = "hardware" if result.key.backend == "pkcs11" else "software"
    resp.headers["X-Policy-SHA256"] = result.policy_sha256
    resp.headers["X-Policy-Version"] = header_text(result.policy_version)
    if result.policy_warnings:
        resp.headers["X-Policy-Warnings"] = header_text(",".join(result.policy_warnings))
    if result.level_warnings:
        resp.headers["X-Signature-Warnings"] = ",".join(result.level_warnings)
    resp.headers["Content-Disposition"] = content_disposition("signed.pdf")
    return resp
