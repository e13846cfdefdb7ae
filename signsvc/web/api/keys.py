"""GET /v1/keys: the keys this client may use."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from signsvc.services.context import RequestContext
from signsvc.services.pii import mask_for
from signsvc.web.auth import client_required, services
from signsvc.web.openapi import Reply, documented

api_keys = Blueprint("api_keys", __name__)


@api_keys.get("/keys")
@documented("Các khóa máy khách được dùng / Keys this client may use",
            {200: Reply("keys", {"application/json": "KeyList"})})
@client_required()
def list_keys(ctx: RequestContext) -> Response:
    """The keys granted to the caller; certificate subjects with personal identifiers masked
    but for auditors and admins (SEC-5)."""
    keys = [k.as_dict() for k in services().signing.list_keys(ctx)]
    return jsonify({"keys": mask_for(ctx.role, keys)})
