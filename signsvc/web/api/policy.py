"""GET /v1/policy and POST /v1/policy/evaluate: the policy in force, and a dry run."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from signsvc.errors import BadRequest, Message
from signsvc.services.context import RequestContext
from signsvc.web.api.sign import _sign_request
from signsvc.web.auth import client_required, services
from signsvc.web.jsonbody import json_object
from signsvc.web.uploads import read_pdf_upload

api_policy = Blueprint("api_policy", __name__)

POLICY_READERS = ("admin", "auditor")


@api_policy.get("/policy")
@client_required(*POLICY_READERS)
def policy_in_force(ctx: RequestContext):
    """The policy in force; with ?sha256= the text of any policy once in force here."""
    svc = services().policy
    wanted = request.args.get("sha256")
    if wanted:
        return jsonify({"sha256": wanted.lower(), "text": svc.archived_text(wanted)})
    policy = svc.policy
    return jsonify({**policy.as_dict(), "text": policy.text})


@api_policy.post("/policy/evaluate")
@client_required()
def policy_evaluate(ctx: RequestContext):
    """Dry run: the decision a signing request would get; nothing is signed."""
    svc = services()
    args = request.args.to_dict()
    target = args.pop("client", None)
    if target and target != ctx.actor:
        svc.clients.require_role(ctx, POLICY_READERS, "policy:evaluate-for-client")
        client = svc.clients.find(target)
        ctx = RequestContext(ctx.request_id, client.name, client.role, ctx.client_address,
                             client.keys)
    key_id, sig_request = _sign_request(args)
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
