"""POST /v1/verify: the validation report as JSON, as the HTML page or as the filed PDF."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request

from signsvc.errors import NotAcceptable, SignsvcError
from signsvc.services.context import RequestContext
from signsvc.web.auth import client_required, services
from signsvc.web.headers import content_disposition
from signsvc.web.openapi import PDF_BINARY, PDF_BODY, Reply, documented
from signsvc.web.report_view import report_helpers
from signsvc.web.schemas.common import parse_query
from signsvc.web.schemas.documents import VerifyQuery
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


def _report_lang(query: VerifyQuery) -> str:
    lang = query.lang or request.accept_languages.best_match(("vi", "en")) or "vi"
    return lang if lang in ("vi", "en") else "vi"


@api_verify.post("/verify")
@documented(
    "Xác thực chữ ký PDF / Verify a PDF's signatures",
    {200: Reply("Validation report (JSON), report page (HTML) or signed PDF report; PDF: headers "
                "X-Document-SHA256, X-Report-SHA256, X-Signature-Level, X-Verdict, "
                "X-Audit-Sequence",
                {"application/json": "ValidationReport", "text/html": {"type": "string"},
                 "application/pdf": PDF_BINARY})},
    description="Content negotiation with `Accept`: `application/json` (default, also for "
                "`*/*` or no header) the report; `text/html` the report page (Vietnamese; "
                "`?lang=en` or `Accept-Language: en` for English); `application/pdf` the filed "
                "report: Vietnamese then English, naming the tool version, the policy SHA-256 "
                "and version, the trust anchors (name, SHA-256 of the set, each anchor's "
                "subject and SHA-256) and the validation time, signed by `[reports] key` (B-T "
                "when a TSA is configured) and audited as `reports:report:issued` (document "
                "SHA-256 in, report SHA-256 out); 503 `report-unavailable` without a report "
                "key (audited `reports:report:failed`). Any other `Accept`: 406 "
                "`not-acceptable`.",
    query=VerifyQuery, body=PDF_BODY, errors=(406, 422, 503))
@client_required()
def verify(ctx: RequestContext) -> Response:
    """The validation report: JSON (default), the HTML page (``Accept: text/html``) or the
    signed PDF report (``Accept: application/pdf``, audited as ``reports:report:issued``)."""
    svc = services()
    try:
        wanted = _report_format()
        query = parse_query(VerifyQuery, request.args)
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
            lang = _report_lang(query)
            resp = Response(render_template("auditor_report_page.html", report=report, lang=lang,
                                            issuer=svc.reports.issuer, **report_helpers(lang)),
                            mimetype="text/html")
            resp.headers["Content-Language"] = lang
        else:
            resp = jsonify(report)
    resp.headers["Vary"] = "Accept, Accept-Language"
    return resp
