"""POST /v1/extend: upgrade the signatures of a signed PDF to B-LT or B-LTA."""

from __future__ import annotations

from flask import Blueprint, Response, request

from signsvc.names import PadesLevel
from signsvc.permissions import Permission, roles_for
from signsvc.services.context import RequestContext
from signsvc.web.auth import client_required, services
from signsvc.web.idempotency import PARAMETER as IDEMPOTENCY_KEY
from signsvc.web.idempotency import REPLAYED, idempotent
from signsvc.web.openapi import PDF_BINARY, PDF_BODY, Reply, documented
from signsvc.web.schemas.common import parse_query
from signsvc.web.schemas.documents import ExtendQuery
from signsvc.web.uploads import read_pdf_upload

api_extend = Blueprint("api_extend", __name__)

EXTENDERS = roles_for(Permission.EXTEND_DOCUMENT)


@api_extend.post("/extend")
@documented(
    "Nâng cấp chữ ký lên B-LT/B-LTA / Extend signatures to B-LT or B-LTA",
    {200: Reply("The extended PDF", {"application/pdf": PDF_BINARY}, {
        "X-Signature-Level": "The level the document now carries",
        "X-Document-SHA256": "SHA-256 of the extended PDF",
        "X-Audit-Sequence": "The audit record of the extension",
        REPLAYED: "true: the stored answer to an earlier request with this Idempotency-Key"})},
    description="Roles: portal, clerk. Every signature keeps verifying (incremental updates "
                "only). A signature without a signature timestamp first gets a document "
                "timestamp as its time proof. On a B-LTA document, B-LTA adds a new archive "
                "timestamp (renewal). Never downgrades: an outage is 503.",
    query=ExtendQuery, body=PDF_BODY, errors=(409, 422, 503), headers=(IDEMPOTENCY_KEY,))
@client_required(*EXTENDERS)
def extend(ctx: RequestContext) -> Response:
    """Upgrade the signatures of a signed PDF to ?level=B-LT|B-LTA."""
    svc = services()
    data = read_pdf_upload(request, svc.settings.service.max_document_bytes)
    level = parse_query(ExtendQuery, request.args).level or PadesLevel.B_LT

    def extended() -> Response:
        result = svc.extend.extend(ctx, data, level)
        resp = Response(result.data, mimetype="application/pdf")
        resp.headers["X-Signature-Level"] = result.level
        resp.headers["X-Document-SHA256"] = result.sha256
        resp.headers["X-Audit-Sequence"] = str(result.audit_sequence)
        return resp
    return idempotent(ctx, "extend", data, extended)
