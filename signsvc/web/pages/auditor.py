"""The auditor's pages: verify a PDF and file its report; read and check the audit log.

Same login, session cookie, CSRF token and language switch as the officials' pages
(``signsvc.web.pages.common``). Only the ``auditor`` and ``admin`` roles may see them: anyone
else gets a 403 page (and the refusal is audited). Errors are HTML problem pages with
the code, the Vietnamese and English detail and the request id. No JavaScript.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from flask import Blueprint, Response, redirect, request, url_for
from werkzeug.exceptions import HTTPException

from signsvc.errors import BadRequest, Forbidden, Message, SignsvcError
from signsvc.permissions import Permission, roles_for
from signsvc.services import audit_views
from signsvc.services.context import RequestContext
from signsvc.web.auth import page_client, page_context, services
from signsvc.web.headers import content_disposition
from signsvc.web.pages.common import WEB_ROOT, check_csrf, lang, render
from signsvc.web.pages.dates import VIETNAM
from signsvc.web.problem import error_for_status
from signsvc.web.report_view import report_helpers
from signsvc.web.schemas.audit import AuditPageQuery
from signsvc.web.schemas.common import parse_query
from signsvc.web.uploads import load_form, read_pdf_upload

auditor = Blueprint("auditor", __name__, root_path=WEB_ROOT, template_folder="templates")

AUDITOR_ROLES = roles_for(Permission.AUDITOR_PAGES)
PAGE_SIZE = 100
_FILTERS = ("since", "until", "actor", "action", "key", "document_sha256")


def _ctx() -> RequestContext:
    return page_context()


def auditor_required(view: Callable) -> Callable:
    """Logged in (else to the login page) with an auditor's role (else a 403 page, audited)."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if page_client() is None:
            return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))
        try:
            services().clients.require_role(_ctx(), AUDITOR_ROLES, f"page:{request.endpoint}")
        except Forbidden as exc:
            return render("auditor_forbidden.html", status=403, error=exc)  # officials' layout
        return view(*args, **kwargs)
    return wrapper


def _render(template: str, status: int = 200, **kw) -> Response:
    """An auditor's page: the auditors' menu (for auditors and admins) and the report helpers."""
    return render(template, status, auditor_menu=True, **report_helpers(lang()), **kw)


@auditor.after_request
def _page_headers(resp: Response) -> Response:
    resp.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    resp.headers["X-Frame-Options"] = "DENY"
    return resp


@auditor.errorhandler(SignsvcError)
def _problem_page(error: SignsvcError) -> Response:
    return _render("auditor_problem.html", status=error.status, error=error)


@auditor.errorhandler(Exception)
def _unexpected_page(error: Exception) -> Response:
    """An unexpected failure on an auditor's page: audited, shown as a page with the request id."""
    from signsvc.web.problem import unexpected_error

    return _problem_page(unexpected_error(error))


@auditor.errorhandler(HTTPException)
def _http_problem_page(error: HTTPException) -> Response:
    return _problem_page(error_for_status(error.code))


# -- verification ------------------------------------------------------------------------

@auditor.get("/auditor")
@auditor_required
def home():
    return redirect(url_for("auditor.verify_form"))


@auditor.get("/auditor/verify")
@auditor_required
def verify_form():
    mib = services().settings.service.max_document_bytes / (1024 * 1024)
    return _render("auditor_verify.html", mib=f"{mib:.0f}")


@auditor.post("/auditor/verify")
@auditor_required
def verify_upload():
    """Verify the uploaded PDF, keep its report, show it (POST, redirect, GET)."""
    svc = services()
    ctx = _ctx()
    limit = svc.settings.service.max_document_bytes
    try:
        load_form(request, limit)   # the file to disk; 413 here is audited like the rest
        check_csrf()
        if request.mimetype != "multipart/form-data":
            raise BadRequest(Message("Hãy chọn tệp PDF trong biểu mẫu.", "Choose a PDF file in the form."))
        data = read_pdf_upload(request, limit)
    except SignsvcError as exc:
        svc.validation.reject(ctx, exc)
        raise
    report = svc.reports.verify(ctx, data)
    report_id = svc.reports.keep(ctx, report)
    return redirect(url_for("auditor.report_page", report_id=report_id, lang=lang()), code=303)


@auditor.get("/auditor/reports/<report_id>")
@auditor_required
def report_page(report_id: str):
    svc = services()
    report = svc.reports.kept(_ctx(), report_id)
    return _render("auditor_report.html", report=report, report_id=report_id,
                   issuer=svc.reports.issuer, pdf_available=svc.reports.pdf_available)


@auditor.get("/auditor/reports/<report_id>/report.json")
@auditor_required
def report_json(report_id: str):
    report = services().reports.kept(_ctx(), report_id)
    resp = Response(json.dumps(report, ensure_ascii=False, indent=2), mimetype="application/json")
    resp.headers["Content-Disposition"] = _attachment(report, "json")
    return resp


@auditor.get("/auditor/reports/<report_id>/report.pdf")
@auditor_required
def report_pdf(report_id: str):
    svc = services()
    ctx = _ctx()
    report = svc.reports.kept(ctx, report_id)
    issued = svc.reports.issue_pdf(ctx, report)
    resp = Response(issued.data, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = _attachment(report, "pdf")
    resp.headers["X-Report-SHA256"] = issued.sha256
    resp.headers["X-Audit-Sequence"] = str(issued.audit_sequence)
    return resp


def _attachment(report: dict, ext: str) -> str:
    sha = str((report.get("document") or {}).get("sha256") or "report")[:16]
    return content_disposition(f"bao-cao-{sha}.{ext}")


# -- the audit log -----------------------------------------------------------------------

def _vietnam_bound(raw: str, *, end_of_day: bool = False) -> str | None:
    """A filter time from the page, in Vietnam time when it names no zone: a date alone
    (``yyyy-mm-dd``) is the start of that day, or with ``end_of_day`` the start of the next
    (so that a range "to 03/12" includes the 3rd); a bad value is passed on unchanged for
    the audit service to name the parameter."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return raw  # the audit service names the bad parameter
    if end_of_day and len(raw) == 10:
        moment += timedelta(days=1)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VIETNAM)
    return moment.isoformat()


def _audit_query() -> AuditPageQuery:
    """The page's query (``BadRequest`` naming a wrong paging parameter)."""
    return parse_query(AuditPageQuery, request.args)


def _audit_filters(query: AuditPageQuery) -> tuple[dict[str, str], dict[str, Any]]:
    """The page's filters as typed (``since``, ``until``, ``actor``, ``action``, ``key``,
    ``document_sha256``) and as ``AuditService.list`` keywords (``None`` when empty)."""
    args = {name: getattr(query, name) for name in _FILTERS}
    return args, {"since": _vietnam_bound(args["since"]),
                  "until": _vietnam_bound(args["until"], end_of_day=True),
                  "actor": args["actor"] or None, "action": args["action"] or None,
                  "key_id": args["key"] or None,
                  "document_sha256": args["document_sha256"] or None}


def _chain_status(records=()) -> dict:
    """The chain verified incrementally (only records since the last verified one), each
    record shown checked against the one before it, and the newest checkpoint; the full
    verification is GET /v1/audit/verify."""
    svc = services()
    if svc.checkpoints is not None:
        return svc.checkpoints.status(r.sequence for r in records)
    body = svc.audit.verify().as_dict()
    body.setdefault("last_checkpoint", None)
    body.setdefault("messages", {"vi": [], "en": []})
    return body


@auditor.get("/auditor/audit")
@auditor_required
def audit_log():
    """The log newest first, 100 records a page, paged backwards by sequence
    (``before_sequence``: the store reads its sequence order, never an offset)."""
    svc = services()
    query = _audit_query()
    args, filters = _audit_filters(query)
    before = query.before_sequence
    records = svc.audit.list(after_sequence=query.after_sequence or 0,
                             before_sequence=before or None, newest_first=True,
                             limit=PAGE_SIZE, **filters)
    values: dict[str, Any] = {k: v for k, v in args.items() if v}
    next_url = newest_url = None
    if len(records) == PAGE_SIZE:
        next_url = url_for("auditor.audit_log", **values,
                           before_sequence=records[-1].sequence, lang=lang())
    if before:
        newest_url = url_for("auditor.audit_log", **values, lang=lang())
    export_urls = {fmt: url_for("auditor.audit_export", **values, format=fmt, lang=lang())
                   for fmt in audit_views.EXPORT_FORMATS}
    return _render("auditor_audit.html", records=records, filters=args,
                   chain=_chain_status(records), next_url=next_url, newest_url=newest_url,
                   export_urls=export_urls, **_log_words())


@auditor.get("/auditor/audit/export")
@auditor_required
def audit_export():
    """Every record of the filtered view (all pages, newest first) as CSV or JSON, with
    the actions and outcomes in words; audited."""
    query = _audit_query()
    _, filters = _audit_filters(query)
    fmt = query.format
    data, count, truncated = audit_views.export_view(services().audit, _ctx(), filters, fmt,
                                                     lang())
    resp = Response(data, mimetype="text/csv" if fmt == "csv" else "application/json")
    if fmt == "csv":
        resp.headers["Content-Type"] = "text/csv; charset=utf-8"
    stamp = datetime.now(VIETNAM).strftime("%Y%m%d-%H%M%S")
    resp.headers["Content-Disposition"] = content_disposition(f"nhat-ky-kiem-toan-{stamp}.{fmt}")
    resp.headers["X-Audit-Records"] = str(count)
    resp.headers["X-Audit-Truncated"] = "1" if truncated else "0"
    return resp


def _log_words() -> dict[str, Any]:
    """What the audit-log templates call: actions and outcomes in words (``action_label``,
    ``outcome_label``), the actions to choose from."""
    current = lang()
    return {"action_label": lambda tag: audit_views.action_label(tag, current),
            "outcome_label": lambda outcome: audit_views.outcome_label(outcome, current),
            "action_choices": audit_views.action_choices(current)}


@auditor.get("/auditor/audit/documents/<sha256>")
@auditor_required
def document_history(sha256: str):
    records = services().audit.list(document_sha256=sha256, limit=1000)
    return _render("auditor_history.html", sha256=sha256.lower(), records=records,
                   chain=_chain_status(records), **_log_words())
