"""Read an uploaded PDF (raw body or multipart ``file``), bounded in size before reading."""

from __future__ import annotations

from flask import Request

from signsvc.errors import DocumentTooLarge, Message, UnsupportedMediaType

CHUNK = 64 * 1024


def _too_large(limit: int) -> DocumentTooLarge:
    mib = limit / (1024 * 1024)
    return DocumentTooLarge(Message(
        f"Tài liệu vượt quá kích thước tối đa {mib:.1f} MiB.",
        f"The document exceeds the maximum size of {mib:.1f} MiB."), max_bytes=limit)


def read_pdf_upload(request: Request, limit: int) -> bytes:
    """The uploaded bytes. ``DocumentTooLarge`` if the declared or actual size exceeds
    ``limit`` (checked before reading when a length is declared), ``UnsupportedMediaType``
    for any other content type or a multipart body without a ``file`` part."""
    mimetype = request.mimetype
    declared = request.content_length
    if mimetype == "multipart/form-data":
        if declared is not None and declared > limit + CHUNK:
            raise _too_large(limit)
        upload = request.files.get("file")
        if upload is None:
            raise UnsupportedMediaType()
        data = upload.stream.read(limit + 1)
    elif mimetype in ("application/pdf", "application/octet-stream"):
        if declared is not None and declared > limit:
            raise _too_large(limit)
        parts, total = [], 0
        stream = request.stream
        while True:
            chunk = stream.read(CHUNK)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                raise _too_large(limit)
            parts.append(chunk)
        data = b"".join(parts)
    else:
        raise UnsupportedMediaType()
    if len(data) > limit:
        raise _too_large(limit)
    return data
