"""Audit records and checkpoints as the web layer hands them out: the event type a
boundary records, a checkpoint with its signature and timestamp token (base64 DER) as
``signsvc audit export`` writes it, the words of every action and outcome (Vietnamese
and English, the codes kept for experts) and the export of a filtered view of the log
(CSV or JSON) (import rule: web imports services, not the domain).

The action labels are ``signsvc.audit_tags``'s catalogue; the outcome labels live here
(``OUTCOME_LABELS``) until that catalogue carries them too.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from signsvc.audit.events import AuditEvent, AuditRecord
from signsvc.audit.export import checkpoint_dict
from signsvc.audit_tags import AuditTag, label
from signsvc.errors import BadRequest, Message
from signsvc.names import AuditOutcome
from signsvc.services.audit_service import AuditService
from signsvc.services.context import RequestContext

__all__ = ["EXPORT_FORMATS", "OUTCOME_LABELS", "AuditEvent", "AuditTag", "action_choices",
           "action_label", "checkpoint_dict", "export_view", "outcome_label"]

#: an audit outcome in words (Vietnamese, English)
OUTCOME_LABELS: Mapping[str, Message] = {
    AuditOutcome.SUCCESS: Message("Thành công", "Succeeded"),
    AuditOutcome.FAILURE: Message("Không thành công (yêu cầu bị từ chối do lỗi của yêu cầu)",
                                  "Failed (the request was at fault)"),
    AuditOutcome.DENIED: Message("Bị từ chối theo quy tắc hoặc quyền hạn",
                                 "Denied by a rule or a permission"),
    AuditOutcome.ERROR: Message("Lỗi hệ thống", "Internal error"),
}

#: what an export of a filtered view holds at most (newest first): narrow the filter for more
MAX_EXPORT_RECORDS = 100_000
EXPORT_FORMATS = ("csv", "json")
_PAGE = 1000
_CSV_COLUMNS = ("sequence", "time", "action", "action_label", "outcome", "outcome_label",
                "error_code", "actor", "role", "key_id", "level", "certificate_serial",
                "input_sha256", "output_sha256", "request_id", "client_address", "record_hash")


def action_label(tag: str, lang: str) -> str:
    """The words of an action tag in ``lang``; an uncatalogued tag as it is."""
    return label(tag, "vi" if lang != "en" else "en")


def outcome_label(outcome: str, lang: str) -> str:
    """The words of an outcome in ``lang``; an unknown outcome as it is."""
    found = OUTCOME_LABELS.get(outcome)
    if found is None:
        return outcome
    return found.en if lang == "en" else found.vi


def action_choices(lang: str) -> list[tuple[str, str]]:
    """Every catalogued action as ``(code, words)``, sorted by its words (for a select)."""
    return sorted(((str(tag), action_label(tag, lang)) for tag in AuditTag),
                  key=lambda pair: (pair[1].casefold(), pair[0]))


def _rows(audit: AuditService, filters: Mapping[str, Any]) -> tuple[list[AuditRecord], bool]:
    """Records matching ``filters``, newest first, at most ``MAX_EXPORT_RECORDS``, and
    whether more matched (each page keyed on the last sequence: no offset scan)."""
    out: list[AuditRecord] = []
    before = None
    while True:
        page = audit.list(newest_first=True, before_sequence=before, limit=_PAGE, **filters)
        out.extend(page)
        if len(page) < _PAGE or len(out) > MAX_EXPORT_RECORDS:
            return out[:MAX_EXPORT_RECORDS], len(out) > MAX_EXPORT_RECORDS
        before = page[-1].sequence


def _csv(records: list[AuditRecord], lang: str) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(_CSV_COLUMNS)
    for r in records:
        values = {**r.as_dict(), "action_label": action_label(r.action, lang),
                  "outcome_label": outcome_label(r.outcome, lang)}
        writer.writerow(["" if values.get(c) is None else values[c] for c in _CSV_COLUMNS])
    return text.getvalue().encode("utf-8-sig")   # the BOM lets spreadsheets read Vietnamese


def _json(records: list[AuditRecord], filters: Mapping[str, Any], truncated: bool,
          lang: str) -> bytes:
    body = {"format": "signsvc-audit-view/1", "order": "newest_first", "filters": dict(filters),
            "truncated": truncated, "count": len(records),
            "records": [{**r.as_dict(), "action_label": action_label(r.action, lang),
                         "outcome_label": outcome_label(r.outcome, lang)} for r in records]}
    return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")


def export_view(audit: AuditService, ctx: RequestContext, filters: Mapping[str, Any],
                fmt: str, lang: str) -> tuple[bytes, int, bool]:
    """``(bytes, count, truncated)``: every record the filtered view shows (all its pages,
    newest first, at most ``MAX_EXPORT_RECORDS``) as CSV or JSON, each record as stored
    (``AuditRecord.as_dict``: its hashes can be checked against the chain) plus its action
    and outcome in words. ``filters`` are ``AuditService.list``'s keyword filters; a bad
    one raises ``BadRequest`` naming it. The export is audited (``audit:log:exported``
    with the view's filters, format and count)."""
    if fmt not in EXPORT_FORMATS:
        raise BadRequest(Message("Định dạng xuất phải là csv hoặc json.",
                                 "The export format must be csv or json."), parameter="format")
    records, truncated = _rows(audit, filters)
    data = _csv(records, lang) if fmt == "csv" else _json(records, filters, truncated, lang)
    details: dict[str, str | int | bool | None] = {
        "view": "filtered", "format": fmt, "records": len(records), "truncated": truncated}
    details.update({f"filter_{k}": str(v) for k, v in filters.items() if v is not None})
    audit.record(AuditEvent(action=AuditTag.AUDIT_LOG_EXPORTED, outcome=AuditOutcome.SUCCESS,
                            actor=ctx.actor, role=ctx.role, request_id=ctx.request_id,
                            client_address=ctx.client_address, details=details))
    return data, len(records), truncated
