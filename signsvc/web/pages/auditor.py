"""The auditor's pages: verify a PDF and file its report; read and check the audit log.

Same login, session cookie, CSRF token and language switch as the officials' pages
(``signsvc.web.pages.common``). Only the ``auditor`` and ``admin`` roles may see them: anyone
else gets a 403 page (and the refusal is audited). Errors are HTML problem pages with
the code, the Vietnamese and English detail and the request id. No JavaScript.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from functools import wraps
from typing import Any

from flask import Blueprint, Response, redirect, request, url_for
from werkzeug.exceptions import HTTPException

from signsvc.errors import BadRequest, Forbidden, Message, SignsvcError
from signsvc.services.context import RequestContext
from signsvc.web.auth import page_client, page_context, services
from signsvc.web.headers import content_disposition
from signsvc.web.pages.common import WEB_ROOT, check_csrf, lang, render
from signsvc.web.problem import _HTTP_MAP
from signsvc.web.report_view import report_helpers
from signsvc.web.uploads import load_form, read_pdf_upload

auditor = Blueprint("auditor", __name__, root_path=WEB_ROOT, template_folder="templates")

AUDITOR_ROLES = ("auditor", "admin")
VIETNAM = timezone(timedelta(hours=7))
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
    return _problem_page(_HTTP_MAP.get(error.code or 500, SignsvcError)())


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

def _vietnam_bound(raw: str) -> str | None:
    """A filter time from the page: naive ``datetime-local`` values are Vietnam time."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return raw  # the audit service names the bad parameter
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VIETNAM)
    return moment.isoformat()


def vn_time(stored: str | None) -> str:
    """A stored UTC time (``…Z``) as ISO-8601 in Vietnam time, to the second."""
    if not stored:
        return ""
    try:
        moment = datetime.fromisoformat(stored.replace("Z", "+00:00"))
    except ValueError:
        return stored
    return moment.astimezone(VIETNAM).isoformat(timespec="seconds")


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
    svc = services()
    args = {name: request.args.get(name, "").strip()[:128] for name in _FILTERS}
    after = request.args.get("after_sequence", "0")
    if not after.isdigit():
        raise BadRequest(Message("'after_sequence' phải là số nguyên không âm.",
                                 "'after_sequence' must be a non-negative integer."),
                         parameter="after_sequence")
    records = svc.audit.list(after_sequence=int(after), since=_vietnam_bound(args["since"]),
                             until=_vietnam_bound(args["until"]), actor=args["actor"] or None,
                             action=args["action"] or None, key_id=args["key"] or None,
                             document_sha256=args["document_sha256"] or None, limit=PAGE_SIZE)
    next_url = None
    if len(records) == PAGE_SIZE:
        values: dict[str, Any] = {k: v for k, v in args.items() if v}
        next_url = url_for("auditor.audit_log", **values,
                           after_sequence=records[-1].sequence, lang=lang())
    return _render("auditor_audit.html", records=records, filters=args,
                   chain=_chain_status(records),
                   next_url=next_url, vn_time=vn_time)


@auditor.get("/auditor/audit/documents/<sha256>")
@auditor_required
def document_history(sha256: str):
    records = services().audit.list(document_sha256=sha256, limit=1000)
    return _render("auditor_history.html", sha256=sha256.lower(), records=records,
                   chain=_chain_status(records), vn_time=vn_time)
