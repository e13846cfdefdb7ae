"""Read an uploaded PDF (raw body or multipart ``file``), bounded in size before reading.

Multipart file parts are streamed by werkzeug's form parser into unnamed temporary files
on disk (``UploadRequest``), never held in memory by the parser, each bounded by the
request's ``max_content_length``. Only text fields (title, number, CSRF token) count
against ``MAX_FORM_MEMORY_SIZE``.
"""

from __future__ import annotations

import tempfile
from typing import IO

from flask import Request
from werkzeug.exceptions import RequestEntityTooLarge

from signsvc.errors import DocumentTooLarge, Message, UnsupportedMediaType

CHUNK = 64 * 1024
#: werkzeug's multipart parser reads 64 KiB at a time and its decoder checks
#: ``MAX_FORM_MEMORY_SIZE`` against its buffer, file data included: the bound on text
#: fields must stay well above one read (plus a boundary) or file parts get 413.
FORM_FIELD_BYTES = 4 * CHUNK


class BoundedSpool:
    """A write-bounded unnamed temporary file (deleted when closed): writing more than
    ``bound`` bytes raises ``RequestEntityTooLarge`` (413) and nothing more is stored."""

    def __init__(self, bound: int | None) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile("w+b")  # noqa: SIM115 -- closed by close()
        self._bound = bound
        self._written = 0

    def write(self, data: bytes) -> int:
        self._written += len(data)
        if self._bound is not None and self._written > self._bound:
            raise RequestEntityTooLarge()
        return self._file.write(data)

    def __getattr__(self, name: str):
        return getattr(self._file, name)

    def __iter__(self):
        return iter(self._file)

    def __enter__(self) -> BoundedSpool:
        return self

    def __exit__(self, *exc) -> None:
        self._file.close()


class UploadRequest(Request):
    """Flask's request whose multipart file parts go to ``BoundedSpool`` files on disk,
    each bounded by this request's ``max_content_length``."""

    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None,
                         content_length: int | None = None) -> IO[bytes]:
        return BoundedSpool(self.max_content_length)  # type: ignore[return-value]


def too_large(limit: int) -> DocumentTooLarge:
    """413 ``document-too-large`` naming the limit in MiB (Vietnamese and English)."""
    mib = limit / (1024 * 1024)
    return DocumentTooLarge(Message(
        f"Tài liệu vượt quá kích thước tối đa {mib:.1f} MiB.",
        f"The document exceeds the maximum size of {mib:.1f} MiB."), max_bytes=limit)


def load_form(request: Request, limit: int) -> None:
    """Parse a form body now (text fields in memory, files to disk); a body over the
    bound is ``DocumentTooLarge`` (413, naming ``limit``) rather than werkzeug's bare 413,
    so that callers can audit it like any refused document."""
    declared = request.content_length
    if request.mimetype == "multipart/form-data" and declared is not None \
            and declared > limit + CHUNK:
        raise too_large(limit)
    try:
        request.files  # noqa: B018 -- parses the whole body
    except RequestEntityTooLarge:
        raise too_large(limit) from None


def read_pdf_upload(request: Request, limit: int) -> bytes:
    """The uploaded bytes. ``DocumentTooLarge`` if the declared or actual size exceeds
    ``limit`` (checked before reading when a length is declared), ``UnsupportedMediaType``
    for any other content type or a multipart body without a ``file`` part."""
    mimetype = request.mimetype
    declared = request.content_length
    if mimetype == "multipart/form-data":
        load_form(request, limit)
        upload = request.files.get("file")
        if upload is None:
            raise UnsupportedMediaType()
        data = upload.stream.read(limit + 1)
    elif mimetype in ("application/pdf", "application/octet-stream"):
        if declared is not None and declared > limit:
            raise too_large(limit)
        parts, total = [], 0
        stream = request.stream
        try:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > limit:
                    raise too_large(limit)
                parts.append(chunk)
        except RequestEntityTooLarge:   # a chunked body past max_content_length
            raise too_large(limit) from None
        data = b"".join(parts)
    else:
        raise UnsupportedMediaType()
    if len(data) > limit:
        raise too_large(limit)
    return data
