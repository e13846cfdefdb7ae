"""The officials' and clerks' signing pages: documents awaiting me, sign with my own token.

Routes of the ``pages`` blueprint (``signsvc.web.pages.common``). The page talks to the
official's local agent (its origin is the only extra ``connect-src`` of the
Content-Security-Policy); the PDF stays on the server and the PIN on the official's PC.
"""

from __future__ import annotations

from flask import Response, jsonify, request, url_for

from signsvc.errors import Forbidden, Message, NotFound, SignsvcError
from signsvc.services.context import RequestContext
from signsvc.settings import LEVELS
from signsvc.web.auth import page_context, services
from signsvc.web.headers import content_disposition
from signsvc.web.i18n import texts
from signsvc.web.pages.common import check_csrf, lang, login_required, pages, render
from signsvc.web.pages.dates import page_time
from signsvc.web.schemas.common import parse_object
from signsvc.web.schemas.sessions import PageCancel, SessionComplete, SessionCreate


def _ctx() -> RequestContext:
    return page_context()


def _page_level() -> str:
    """The level the signing page signs at unless the account may choose: what the policy's
    e-service profile asks (``eservice.minimum-level``), else the service's default."""
    svc = services()
    return svc.policy.required_level() or svc.settings.service.default_level


def _may_choose_level(ctx: RequestContext) -> bool:
    return ctx.role in services().settings.pages.level_choice_roles


def _versions(ctx: RequestContext, doc_id: str) -> list:
    history = services().documents.history
    return history.versions(ctx, doc_id)[1] if history is not None else []


@pages.get("/documents")
@login_required
def documents():
    """Two lists: what awaits my signature, and what I signed (most recent first), each
    with a link to the document's page."""
    ctx = _ctx()
    svc = services()
    history = svc.documents.history
    return render("documents.html", documents=svc.documents.awaiting(ctx),
                  signed=history.signed(ctx) if history is not None else [])


@pages.get("/documents/<doc_id>")
@login_required
def document(doc_id: str):
    """The document's pages, facts and every version (who signed, when, level, verdict
    now, download); for its official while it awaits them, the signing panel."""
    ctx = _ctx()
    svc = services()
    doc = svc.documents.visible(ctx, doc_id)
    mine = doc.state == "awaiting" and ctx.actor == doc.assignee
    images = _signature_images(ctx.actor or "") if mine else []
    return render("document.html", doc=doc, agent_url=svc.settings.pages.agent_url,
                  registered=svc.sessions.registered_certificates(ctx), levels=LEVELS,
                  level=_page_level(), choose_level=_may_choose_level(ctx),
                  eservice=svc.policy.eservice(None), mine=mine,
                  fields=svc.documents.empty_fields(ctx, doc_id) if mine else [],
                  images=images, versions=_versions(ctx, doc_id))


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
    """PNG of one page of the current version; ``?dpi=`` 60 (default), 100, 150 or 200."""
    dpi = request.args.get("dpi", default=60, type=int) or 0
    resp = Response(services().documents.preview(_ctx(), doc_id, number, dpi), mimetype="image/png")
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


@pages.get("/documents/<doc_id>/versions/<int:revision>/download")
@login_required
def download_version(doc_id: str, revision: int):
    """The exact bytes of one version (audited as a download); 404 when it is not kept."""
    history = services().documents.history
    if history is None:
        raise NotFound()
    doc, data = history.version_content(_ctx(), doc_id, revision)
    resp = Response(data, mimetype="application/pdf")
    name = f"{doc.number or doc.id}.pdf" if revision == doc.revision else \
        f"{doc.number or doc.id} - {texts(lang())['version']} {revision}.pdf"
    resp.headers["Content-Disposition"] = content_disposition(name)
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
    try:   # the schema of POST /v1/signing-sessions (signsvc.web.schemas.sessions)
        args = parse_object(SessionCreate, _json_body()).arguments(_page_level())
    except SignsvcError as exc:
        services().sessions.reject(ctx, exc, "prepare")
        raise
    if args["level"] != _page_level() and not _may_choose_level(ctx):
        refused = Forbidden(Message(
            f"Bạn không được đổi mức chữ ký; văn bản được ký ở mức {_page_level()} theo hồ sơ "
            "dịch vụ công.", "You may not change the signature level; documents are signed at "
            f"{_page_level()} as the e-service profile asks."))
        services().sessions.reject(ctx, refused, "prepare")
        raise refused
    return jsonify(services().sessions.create(ctx, **args)), 201


@pages.post("/pages/api/sessions/<session_id>/cancel")
def api_cancel(session_id: str):
    """The page gives up a session (step 2 failed on the official's PC); ``reason`` is the
    agent's error code, recorded in the audit log as reported."""
    check_csrf()
    ctx = _ctx()
    try:
        reason = parse_object(PageCancel, _json_body()).reason
    except SignsvcError as exc:
        services().sessions.reject(ctx, exc, "cancel")
        raise
    services().sessions.cancel(ctx, session_id, reason)
    return "", 204


@pages.post("/pages/api/sessions/<session_id>/signature")
def api_complete(session_id: str):
    check_csrf()
    ctx = _ctx()
    try:   # the schema of step 3 of the API (signsvc.web.schemas.sessions)
        body = parse_object(SessionComplete, _json_body())
    except SignsvcError as exc:
        services().sessions.reject(ctx, exc, "complete")
        raise
    doc, signed = services().sessions.complete(ctx, session_id, body.signature, body.certificate)
    report = services().validation.verify(ctx, signed).as_dict()
    last = report["signatures"][-1] if report["signatures"] else {}
    stamp = (last.get("timestamp") or {}).get("time") or last.get("signing_time")
    level = last.get("level")
    return jsonify({"document_id": doc.id, "revision": doc.revision, "sha256": doc.sha256,
                    "download": url_for("pages.download_version", doc_id=doc.id,
                                        revision=doc.revision),
                    "documents": url_for("pages.documents"),
                    "verdict": report["verdict"],
                    "verdict_text": texts(lang()).get(f"verdict_{report['verdict']}", report["verdict"]),
                    "signer": (last.get("signer") or {}).get("common_name"),
                    "signing_time": stamp, "signing_time_text": page_time(stamp),
                    "level": level, "level_label": texts(lang()).get(f"lvl_{level}", level),
                    "level_text": texts(lang()).get(f"level_{level}", level),
                    "messages": last.get("messages")})
