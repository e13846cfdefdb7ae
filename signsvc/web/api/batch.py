"""POST /v1/verify/batch: several incoming documents, one ``accept``/``return`` each (VAL-9).

The body is ``multipart/form-data`` with one ``file`` part per document. The declared
length is checked before anything is read, the body is never read past the batch bound,
and the number of files and their total size are checked before any file is validated:
over a bound the answer is 413 problem+json and nothing was checked (audited as
``validation:batch:rejected``).
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from signsvc.errors import SignsvcError, UnsupportedMediaType
from signsvc.services.context import RequestContext
from signsvc.web.auth import client_required, services
from signsvc.web.openapi import PDF_BINARY, Reply, documented

api_batch = Blueprint("api_batch", __name__)

PART_OVERHEAD = 64 * 1024   # multipart headers and boundaries, per file, on top of the data


def _files(batch) -> list[tuple[str | None, bytes]]:
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType()
    bound = batch.max_total_bytes + PART_OVERHEAD * (batch.max_files + 1)
    declared = request.content_length
    if declared is not None and declared > bound:
        from signsvc.services.batch_service import batch_too_large
        raise batch_too_large(batch.max_total_bytes)
    request.max_content_length = bound
    request.max_form_parts = 2 * batch.max_files + 16
    try:
        uploads = request.files.getlist("file")
    except RequestEntityTooLarge:
        from signsvc.services.batch_service import batch_too_large, too_many_files
        if declared is not None and declared <= bound:
            raise too_many_files(batch.max_files) from None  # too many parts
        raise batch_too_large(batch.max_total_bytes) from None
    batch.check_bounds(len(uploads), sum(_size(u) for u in uploads))
    return [(u.filename, u.stream.read()) for u in uploads]


def _size(upload) -> int:
    stream = upload.stream
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


@api_batch.post("/verify/batch")
@documented(
    "Kiểm tra lô văn bản đến: tiếp nhận hoặc trả lại từng tệp / Batch intake: accept or return "
    "each file (VAL-9)",
    {200: Reply("one decision per file, in the order sent", {"application/json": "BatchResult"})},
    description="Any client. `multipart/form-data` with one `file` part per document. Each "
                "file is verified and gets `accept` or `return` with the reason (Vietnamese, "
                "English) by the policy's intake rule `intake.accepted-verdicts` (default: only "
                "`valid`; `invalid` is never accepted). A file that is not a PDF, damaged, "
                "encrypted or over `[service] max_document_bytes` is a `return` with the "
                "reason, never a failure of the batch. Bounds `[service] batch_max_files` (20) "
                "and `batch_max_bytes` (100 MiB) are checked before any file is verified: over "
                "either, 413 `document-too-large` and nothing is checked (audited "
                "`validation:batch:rejected`). One audit record per file: "
                "`validation:batch:accepted` / `validation:batch:returned` with its SHA-256, "
                "verdict, decision and the batch id.",
    body={"multipart/form-data": {"type": "object", "properties": {
        "file": {"type": "array", "items": PDF_BINARY}}}},
    errors=(503,))
@client_required()
def verify_batch(ctx: RequestContext) -> Response:
    """One accept/return decision per file; over a bound nothing is checked (audited)."""
    svc = services()
    batch = svc.batch
    try:
        files = _files(batch)
    except SignsvcError as exc:
        batch.reject(ctx, exc)
        raise
    return jsonify(batch.verify_batch(ctx, files).as_dict())
