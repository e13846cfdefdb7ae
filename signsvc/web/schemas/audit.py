"""The queries of ``/v1/audit/*``: filters and paging of the records, paging of the signed
checkpoints, the start of an export."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from signsvc.web.schemas.common import (
    BlankIsNone,
    NonNegativeInt,
    Schema,
    StrictSchema,
)

Text = Annotated[str | None, BlankIsNone]


class AuditEventsQuery(Schema):
    """``/v1/audit/events``: records oldest first, filtered, paged by sequence."""

    since: Text = Field(default=None, description="ISO 8601, inclusive")
    until: Text = Field(default=None, description="ISO 8601, exclusive")
    actor: Text = Field(default=None, description="Client name")
    action: Text = Field(default=None, description="Action tag (area:object:verb)")
    document_sha256: Text = Field(default=None, description="Input or output SHA-256")
    key: Text = Field(default=None, description="Key id used")
    after_sequence: Annotated[NonNegativeInt | None, BlankIsNone] = Field(
        default=None, description="Page after this sequence")
    limit: Annotated[NonNegativeInt | None, BlankIsNone] = Field(
        default=None, description="At most 1000")


class CheckpointsQuery(Schema):
    """``/v1/audit/checkpoints``: signed checkpoints oldest first, paged by index."""

    after_index: Annotated[NonNegativeInt | None, BlankIsNone] = Field(
        default=None, description="Page after this checkpoint index")
    limit: Annotated[NonNegativeInt | None, BlankIsNone] = Field(
        default=None, description="At most 1000 (default 100)")
    signatures: str | None = Field(
        default=None, description="1 or true: add the base64 DER CMS signature and RFC 3161 "
                                  "token of each")

    @property
    def with_signatures(self) -> bool:
        return self.signatures in ("1", "true")


class ExportQuery(StrictSchema):
    """``/v1/audit/export``: records from ``since`` to a fresh checkpoint."""

    since: Text = Field(default=None, description="ISO-8601 date or date-time")


def _typed(value: Any) -> Any:
    """A filter as typed on the page: trimmed, at most 128 characters."""
    return value.strip()[:128] if isinstance(value, str) else value


def _sequence(value: Any) -> Any:
    """A paging sequence on the page: trimmed; empty means not given."""
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
    return value


Typed = Annotated[str, BeforeValidator(_typed)]
PageSequence = Annotated[NonNegativeInt | None, BeforeValidator(_sequence)]


class AuditPageQuery(Schema):
    """The auditors' audit-log page and its export: the filters as typed (dates are whole
    days in Vietnam time, turned into bounds by the page), paging back or forward by
    sequence, the export format."""

    since: Typed = ""
    until: Typed = ""
    actor: Typed = ""
    action: Typed = ""
    key: Typed = ""
    document_sha256: Typed = ""
    before_sequence: PageSequence = None
    after_sequence: PageSequence = None
    format: str = "csv"
