"""Batch signing jobs: ``POST /v1/jobs`` (many PDFs, one key and signature request),
``GET /v1/jobs/{id}`` (progress and per-document results), one signed PDF or a zip of
all, ``DELETE`` to cancel. Only the client that created a job, or an admin, sees it.

The body is ``multipart/form-data`` with one ``file`` part per PDF; the declared length is
checked before anything is read and the body is never read past the job bound, the number
of files and their total size before anything is queued (over a bound: 413, audited
``jobs:job:rejected``). The query is ``/v1/sign``'s. An operator (``sign-server-folder``)
may instead send ``application/json`` ``{"folder": "<relative name>"}``: every ``*.pdf``
of that folder under ``[jobs] server_folders_root``, read at once, within the same bounds.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from signsvc.errors import (
    BadRequest,
    Forbidden,
    JobNotFound,
    Message,
    SignsvcError,
    UnsupportedMediaType,
)
from signsvc.permissions import Permission, roles_for
from signsvc.services.context import RequestContext
from signsvc.services.jobs import JobService
from signsvc.services.signing_requests import APPEARANCE_PARAMS
from signsvc.web.auth import client_required, services
from signsvc.web.headers import content_disposition
from signsvc.web.openapi import PDF_BINARY, Reply, documented
from signsvc.web.schemas.common import parse_query
from signsvc.web.schemas.jobs import FOLDER_BODY, JOB, job_json
from signsvc.web.schemas.sign import SignQuery

api_jobs = Blueprint("api_jobs", __name__)

SIGN_ROLES = roles_for(Permission.SIGN_DOCUMENT)
FOLDER_ROLES = roles_for(Permission.SIGN_SERVER_FOLDER)
PART_OVERHEAD = 64 * 1024   # multipart headers and boundaries, per file, on top of the data


def _files(jobs: JobService) -> list[tuple[str | None, bytes]]:
    """The ``file`` parts, bounded before they are read (413 over a bound)."""
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType()
    bound = jobs.max_total_bytes + PART_OVERHEAD * (jobs.max_files + 1)
    declared = request.content_length
    if declared is not None and declared > bound:
        jobs.check_bounds(1, declared)
    request.max_content_length = bound
    request.max_form_parts = 2 * jobs.max_files + 16
    try:
        uploads = request.files.getlist("file")
    except RequestEntityTooLarge:
        if declared is not None and declared <= bound:
            jobs.check_bounds(jobs.max_files + 1, 0)   # too many parts
        jobs.check_bounds(1, jobs.max_total_bytes + 1)
        raise
    files = [(u.filename, u.stream.read()) for u in uploads]
    jobs.check_bounds(len(files), sum(len(data) for _, data in files))
    return files


def _folder() -> str:
    """The ``folder`` of a JSON body ``{"folder": "..."}`` (400 for any other body)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or set(body) != {"folder"} or not isinstance(body["folder"], str):
        raise BadRequest(Message("Thân JSON phải là {\"folder\": \"<tên thư mục>\"}.",
                                 "The JSON body must be {\"folder\": \"<folder name>\"}."),
                         parameter="folder")
    return str(body["folder"])


def _url(job_id: str) -> str:
    return url_for("api_jobs.job", job_id=job_id)


def _number(n: str) -> int:
    if not n.isdigit() or len(n) > 6:
        raise JobNotFound()
    return int(n)


@api_jobs.post("/jobs")
@documented(
    "Tạo lô ký nhiều tài liệu / Create a batch signing job",
    {202: Reply("The job, accepted (signed in the background)", {"application/json": JOB},
                {"Location": "The job's URL (GET for progress)"})},
    description="Roles: portal, clerk. `multipart/form-data` with one `file` part per PDF; "
                "or, for an operator (role admin, permission sign-server-folder), "
                "`application/json` `{\"folder\": \"<name>\"}`: every `*.pdf` of that folder "
                "under `[jobs] server_folders_root` (unset: 403), read when the job is created; "
                "the name is relative and must stay inside the root (`..`, absolute: 400; a "
                "symbolic link out of it: 403; no such folder: 404), audited with the name; "
                "the query is /v1/sign's (key, level, profile, eservice, ...), the same for "
                "every document. Bounds `[jobs] max_files` (50) and `max_total_bytes` "
                "(100 MiB): over either 413 and nothing is queued. Each document is signed "
                "as /v1/sign signs (grant, policy, audit) by a worker of any instance; a "
                "document that cannot be signed gets its problem in the job, the others are "
                "signed. Audited `jobs:job:created`.",
    query=SignQuery,
    body={"multipart/form-data": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "array", "items": PDF_BINARY}}},
          "application/json": FOLDER_BODY},
    errors=(404, 503))
@client_required(*SIGN_ROLES, *FOLDER_ROLES)
def create_job(ctx: RequestContext) -> tuple[Response, int]:
    """Queue every PDF (committed) and answer 202 with the job and its Location."""
    svc = services()
    svc.job_workers.start()   # this process's (already running under signsvc serve)
    try:
        query = parse_query(SignQuery, request.args)
        key_id, sig_request = query.signature_request(svc.settings.service.default_level)
        appearance = {name: str(getattr(query, name)) for name in APPEARANCE_PARAMS | {"profile"}
                      if getattr(query, name) is not None}
        if request.mimetype == "application/json":
            folder = _folder()
        elif ctx.role not in SIGN_ROLES:
            raise Forbidden()
        else:
            folder, files = None, _files(svc.jobs)
    except SignsvcError as exc:
        svc.jobs.reject(ctx, exc, request.args.get("key"))
        raise
    if folder is not None:
        job = svc.jobs.create_from_folder(ctx, key_id, sig_request, appearance, folder)
    else:
        job = svc.jobs.create(ctx, key_id, sig_request, appearance, files)
    resp = jsonify(job_json(job, _url(job.id)))
    resp.headers["Location"] = _url(job.id)
    return resp, 202


@api_jobs.get("/jobs/<job_id>")
@documented("Tiến độ lô ký / A job's progress and results",
            {200: Reply("The job", {"application/json": JOB})},
            description="The creator or an admin; anyone else 404.", errors=(404,))
@client_required()
def job(ctx: RequestContext, job_id: str) -> Response:
    """Status, counts and each document's result."""
    return jsonify(job_json(services().jobs.get(ctx, job_id), _url(job_id)))


@api_jobs.get("/jobs/<job_id>/documents/<n>")
@documented("Tải một tài liệu đã ký của lô / Download one signed document of a job",
            {200: Reply("The signed PDF", {"application/pdf": PDF_BINARY})},
            description="409 job-document-not-ready while it is not signed (pending, being "
                        "signed, failed or cancelled).", errors=(404, 409))
@client_required()
def job_document(ctx: RequestContext, job_id: str, n: str) -> Response:
    """The signed PDF of document ``n`` (from 1)."""
    name, data = services().jobs.document(ctx, job_id, _number(n))
    resp = Response(data, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = content_disposition(name)
    return resp


@api_jobs.get("/jobs/<job_id>/result.zip")
@documented("Tải mọi tài liệu đã ký của lô (zip) / Download every signed document (zip)",
            {200: Reply("A zip of the signed PDFs (NNN-name)",
                        {"application/zip": {"type": "string", "format": "binary"}})},
            errors=(404,))
@client_required()
def job_zip(ctx: RequestContext, job_id: str) -> Response:
    """Every signed document so far."""
    resp = Response(services().jobs.zip(ctx, job_id), mimetype="application/zip")
    resp.headers["Content-Disposition"] = content_disposition(f"job-{job_id}.zip")
    return resp


@api_jobs.delete("/jobs/<job_id>")
@documented("Hủy lô ký / Cancel a job",
            {200: Reply("The job, cancelled", {"application/json": JOB})},
            description="Pending documents are not signed; signed ones stay downloadable. "
                        "Audited `jobs:job:cancelled`.", errors=(404,))
@client_required()
def cancel_job(ctx: RequestContext, job_id: str) -> Response:
    """Cancel and answer the job as it now is."""
    return jsonify(job_json(services().jobs.cancel(ctx, job_id), _url(job_id)))
