"""The officials' and clerks' signing pages: documents awaiting me, sign with my own token.

Routes of the ``pages`` blueprint (``signsvc.web.pages.common``). The page talks to the
official's local agent (its origin is the only extra ``connect-src`` of the
Content-Security-Policy); the PDF stays on the server and the PIN on the official's PC.
"""

from __future__ import annotations

from flask import Response, jsonify, request, url_for

from signsvc.errors import BadRequest, Message
from signsvc.services.context import RequestContext
from signsvc.services.signing_requests import parse_appearance
from signsvc.settings import LEVELS
from signsvc.web.auth import page_context, services
from signsvc.web.headers import content_disposition
from signsvc.web.i18n import TEXTS
from signsvc.web.pages.common import check_csrf, lang, login_required, pages, render


def _ctx() -> RequestContext:
    return page_context()


@pages.get("/documents")
@login_required
def documents():
    return render("documents.html", documents=services().documents.awaiting(_ctx()))


@pages.get("/documents/<doc_id>")
@login_required
def document(doc_id: str):
    ctx = _ctx()
    svc = services()
    doc = svc.documents.visible(ctx, doc_id)
    mine = doc.state == "awaiting" and ctx.actor == doc.assignee
    return render("document.html", doc=doc, agent_url=svc.settings.pages.agent_url,
                   registered=svc.sessions.registered_certificates(ctx), levels=LEVELS,
                   default_level=svc.settings.service.default_level, mine=mine,
                   fields=svc.documents.empty_fields(ctx, doc_id) if mine else [],
                   images=_signature_images(ctx.actor or "") if mine else [])


def _signature_images(account: str) -> list[str]:
    """Names of the signature images registered to this official (``official:NAME``)."""
    images = getattr(services().signing, "images", None)
    if images is None:
        return []
    return [i.name for i in images.list() if i.kind == "signature" and i.key_id == f"official:{account}"]


@pages.get("/documents/<doc_id>/page1.png")
@pages.get("/documents/<doc_id>/pages/<int:number>.png")
@login_required
def preview(doc_id: str, number: int = 1):
    resp = Response(services().documents.preview(_ctx(), doc_id, number), mimetype="image/png")
    resp.headers["Cache-Control"] = "private, max-age=60"
    return resp


@pages.get("/documents/<doc_id>/pages/<int:number>.json")
@login_required
def page_layout(doc_id: str, number: int):
    """The page's box in PDF points (what its preview shows), for the placement chooser."""
    return jsonify(services().documents.page_layout(_ctx(), doc_id, number))


@pages.get("/documents/<doc_id>/download")
@login_required
def download(doc_id: str):
    doc, data = services().documents.content(_ctx(), doc_id)
    resp = Response(data, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = content_disposition(f"{doc.number or doc.id}.pdf")
    return resp


def _json_body() -> dict:
    """The JSON object of a page's request: at most 64 KB read, deep nesting a 400
    (signsvc.web.jsonbody)."""
    from signsvc.web.jsonbody import json_object

    return json_object(request, required=Message("Cần thân JSON.", "A JSON body is required."))


@pages.post("/pages/api/sessions")
def api_create_session():
    check_csrf()
    ctx = _ctx()
    body = _json_body()
    level = body.get("level") or services().settings.service.default_level
    if level not in LEVELS:
        raise BadRequest(Message("Mức chữ ký không hợp lệ.", "Unknown signature level."), parameter="level")
    look = body.get("appearance")
    if look is not None and (not isinstance(look, dict) or "profile" not in look or
                             not all(isinstance(v, str) for v in look.values())):
        raise BadRequest(Message("'appearance' là một đối tượng có 'profile', mọi giá trị là chuỗi.",
                                 "'appearance' is an object with 'profile', every value a string."),
                         parameter="appearance")
    field = body.get("field")
    if field is not None and not isinstance(field, str):
        raise BadRequest(Message("'field' là tên một trường chữ ký.", "'field' is a signature field name."),
                         parameter="field")
    return jsonify(services().sessions.create(ctx, str(body.get("document_id", "")), body.get("certificate"),
                                              level, body.get("eservice"),
                                              body.get("rsa_padding") or "pss",
                                              appearance=parse_appearance(look) if look is not None else None,
                                              field=field or None)), 201


@pages.post("/pages/api/sessions/<session_id>/cancel")
def api_cancel(session_id: str):
    """The page gives up a session (step 2 failed on the official's PC); ``reason`` is the
    agent's error code, recorded in the audit log as reported."""
    check_csrf()
    ctx = _ctx()
    reason = _json_body().get("reason")
    services().sessions.cancel(ctx, session_id, reason if isinstance(reason, str) else None)
    return "", 204


@pages.post("/pages/api/sessions/<session_id>/signature")
def api_complete(session_id: str):
    check_csrf()
    ctx = _ctx()
    body = _json_body()
    doc, signed = services().sessions.complete(ctx, session_id, body.get("signature"))
    report = services().validation.verify(ctx, signed).as_dict()
    last = report["signatures"][-1] if report["signatures"] else {}
    return jsonify({"document_id": doc.id, "revision": doc.revision, "sha256": doc.sha256,
                    "download": url_for("pages.download", doc_id=doc.id),
                    "verdict": report["verdict"],
                    "verdict_text": TEXTS[lang()].get(f"verdict_{report['verdict']}", report["verdict"]),
                    "signer": (last.get("signer") or {}).get("common_name"),
                    "signing_time": last.get("signing_time"), "level": last.get("level"),
                    "messages": last.get("messages")})
