"""/v1/signing-sessions: the three-step browser signing API (design/browser-signing.md)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from signsvc.errors import BadRequest, Message, SignsvcError
from signsvc.services.context import RequestContext
from signsvc.settings import LEVELS
from signsvc.web.auth import client_required, services
from signsvc.web.headers import content_disposition
from signsvc.web.jsonbody import json_object
from signsvc.web.schemas.appearance import parse_appearance

api_sessions = Blueprint("api_sessions", __name__)

SIGNERS = ("official", "clerk")
MAX_JSON = 64 * 1024


def _json() -> dict:
    """The request's JSON object, at most ``MAX_JSON`` bytes read (signsvc.web.jsonbody)."""
    return json_object(request, MAX_JSON)


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
