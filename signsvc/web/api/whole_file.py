"""Whole-file signing by an agent (VGCA style): one-time tickets, download, upload."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request

from signsvc.errors import BadRequest, Message
from signsvc.permissions import Permission, roles_for
from signsvc.services.context import RequestContext
from signsvc.web.auth import client_required, services
from signsvc.web.openapi import PDF_BINARY, PDF_BODY, Reply, documented
from signsvc.web.uploads import load_form, read_pdf_upload, too_large

api_whole_file = Blueprint("api_whole_file", __name__)

SIGNERS = roles_for(Permission.SIGN_IN_SESSION)


@api_whole_file.post("/documents/<doc_id>/whole-file-tickets")
@documented("Đường dẫn một lần cho phần mềm ký cả tệp / One-time URLs for whole-file agents",
            {201: Reply("download_url, upload_url, expires_at", {"application/json": None})},
            errors=(404, 409))
@client_required(*SIGNERS)
def whole_file_tickets(ctx: RequestContext, doc_id: str) -> tuple[Response, int]:
    """One-time download and upload URLs for an agent that signs the whole file."""
    return jsonify(services().whole_file.tickets(ctx, doc_id)), 201


@api_whole_file.get("/whole-file/<ticket>/download")
@documented("Tải bản cần ký (một lần) / Download the revision to sign (once)",
            {200: Reply("PDF", {"application/pdf": PDF_BINARY})}, errors=(403, 404))
def whole_file_download(ticket: str) -> Response:
    """The served revision; the one-time ticket in the URL is the credential."""
    ctx = RequestContext(g.request_id, client_address=request.remote_addr)
    return Response(services().whole_file.download(ctx, ticket), mimetype="application/pdf")


@api_whole_file.post("/whole-file/<ticket>/upload")
@documented("Tải lên tệp đã ký (một lần) / Upload the signed file (once)",
            {200: Reply("accepted: the new revision", {"application/json": None})},
            body={**PDF_BODY, "multipart/form-data": {
                "type": "object", "properties": {"uploadfile": PDF_BINARY, "file": PDF_BINARY}}},
            errors=(403, 404, 409, 422))
def whole_file_upload(ticket: str) -> Response:
    """The signed file (raw body, or multipart ``uploadfile`` as the VGCA agent sends it)."""
    svc = services()
    ctx = RequestContext(g.request_id, client_address=request.remote_addr)
    limit = svc.settings.service.max_document_bytes
    if request.mimetype == "multipart/form-data":
        load_form(request, limit)
        upload = request.files.get("uploadfile") or request.files.get("file")
        if upload is None:
            raise BadRequest(Message("Thiếu trường 'uploadfile'.", "The 'uploadfile' part is missing."))
        data = upload.stream.read(limit + 1)
        if len(data) > limit:
            raise too_large(limit)
    else:
        data = read_pdf_upload(request, limit)
    doc = svc.whole_file.upload(ctx, ticket, data)
    return jsonify({"Status": 0, "document": doc.as_dict()})
