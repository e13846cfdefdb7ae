"""/v1/audit: records (paged by sequence), the chain check, signed checkpoints and the
export an auditor who does not trust the server takes away and checks offline (see
signsvc.audit.checkpoints and .export)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from signsvc.errors import BadRequest, Message
from signsvc.services.context import RequestContext
from signsvc.web.auth import client_required, services
from signsvc.web.headers import content_disposition

api_audit = Blueprint("api_audit", __name__)

AUDIT_ROLES = ("auditor", "admin")


def _int_arg(name: str, default: int | None) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise BadRequest(Message(f"'{name}' phải là số nguyên không âm.",
                                 f"'{name}' must be a non-negative integer."), parameter=name)
    return int(raw)


@api_audit.get("/audit/events")
@client_required(*AUDIT_ROLES)
def audit_events(ctx: RequestContext):
    svc = services()
    records = svc.audit.list(
        after_sequence=_int_arg("after_sequence", 0) or 0,
        since=request.args.get("since") or None, until=request.args.get("until") or None,
        actor=request.args.get("actor") or None, action=request.args.get("action") or None,
        document_sha256=request.args.get("document_sha256") or None,
        limit=_int_arg("limit", None), key_id=request.args.get("key") or None)
    body = {"events": [r.as_dict() for r in records],
            "next_after_sequence": records[-1].sequence if records else None}
    return jsonify(body)


@api_audit.get("/audit/verify")
@client_required(*AUDIT_ROLES)
def audit_verify(ctx: RequestContext):
    """The chain, and the log against its signed checkpoints (truncation, rewriting)."""
    svc = services()
    result = svc.checkpoints.verify() if svc.checkpoints is not None else svc.audit.verify()
    body = result.as_dict()
    body.setdefault("last_checkpoint", None)
    return jsonify(body)


@api_audit.get("/audit/checkpoints")
@client_required(*AUDIT_ROLES)
def audit_checkpoints(ctx: RequestContext):
    """Signed checkpoints, oldest first, paged by index; ``?signatures=1`` adds the base64
    DER CMS signature and RFC 3161 token of each."""
    svc = services().checkpoints
    with_signatures = request.args.get("signatures") in ("1", "true")
    items = svc.list(after_index=_int_arg("after_index", 0) or 0,
                     limit=_int_arg("limit", 100) or 100)
    if with_signatures:
        from signsvc.services.audit_views import checkpoint_dict
        body = [checkpoint_dict(c) for c in items]
    else:
        body = [c.as_dict() for c in items]
    return jsonify({"checkpoints": body, "enabled": svc.enabled,
                    "every_records": svc.every_records, "every_seconds": svc.every_seconds,
                    "next_after_index": items[-1].checkpoint.index if items else None})


@api_audit.get("/audit/export")
@client_required(*AUDIT_ROLES)
def audit_export(ctx: RequestContext):
    """The self-contained export (JSON) from ``since`` to a fresh checkpoint; audited."""
    unknown = sorted(set(request.args) - {"since"})
    if unknown:
        raise BadRequest(Message(f"Tham số không được hỗ trợ: {', '.join(unknown)}.",
                                 f"Unsupported parameter(s): {', '.join(unknown)}."),
                         parameter=unknown[0])
    data, summary = services().checkpoints.export(ctx, request.args.get("since") or None)
    resp = Response(data, mimetype="application/json")
    resp.headers["Content-Disposition"] = content_disposition(
        f'signsvc-audit-{summary["first_sequence"]}-{summary["last_sequence"]}.json')
    resp.headers["X-Export-SHA256"] = summary["sha256"]
    resp.headers["X-Audit-Checkpoint"] = str(summary["checkpoint"])
    return resp
