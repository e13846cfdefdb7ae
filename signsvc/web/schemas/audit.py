"""The queries of ``/v1/audit/*``: filters and paging of the records, paging of the signed
checkpoints, the start of an export."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from signsvc.web.schemas.common import BlankIsNone, NonNegativeInt, Schema, StrictSchema

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
