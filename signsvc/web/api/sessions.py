"""/v1/signing-sessions: the three-step browser signing API (design/browser-signing.md)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from signsvc.errors import SignsvcError
from signsvc.permissions import Permission, roles_for
from signsvc.services.context import RequestContext
from signsvc.web.auth import client_required, services
from signsvc.web.headers import content_disposition
from signsvc.web.idempotency import PARAMETER as IDEMPOTENCY_KEY
from signsvc.web.idempotency import REPLAYED, idempotent, json_content
from signsvc.web.jsonbody import json_object
from signsvc.web.openapi import PDF_BINARY, Reply, documented
from signsvc.web.schemas.common import parse_object
from signsvc.web.schemas.sessions import SessionComplete, SessionCreate

api_sessions = Blueprint("api_sessions", __name__)

SIGNERS = roles_for(Permission.SIGN_IN_SESSION)
MAX_JSON = 64 * 1024


def _json() -> dict[str, Any]:
    """The request's JSON object, at most ``MAX_JSON`` bytes read (signsvc.web.jsonbody)."""
    return json_object(request, MAX_JSON)


@api_sessions.post("/signing-sessions")
@documented(
    "Bước 1: chuẩn bị ký / Step 1: prepare",
    {201: Reply("the session: id, hash, hash_algorithm, signature_algorithm, pss_salt_length, "
                "data_to_sign, document, expires_at", {"application/json": None})},
    description="The official's certificate in; the hash to sign and what is being signed "
                "out. `field`: an existing empty signature field; `appearance`: the visible "
                "signature, as the query of /v1/sign.",
    json_body=SessionCreate, errors=(404, 409, 422, 503))
@client_required(*SIGNERS)
def create_session(ctx: RequestContext) -> tuple[Response, int]:
    """Step 1: certificate in; the hash to sign and what is being signed out. A refused
    request is audited (``prepare``)."""
    svc = services()
    try:
        args = parse_object(SessionCreate, _json()).arguments(svc.settings.service.default_level)
    except SignsvcError as exc:
        svc.sessions.reject(ctx, exc, "prepare")
        raise
    return jsonify(svc.sessions.create(ctx, **args)), 201


@api_sessions.get("/signing-sessions/<session_id>")
@documented("Trạng thái phiên / Session status",
            {200: Reply("status", {"application/json": None})}, errors=(404,))
@client_required()
def session_status(ctx: RequestContext, session_id: str) -> Response:
    return jsonify(services().sessions.status(ctx, session_id))


@api_sessions.delete("/signing-sessions/<session_id>")
@documented("Hủy phiên / Cancel", {204: Reply("cancelled")}, errors=(404, 409))
@client_required()
def session_cancel(ctx: RequestContext, session_id: str) -> tuple[str, int]:
    services().sessions.cancel(ctx, session_id)
    return "", 204


@api_sessions.post("/signing-sessions/<session_id>/signature")
@documented(
    "Bước 3: gắn chữ ký / Step 3: embed the signature",
    {200: Reply("the signed PDF", {"application/pdf": PDF_BINARY},
                {"X-Document-SHA256": "SHA-256 of the signed revision",
                 "X-Document-Revision": "Its revision number",
                 REPLAYED: "true: the stored answer to an earlier request with this "
                           "Idempotency-Key"})},
    json_body=SessionComplete, errors=(404, 409, 422, 503), headers=(IDEMPOTENCY_KEY,))
@client_required(*SIGNERS)
def session_signature(ctx: RequestContext, session_id: str) -> Response:
    """Step 3: the raw signature in; the signed revision out (only after all checks). A
    body that cannot be read is audited (``complete``)."""
    try:
        raw = _json()
        body = parse_object(SessionComplete, raw)
    except SignsvcError as exc:
        services().sessions.reject(ctx, exc, "complete")
        raise

    def completed() -> Response:
        doc, signed = services().sessions.complete(ctx, session_id, body.signature,
                                                   body.certificate)
        resp = Response(signed, mimetype="application/pdf")
        resp.headers["X-Document-SHA256"] = doc.sha256
        resp.headers["X-Document-Revision"] = str(doc.revision)
        resp.headers["Content-Disposition"] = content_disposition(f"{doc.id}.pdf")
        return resp
    return idempotent(ctx, "complete", json_content(raw), completed)
