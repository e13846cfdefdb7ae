"""/v1/documents: documents awaiting an official (upload, list, metadata, content)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from signsvc.services.context import RequestContext
from signsvc.web.auth import client_required, services
from signsvc.web.uploads import read_pdf_upload

api_documents = Blueprint("api_documents", __name__)

ASSIGNERS = ("portal", "clerk", "admin")


@api_documents.post("/documents")
@client_required(*ASSIGNERS)
def create_document(ctx: RequestContext):
    """Upload a document awaiting an official (multipart: file, title, number, assignee)."""
    svc = services()
    data = read_pdf_upload(request, svc.settings.service.max_document_bytes)
    form = request.form if request.mimetype == "multipart/form-data" else request.args
    doc = svc.documents.create(ctx, data, form.get("title", ""), form.get("number", ""),
                               form.get("assignee", ""))
    return jsonify(doc.as_dict()), 201


@api_documents.get("/documents")
@client_required()
def awaiting(ctx: RequestContext):
    return jsonify({"documents": [d.as_dict() for d in services().documents.awaiting(ctx)]})


@api_documents.get("/documents/<doc_id>")
@client_required()
def document(ctx: RequestContext, doc_id: str):
    return jsonify(services().documents.visible(ctx, doc_id).as_dict())


@api_documents.get("/documents/<doc_id>/content")
@client_required()
def document_content(ctx: RequestContext, doc_id: str):
    doc, data = services().documents.content(ctx, doc_id)
    resp = Response(data, mimetype="application/pdf")
    resp.headers["X-Document-SHA256"] = doc.sha256
    resp.headers["X-Document-Revision"] = str(doc.revision)
    return resp
