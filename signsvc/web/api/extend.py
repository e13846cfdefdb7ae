"""POST /v1/extend: upgrade the signatures of a signed PDF to B-LT or B-LTA."""

from __future__ import annotations

from flask import Blueprint, Response, request

from signsvc.services.context import RequestContext
from signsvc.web.auth import client_required, services
from signsvc.web.uploads import read_pdf_upload

api_extend = Blueprint("api_extend", __name__)

EXTENDERS = ("portal", "clerk")


@api_extend.post("/extend")
@client_required(*EXTENDERS)
def extend(ctx: RequestContext):
    """Upgrade the signatures of a signed PDF to ?level=B-LT|B-LTA."""
    svc = services()
    data = read_pdf_upload(request, svc.settings.service.max_document_bytes)
    result = svc.extend.extend(ctx, data, request.args.get("level") or "B-LT")
    resp = Response(result.data, mimetype="application/pdf")
    resp.headers["X-Signature-Level"] = result.level
    resp.headers["X-Document-SHA256"] = result.sha256
    resp.headers["X-Audit-Sequence"] = str(result.audit_sequence)
    return resp
