"""POST /v1/sign: sign a PDF (PAdES) with a key granted to the client."""

from __future__ import annotations

import re

from flask import Blueprint, Response, request

from signsvc.errors import BadRequest, Message, SignsvcError
from signsvc.services.context import RequestContext
from signsvc.services.signing_requests import PROFILES, SignatureRequest
from signsvc.settings import LEVELS
from signsvc.web.auth import client_required, services
from signsvc.web.headers import content_disposition, header_text
from signsvc.web.schemas.appearance import APPEARANCE_PARAMS, parse_appearance
from signsvc.web.uploads import read_pdf_upload

api_sign = Blueprint("api_sign", __name__)

SIGN_ROLES = ("portal", "clerk")
_FIELD_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_TEXT_MAX = 200
#: visible-signature profiles (Decree 30/2020, App. I); see signsvc.web.schemas.appearance
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


@api_sign.post("/sign")
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
