"""The ``Idempotency-Key`` header of POST /v1/sign, /v1/extend and session completion.

``idempotent(ctx, operation, content, produce)`` answers a request through
``services().idempotency`` (``signsvc.services.idempotency``: the semantics). Without the
header it is ``produce()`` as before. The request's fingerprint is the SHA-256 of its
method, path, query parameters (sorted: their order does not matter) and ``content`` --
what the request carries once read: the PDF (the same whether sent raw or as multipart,
whatever the boundary) or the JSON object (canonical: key order and spacing do not matter).
A replayed answer has the first answer's status, headers and body, plus
``Idempotent-Replayed: true``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import Response, request

from signsvc.errors import IdempotencyInProgress
from signsvc.services.context import RequestContext
from signsvc.services.idempotency import MAX_KEY_LENGTH, StoredResponse
from signsvc.web.auth import services
from signsvc.web.problem import problem_response

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
#: the header parameter in the OpenAPI document (``documented(headers=...)``)
PARAMETER: dict[str, Any] = {
    "name": HEADER, "in": "header", "required": False,
    "description": "Khóa để gửi lại an toàn / Key for safe retries: the same key with the "
                   "same request (method, path, query, body) within the configured time "
                   "returns the first answer (same bytes, X-Document-SHA256, "
                   "X-Audit-Sequence) without signing again; with another request 422; "
                   "while the first is in progress 409 with Retry-After. Per client.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH,
               "pattern": "^[!-~]+$"},
}
#: headers of the first answer not kept for a replay (set again for each answer)
_NOT_KEPT = {"content-length", "date", "server", "set-cookie", "x-request-id"}


def json_content(body: Any) -> bytes:
    """A JSON body as the bytes its fingerprint is made of (sorted keys, no spacing)."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def fingerprint(content: bytes) -> str:
    """SHA-256 of method, path, sorted query and ``content`` (each length-prefixed)."""
    digest = hashlib.sha256()
    query = urlencode(sorted(request.args.items(multi=True)))
    for part in (request.method.encode(), request.path.encode(), query.encode(),
                 hashlib.sha256(content).digest()):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def idempotent(ctx: RequestContext, operation: str, content: bytes,
               produce: Callable[[], Response]) -> Response:
    """``produce()``'s answer, at most once per ``Idempotency-Key`` (see the module doc):
    a retry gets the stored answer; 400/409/422 problem+json (409 with ``Retry-After``)."""
    key = request.headers.get(HEADER)
    if key is None:
        return produce()

    def stored() -> StoredResponse:
        resp = produce()
        headers = tuple((name, value) for name, value in resp.headers.items()
                        if name.lower() not in _NOT_KEPT)
        return StoredResponse(resp.status_code, headers, resp.get_data())

    try:
        answer, replayed = services().idempotency.run(ctx, operation, key,
                                                       fingerprint(content), stored)
    except IdempotencyInProgress as busy:
        resp = problem_response(busy)
        resp.headers["Retry-After"] = str(busy.extra.get("retry_after", 1))
        return resp
    resp = Response(answer.body, status=answer.status)
    resp.headers.clear()
    for name, value in answer.headers:
        resp.headers.add(name, value)
    resp.headers["Content-Length"] = str(len(answer.body))
    if replayed:
        resp.headers[REPLAYED] = "true"
    return resp
