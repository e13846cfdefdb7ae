"""/v1/documents and /v1/signing-sessions: the three-step browser signing API."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from signsvc.errors import BadRequest, Message, SignsvcError
from signsvc.services.context import RequestContext
from signsvc.settings import LEVELS
from signsvc.web.appearance_params import parse_appearance
from signsvc.web.auth import client_required, services
from signsvc.web.jsonbody import json_object
from signsvc.web.headers import content_disposition
from signsvc.web.uploads import load_form, read_pdf_upload, too_large

api_sessions = Blueprint("api_sessions", __name__)

ASSIGNERS = ("portal", "clerk", "admin")
SIGNERS = ("official", "clerk")
MAX_JSON = 64 * 1024


def _json() -> dict:
    """The request's JSON object, at most ``MAX_JSON`` bytes read (signsvc.web.jsonbody)."""
    return json_object(request, MAX_JSON)


@api_sessions.post("/documents")
@client_required(*ASSIGNERS)
def create_document(ctx: RequestContext):
    """Upload a document awaiting an official (multipart: file, title, number, assignee)."""
    svc = services()
    data = read_pdf_upload(request, svc.settings.service.max_document_bytes)
    form = request.form if request.mimetype == "multipart/form-data" else request.args
    doc = svc.documents.create(ctx, data, form.get("title", ""), form.get("number", ""),
                               form.get("assignee", ""))
    return jsonify(doc.as_dict()), 201


@api_sessions.get("/documents")
@client_required()
def awaiting(ctx: RequestContext):
    return jsonify({"documents": [d.as_dict() for d in services().documents.awaiting(ctx)]})


@api_sessions.get("/documents/<doc_id>")
@client_required()
def document(ctx: RequestContext, doc_id: str):
    return jsonify(services().documents.visible(ctx, doc_id).as_dict())


@api_sessions.get("/documents/<doc_id>/content")
@client_required()
def document_content(ctx: RequestContext, doc_id: str):
    doc, data = services().documents.content(ctx, doc_id)
    resp = Response(data, mimetype="application/pdf")
    resp.headers["X-Document-SHA256"] = doc.sha256
    resp.headers["X-Document-Revision"] = str(doc.revision)
    return resp


@api_sessions.post("/signing-sessions")
@client_required(*SIGNERS)
def create_session(ctx: RequestContext):
    """Step 1: certificate in; the hash to sign and what is being signed out."""
    try:
        args = _session_args()
    except SignsvcError as exc:
        services().sessions.reject(ctx, exc, "prepare")
        raise
    return jsonify(services().sessions.create(ctx, **args)), 201


def _session_args() -> dict:
    """The arguments of step 1 from its JSON body; ``BadRequest`` when one is wrong."""
    body = _json()
    level = body.get("level") or services().settings.service.default_level
    if level not in LEVELS:
        raise BadRequest(Message(f"Mức chữ ký phải là một trong: {', '.join(LEVELS)}.",
                                 f"level must be one of: {', '.join(LEVELS)}."), parameter="level")
    doc_id = body.get("document_id")
    if not isinstance(doc_id, str) or not doc_id:
        raise BadRequest(Message("Thiếu document_id.", "document_id is missing."), parameter="document_id")
    look = body.get("appearance")
    if look is not None and (not isinstance(look, dict) or "profile" not in look or
                             not all(isinstance(v, str) for v in look.values())):
        raise BadRequest(Message("'appearance' là một đối tượng có 'profile', mọi giá trị là chuỗi.",
                                 "'appearance' is an object with 'profile', every value a string."),
                         parameter="appearance")
    field = body.get("field")
    if field is not None and not isinstance(field, str):
        raise BadRequest(Message("'field' là tên một trường chữ ký.", "'field' is a signature field name."),
                         parameter="field")
    for name in ("eservice", "rsa_padding"):
        if body.get(name) is not None and not isinstance(body.get(name), str):
            raise BadRequest(Message(f"'{name}' phải là một chuỗi.", f"'{name}' must be a string."),
                             parameter=name)
    return {"document_id": doc_id, "certificate_b64": body.get("certificate"), "level": level,
            "eservice": body.get("eservice"), "rsa_padding": body.get("rsa_padding") or "pss",
            "appearance": parse_appearance(look) if look is not None else None,
            "field": field or None}


@api_sessions.get("/signing-sessions/<session_id>")
@client_required()
def session_status(ctx: RequestContext, session_id: str):
    return jsonify(services().sessions.status(ctx, session_id))


@api_sessions.delete("/signing-sessions/<session_id>")
@client_required()
def session_cancel(ctx: RequestContext, session_id: str):
    services().sessions.cancel(ctx, session_id)
    return "", 204


@api_sessions.post("/signing-sessions/<session_id>/signature")
@client_required(*SIGNERS)
def session_signature(ctx: RequestContext, session_id: str):
    """Step 3: the raw signature in; the signed revision out (only after all checks)."""
    try:
        body = _json()
    except SignsvcError as exc:
        services().sessions.reject(ctx, exc, "complete")
        raise
    doc, signed = services().sessions.complete(ctx, session_id, body.get("signature"),
                                               body.get("certificate"))
    resp = Response(signed, mimetype="application/pdf")
    resp.headers["X-Document-SHA256"] = doc.sha256
    resp.headers["X-Document-Revision"] = str(doc.revision)
    resp.headers["Content-Disposition"] = content_disposition(f"{doc.id}.pdf")
    return resp


@api_sessions.post("/extend")
@client_required("portal", "clerk")
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


@api_sessions.post("/documents/<doc_id>/whole-file-tickets")
@client_required(*SIGNERS)
def whole_file_tickets(ctx: RequestContext, doc_id: str):
    """One-time download and upload URLs for an agent that signs the whole file."""
    return jsonify(services().whole_file.tickets(ctx, doc_id)), 201


@api_sessions.get("/whole-file/<ticket>/download")
def whole_file_download(ticket: str):
    """The served revision; the one-time ticket in the URL is the credential."""
    from flask import g

    ctx = RequestContext(g.request_id, client_address=request.remote_addr)
    return Response(services().whole_file.download(ctx, ticket), mimetype="application/pdf")


@api_sessions.post("/whole-file/<ticket>/upload")
def whole_file_upload(ticket: str):
    """The signed file (raw body, or multipart ``uploadfile`` as the VGCA agent sends it)."""
    from flask import g

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
