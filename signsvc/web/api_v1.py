"""/v1 API: keys, sign, verify, audit (see ../shared/API.md)."""

from __future__ import annotations

import re

from flask import Blueprint, Response, jsonify, render_template, request

from signsvc.errors import BadRequest, Message, NotAcceptable, SignsvcError
from signsvc.services.context import RequestContext
from signsvc.services.pii import mask_for
from signsvc.web.jsonbody import json_object
from signsvc.settings import LEVELS
from signsvc.services.signing_requests import PROFILES, SignatureRequest
from signsvc.web.appearance_params import APPEARANCE_PARAMS, parse_appearance
from signsvc.web.auth import client_required, services
from signsvc.web.headers import content_disposition, header_text
from signsvc.web.pages_auditor import report_helpers
from signsvc.web.uploads import read_pdf_upload

api_v1 = Blueprint("api_v1", __name__)

SIGN_ROLES = ("portal", "clerk")
AUDIT_ROLES = ("auditor", "admin")
_FIELD_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_TEXT_MAX = 200
#: visible-signature profiles (Decree 30/2020, App. I); see signsvc.web.appearance_params
KNOWN_PROFILES: tuple[str, ...] = PROFILES


def _bad(param: str, vi: str, en: str) -> BadRequest:
    return BadRequest(Message(vi, en), parameter=param)


def _sign_request(args) -> tuple[str, SignatureRequest]:
    key_id = args.get("key", "")
    if not key_id:
        raise _bad("key", "Thiếu tham số 'key' (mã khóa ký).", "The 'key' parameter is missing.")
    level = args.get("level") or services().settings.service.default_level
    if level not in LEVELS:
        raise _bad("level", f"Mức chữ ký phải là một trong: {', '.join(LEVELS)}.",
                   f"level must be one of: {', '.join(LEVELS)}.")
    for name in ("reason", "location"):
        if len(args.get(name, "")) > _TEXT_MAX:
            raise _bad(name, f"Tham số '{name}' dài quá {_TEXT_MAX} ký tự.",
                       f"'{name}' is longer than {_TEXT_MAX} characters.")
    field = args.get("field") or None
    if field is not None and not _FIELD_RE.match(field):
        raise _bad("field", "Tên trường chữ ký chỉ gồm chữ, số, '_', '.', '-' (tối đa 64).",
                   "A field name uses letters, digits, '_', '.', '-' (64 at most).")
    known = {"key", "level", "reason", "location", "field", "profile", "eservice"} | APPEARANCE_PARAMS
    unknown = sorted(set(args) - known)
    if unknown:
        raise _bad(unknown[0], f"Tham số không được hỗ trợ: {', '.join(unknown)}.",
                   f"Unsupported parameter(s): {', '.join(unknown)}.")
    # the visible signature (profile and its parameters): parsed by the code that
    # ``signsvc sign --profile`` shares, so both refuse the same values the same way
    return key_id, SignatureRequest(level=level, reason=args.get("reason") or None,
                                    location=args.get("location") or None, field_name=field,
                                    eservice=args.get("eservice") or None,
                                    appearance=parse_appearance(args))


@api_v1.get("/keys")
@client_required()
def list_keys(ctx: RequestContext):
    # certificate subjects: personal identifiers masked but for auditors and admins (SEC-5)
    keys = [k.as_dict() for k in services().signing.list_keys(ctx)]
    return jsonify({"keys": mask_for(ctx.role, keys)})


@api_v1.post("/sign")
@client_required(*SIGN_ROLES)
def sign(ctx: RequestContext):
    svc = services()
    try:
        key_id, sig_request = _sign_request(request.args)
        data = read_pdf_upload(request, svc.settings.service.max_document_bytes)
    except SignsvcError as exc:
        svc.signing.reject(ctx, exc, request.args.get("key"), request.args.get("level"))
        raise
    result = svc.signing.sign(ctx, key_id, data, sig_request)
    resp = Response(result.data, mimetype="application/pdf")
    resp.headers["X-Signature-Level"] = result.level
    resp.headers["X-Document-SHA256"] = result.sha256
    resp.headers["X-Audit-Sequence"] = str(result.audit_sequence)
    resp.headers["X-Key-Protection"] = "hardware" if result.key.backend == "pkcs11" else "software"
    resp.headers["X-Policy-SHA256"] = result.policy_sha256
    resp.headers["X-Policy-Version"] = header_text(result.policy_version)
    if result.policy_warnings:
        resp.headers["X-Policy-Warnings"] = header_text(",".join(result.policy_warnings))
    if result.level_warnings:
        resp.headers["X-Signature-Warnings"] = ",".join(result.level_warnings)
    resp.headers["Content-Disposition"] = content_disposition("signed.pdf")
    return resp


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


@api_v1.post("/verify")
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


def _int_arg(name: str, default: int | None) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise _bad(name, f"'{name}' phải là số nguyên không âm.",
                   f"'{name}' must be a non-negative integer.")
    return int(raw)


@api_v1.get("/audit/events")
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


@api_v1.get("/audit/verify")
@client_required(*AUDIT_ROLES)
def audit_verify(ctx: RequestContext):
    """The chain, and the log against its signed checkpoints (truncation, rewriting)."""
    svc = services()
    result = svc.checkpoints.verify() if svc.checkpoints is not None else svc.audit.verify()
    body = result.as_dict()
    body.setdefault("last_checkpoint", None)
    return jsonify(body)


POLICY_READERS = ("admin", "auditor")


@api_v1.get("/policy")
@client_required(*POLICY_READERS)
def policy_in_force(ctx: RequestContext):
    """The policy in force; with ?sha256= the text of any policy once in force here."""
    svc = services().policy
    wanted = request.args.get("sha256")
    if wanted:
        return jsonify({"sha256": wanted.lower(), "text": svc.archived_text(wanted)})
    policy = svc.policy
    return jsonify({**policy.as_dict(), "text": policy.text})


@api_v1.post("/policy/evaluate")
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
