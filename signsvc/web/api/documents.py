"""/v1/documents: documents awaiting an official (upload, list, metadata, content)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from signsvc.errors import SignsvcError
from signsvc.permissions import Permission, roles_for
from signsvc.services.context import RequestContext
from signsvc.web.auth import client_required, services
from signsvc.web.openapi import PDF_BINARY, Reply, documented
from signsvc.web.schemas.common import parse_object
from signsvc.web.schemas.documents import DocumentForm
from signsvc.web.uploads import read_pdf_upload

api_documents = Blueprint("api_documents", __name__)

ASSIGNERS = roles_for(Permission.ASSIGN_DOCUMENT)
_FORM = {"type": "object", "required": ["file", "title", "number", "assignee"],
         "properties": {"file": PDF_BINARY, "title": {"type": "string"},
                        "number": {"type": "string"}, "assignee": {"type": "string"}}}


@api_documents.post("/documents")
@documented("Tài liệu chờ cán bộ ký / A document awaiting an official",
            {201: Reply("the document", {"application/json": "Document"})},
            description="multipart: file, title, number, assignee (an official's account)",
            body={"multipart/form-data": _FORM}, errors=(422,))
@client_required(*ASSIGNERS)
def create_document(ctx: RequestContext) -> tuple[Response, int]:
    """Upload a document awaiting an official (multipart: file, title, number, assignee)."""
    svc = services()
    try:
        data = read_pdf_upload(request, svc.settings.service.max_document_bytes)
        form = parse_object(DocumentForm, request.form if request.mimetype == "multipart/form-data"
                            else request.args)
    except SignsvcError as exc:
        svc.documents.reject(ctx, exc)
        raise
    doc = svc.documents.create(ctx, data, form.title, form.number, form.assignee)
    return jsonify(doc.as_dict()), 201


@api_documents.get("/documents")
@documented("Tài liệu chờ tôi ký / Documents awaiting me",
            {200: Reply("documents", {"application/json": "DocumentList"})})
@client_required()
def awaiting(ctx: RequestContext) -> Response:
    return jsonify({"documents": [d.as_dict() for d in services().documents.awaiting(ctx)]})


@api_documents.get("/documents/<doc_id>")
@documented("Thông tin tài liệu / Document metadata",
            {200: Reply("metadata", {"application/json": "Document"})}, errors=(404,))
@client_required()
def document(ctx: RequestContext, doc_id: str) -> Response:
    return jsonify(services().documents.visible(ctx, doc_id).as_dict())


@api_documents.get("/documents/<doc_id>/content")
@documented("Bản hiện hành / Current revision (PDF)",
            {200: Reply("PDF", {"application/pdf": PDF_BINARY},
                        {"X-Document-SHA256": "SHA-256 of this revision",
                         "X-Document-Revision": "Its revision number"})}, errors=(404,))
@client_required()
def document_content(ctx: RequestContext, doc_id: str) -> Response:
    doc, data = services().documents.content(ctx, doc_id)
    resp = Response(data, mimetype="application/pdf")
    resp.headers["X-Document-SHA256"] = doc.sha256
    resp.headers["X-Document-Revision"] = str(doc.revision)
    return resp
