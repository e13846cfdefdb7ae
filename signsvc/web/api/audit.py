"""/v1/audit: records (paged by sequence), the chain check, signed checkpoints and the
export an auditor who does not trust the server takes away and checks offline (see
signsvc.audit.checkpoints and .export)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from signsvc.permissions import Permission, roles_for
from signsvc.services.audit_views import checkpoint_dict
from signsvc.services.context import RequestContext
from signsvc.web.auth import client_required, services
from signsvc.web.headers import content_disposition
from signsvc.web.openapi import Reply, documented
from signsvc.web.schemas.audit import AuditEventsQuery, CheckpointsQuery, ExportQuery
from signsvc.web.schemas.common import parse_query

api_audit = Blueprint("api_audit", __name__)

AUDIT_ROLES = roles_for(Permission.AUDIT_READ)


@api_audit.get("/audit/events")
@documented("Nhật ký kiểm toán / Audit records (auditor, admin)",
            {200: Reply("records, oldest first", {"application/json": "AuditEvents"})},
            query=AuditEventsQuery)
@client_required(*AUDIT_ROLES)
def audit_events(ctx: RequestContext) -> Response:
    """Audit records oldest first, filtered, paged by sequence."""
    query = parse_query(AuditEventsQuery, request.args)
    records = services().audit.list(
        after_sequence=query.after_sequence or 0, since=query.since, until=query.until,
        actor=query.actor, action=query.action, document_sha256=query.document_sha256,
        limit=query.limit, key_id=query.key)
    body = {"events": [r.as_dict() for r in records],
            "next_after_sequence": records[-1].sequence if records else None}
    return jsonify(body)


@api_audit.get("/audit/verify")
@documented("Kiểm tra chuỗi băm nhật ký / Verify the audit hash chain",
            {200: Reply('{"ok", "checked", "first_bad_sequence", "last_checkpoint", "findings", '
                        '"messages", ...}', {"application/json": None})},
            description="The chain, and the log against its signed checkpoints: a truncated "
                        "tail or a rewritten and re-chained log is named in findings.")
@client_required(*AUDIT_ROLES)
def audit_verify(ctx: RequestContext) -> Response:
    """The chain, and the log against its signed checkpoints (truncation, rewriting)."""
    svc = services()
    result = svc.checkpoints.verify() if svc.checkpoints is not None else svc.audit.verify()
    body = result.as_dict()
    body.setdefault("last_checkpoint", None)
    return jsonify(body)


@api_audit.get("/audit/checkpoints")
@documented("Điểm kiểm soát đã ký / Signed checkpoints of the chain head",
            {200: Reply('{"checkpoints": [...], "enabled", "every_records", "every_seconds", '
                        '"next_after_index"}', {"application/json": None})},
            query=CheckpointsQuery)
@client_required(*AUDIT_ROLES)
def audit_checkpoints(ctx: RequestContext) -> Response:
    """Signed checkpoints, oldest first, paged by index; ``?signatures=1`` adds the base64
    DER CMS signature and RFC 3161 token of each."""
    query = parse_query(CheckpointsQuery, request.args)
    svc = services().checkpoints
    items = svc.list(after_index=query.after_index or 0, limit=query.limit or 100)
    body = [checkpoint_dict(c) if query.with_signatures else c.as_dict() for c in items]
    return jsonify({"checkpoints": body, "enabled": svc.enabled,
                    "every_records": svc.every_records, "every_seconds": svc.every_seconds,
                    "next_after_index": items[-1].checkpoint.index if items else None})


@api_audit.get("/audit/export")
@documented("Xuất nhật ký để kiểm tra ngoại tuyến / Export the log for offline verification",
            {200: Reply("the export (signsvc-audit-export/1)", {"application/json": None},
                        {"X-Export-SHA256": "SHA-256 of the export",
                         "X-Audit-Checkpoint": "The checkpoint the export ends with"})},
            description="Records from `since` to a fresh signed checkpoint, the checkpoints "
                        "with signatures and tokens, certificates and the anchors' hashes "
                        "(JSON); check it with `signsvc audit verify FILE --trust ROOT.pem`. "
                        "Audited.",
            query=ExportQuery, errors=(503,))
@client_required(*AUDIT_ROLES)
def audit_export(ctx: RequestContext) -> Response:
    """The self-contained export (JSON) from ``since`` to a fresh checkpoint; audited."""
    query = parse_query(ExportQuery, request.args)
    data, summary = services().checkpoints.export(ctx, query.since)
    resp = Response(data, mimetype="application/json")
    resp.headers["Content-Disposition"] = content_disposition(
        f'signsvc-audit-{summary["first_sequence"]}-{summary["last_sequence"]}.json')
    resp.headers["X-Export-SHA256"] = summary["sha256"]
    resp.headers["X-Audit-Checkpoint"] = str(summary["checkpoint"])
    return resp
