"""Export of the audit log for offline verification, up to a fresh signed checkpoint."""

from __future__ import annotations

import hashlib
from typing import Any

from signsvc.audit.events import AuditEvent, AuditRecord, format_time, parse_time
from signsvc.audit.export import build_export, dump_export
from signsvc.errors import BadRequest, CheckpointUnavailable, Message
from signsvc.names import AuditOutcome
from signsvc.services.checkpoint_service import EXPORTED_ACTION
from signsvc.services.context import RequestContext


def export_log(service: Any, ctx: RequestContext, since: str | None = None,
               ) -> tuple[bytes, dict[str, Any]]:
    """``(export bytes, summary)``: records from ``since`` to a fresh checkpoint.

    The export and its SHA-256 are audited (``audit:log:exported``); a failure to
    checkpoint is audited as a failed export and raised (``CheckpointUnavailable``).
    """
    bound = None
    if since:
        try:
            bound = parse_time(since)
        except ValueError:
            raise BadRequest(Message("since phải là ngày hoặc thời điểm theo ISO-8601.",
                                     "since must be an ISO-8601 date or date-time."),
                             parameter="since") from None
    try:
        checkpoint = service.create(ctx)
    except CheckpointUnavailable as exc:
        service._audit.record(AuditEvent(
            action=EXPORTED_ACTION, outcome=AuditOutcome.FAILURE, actor=ctx.actor, role=ctx.role,
            request_id=ctx.request_id, client_address=ctx.client_address,
            error_code=exc.code, details={"since": bound}))
        raise
    head = checkpoint.checkpoint.head_sequence
    records: list[AuditRecord] = []
    stream = service._store.iter_all()
    try:
        for record in stream:
            if record.sequence > head:
                break
            if records or bound is None or (isinstance(record.time, str)
                                            and record.time >= bound):
                records.append(record)
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    first = records[0].sequence if records else head + 1
    checkpoints = service._checkpoints.list(min_head_sequence=first - 1)
    checkpoints = [c for c in checkpoints if c.checkpoint.head_sequence <= head]
    document = build_export(
        created=format_time(service._clock()), exported_by=ctx.actor, since=bound,
        records=records, checkpoints=checkpoints, certificates=service._export_certificates,
        trust_anchors=service._trust_anchors, trust_anchors_sha256=service._trust_anchors_sha256,
        service=service._service_info)
    data = dump_export(document)
    sha256 = hashlib.sha256(data).hexdigest()
    service._audit.record(AuditEvent(
        action=EXPORTED_ACTION, outcome=AuditOutcome.SUCCESS, actor=ctx.actor, role=ctx.role,
        request_id=ctx.request_id, client_address=ctx.client_address, output_sha256=sha256,
        details={"since": bound, "first_sequence": document["first_sequence"],
                 "last_sequence": document["last_sequence"], "records": len(records),
                 "checkpoint": checkpoint.checkpoint.index}))
    summary = {"sha256": sha256, "records": len(records),
               "first_sequence": document["first_sequence"],
               "last_sequence": document["last_sequence"],
               "checkpoint": checkpoint.checkpoint.index}
    return data, summary
