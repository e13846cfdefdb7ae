"""What the workflow store keeps: documents and signing sessions (plain values)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StoredDocument:
    id: str
    title: str
    number: str
    assignee: str
    created_by: str
    revision: int
    sha256: str
    pages: int
    state: str
    created_at: str
    updated_at: str

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class StoredSession:
    id: str
    owner: str
    document_id: str
    base_revision: int
    base_sha256: str
    certificate: bytes
    level: str
    field_name: str
    prepared_pdf: bytes
    prepared_sha256: str
    document_digest: bytes
    reserved_start: int
    reserved_end: int
    signed_attrs: bytes
    mechanism: bytes
    state: str
    created_at: str
    expires_at: str
    result_sha256: str | None
