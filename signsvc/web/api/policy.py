"""GET /v1/policy and POST /v1/policy/evaluate: the policy in force, and a dry run."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from signsvc.errors import BadRequest, Message
from signsvc.permissions import Permission, roles_for
from signsvc.services.context import RequestContext
from signsvc.web.auth import client_required, services
from signsvc.web.jsonbody import json_object
from signsvc.web.openapi import PDF_BODY, Reply, documented
from signsvc.web.schemas.common import parse_query
from signsvc.web.schemas.policy import PolicyQuery
from signsvc.web.schemas.sign import EvaluateQuery
from signsvc.web.uploads import read_pdf_upload

api_policy = Blueprint("api_policy", __name__)

POLICY_READERS = roles_for(Permission.POLICY_READ)
_FACTS_BODY = {"type": "object", "required": ["document"],
               "properties": {"document": {"type": "object",
                                           "description": "The document's facts (as the "
                                                          "answer's facts.document)"}}}


@api_policy.get("/policy")
@documented("Chính sách đang áp dụng / The policy in force (admin, auditor)",
            {200: Reply("version, sha256, rules, text; with sha256=: that policy's text",
                        {"application/json": None})},
            query=PolicyQuery, errors=(404,))
@client_required(*POLICY_READERS)
def policy_in_force(ctx: RequestContext) -> Response:
    """The policy in force; with ?sha256= the text of any policy once in force here."""
    svc = services().policy
    wanted = parse_query(PolicyQuery, request.args).sha256
    if wanted:
        return jsonify({"sha256": wanted.lower(), "text": svc.archived_text(wanted)})
    policy = svc.policy
    return jsonify({**policy.as_dict(), "text": policy.text})


@api_policy.post("/policy/evaluate")
@documented(
    "Thử quyết định của chính sách, không ký / Policy dry run, signs nothing",
    {200: Reply("decision, denied_by, warnings, every rule with its outcome and reason, and "
                "the facts", {"application/json": None})},
    description="Same parameters as /v1/sign; the PDF body is optional (or a JSON body with "
                "the document's facts). Admins and auditors may add client=NAME to evaluate "
                "for another client. With profile=…, the visible signature is checked as "
                "/v1/sign checks it (image for this key and profile; with the PDF, the page, "
                "box, anchor or field) and reported as the result "
                "`appearance.visible-signature` (denying; its `evaluated` holds the status "
                "422, code and parameter /v1/sign would answer; `skip` when no PDF is given).",
    query=EvaluateQuery, body={**PDF_BODY, "application/json": _FACTS_BODY},
    errors=(404, 422), body_required=False)
@client_required()
def policy_evaluate(ctx: RequestContext) -> Response:
    """Dry run: the decision a signing request would get; nothing is signed."""
    svc = services()
    target = request.args.get("client") or None
    if target and target != ctx.actor:
        svc.clients.require_role(ctx, POLICY_READERS, "policy:evaluate-for-client")
        client = svc.clients.find(target)
        ctx = RequestContext(ctx.request_id, client.name, client.role, ctx.client_address,
                             client.keys)
    key_id, sig_request = parse_query(EvaluateQuery, request.args).signature_request(
        svc.settings.service.default_level)
    data, document_facts = None, None
    if request.mimetype == "application/json":
        need = Message("Thân JSON phải có trường 'document' (dữ kiện tài liệu).",
                       "The JSON body needs a 'document' object (the document's facts).")
        body = json_object(request, required=need, parameter="document")  # bounded
        if "document" not in body:
            raise BadRequest(need, parameter="document")
        document_facts = body["document"]
    elif request.content_length or request.mimetype in ("application/pdf", "multipart/form-data"):
        data = read_pdf_upload(request, svc.settings.service.max_document_bytes)
    decision, facts = svc.signing.evaluate(ctx, key_id, data, sig_request, document_facts)
    return jsonify({**decision.as_dict(), "facts": facts.as_dict()})
