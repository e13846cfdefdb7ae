"""POST /v1/verify: the validation report as JSON, as the HTML page or as the filed PDF."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request

from signsvc.errors import NotAcceptable, SignsvcError
from signsvc.services.context import RequestContext
from signsvc.web.auth import client_required, services
from signsvc.web.headers import content_disposition
from signsvc.web.report_view import report_helpers
from signsvc.web.uploads import read_pdf_upload

api_verify = Blueprint("api_verify", __name__)

REPORT_FORMATS = ("application/json", "text/html", "application/pdf")


def _report_format() -> str:
    """The report format the ``Accept`` header asks for (JSON when it names none, or
    ``*/*``); ``NotAcceptable`` when it names only others."""
    if not request.headers.get("Accept", "").strip():
        return "application/json"
    best = request.accept_mimetypes.best_match(REPORT_FORMATS)
    if best is None:
        raise NotAcceptable()
    return best


def _report_lang() -> str:
    lang = request.args.get("lang") or request.accept_languages.best_match(("vi", "en")) or "vi"
    return lang if lang in ("vi", "en") else "vi"


@api_verify.post("/verify")
@client_required()
def verify(ctx: RequestContext):
    """The validation report: JSON (default), the HTML page (``Accept: text/html``) or the
    signed PDF report (``Accept: application/pdf``, audited as ``reports:report:issued``)."""
    svc = services()
    try:
        wanted = _report_format()
        data = read_pdf_upload(request, svc.settings.service.max_document_bytes)
    except SignsvcError as exc:
        svc.validation.reject(ctx, exc)
        raise
    if wanted == "application/pdf":
        report, issued = svc.reports.verify_pdf(ctx, data)
        resp = Response(issued.data, mimetype="application/pdf")
        resp.headers["Content-Disposition"] = \
            content_disposition(f"bao-cao-{issued.document_sha256[:16]}.pdf")
        resp.headers["X-Document-SHA256"] = issued.document_sha256
        resp.headers["X-Report-SHA256"] = issued.sha256
        resp.headers["X-Signature-Level"] = issued.level
        resp.headers["X-Audit-Sequence"] = str(issued.audit_sequence)
        resp.headers["X-Verdict"] = issued.verdict
    else:
        report = svc.reports.verify(ctx, data)
        if wanted == "text/html":
            lang = _report_lang()
            resp = Response(render_template("auditor_report_page.html", report=report, lang=lang,
                                            issuer=svc.reports.issuer, **report_helpers(lang)),
                            mimetype="text/html")
            resp.headers["Content-Language"] = lang
        else:
            resp = jsonify(report)
    resp.headers["Vary"] = "Accept, Accept-Language"
    return resp
