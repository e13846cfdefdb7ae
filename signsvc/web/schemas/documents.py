"""The requests of ``POST /v1/extend``, ``POST /v1/verify`` and ``POST /v1/documents``
(their PDF is the body; these are the other parameters)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from signsvc.names import LONG_TERM_LEVELS
from signsvc.web.schemas.common import BlankIsNone, Schema

EXTEND_LEVELS: tuple[str, ...] = tuple(map(str, LONG_TERM_LEVELS))


class ExtendQuery(Schema):
    """``/v1/extend?level=``: the extend service refuses other levels (400 naming level)."""

    level: Annotated[str | None, BlankIsNone] = Field(
        default=None, description="B-LT (default) or B-LTA",
        json_schema_extra={"enum": list(EXTEND_LEVELS)})


class VerifyQuery(Schema):
    """``/v1/verify?lang=``: the language of the HTML report page."""

    lang: Annotated[str | None, BlankIsNone] = Field(
        default=None, description="text/html only: vi (default) or en",
        json_schema_extra={"enum": ["vi", "en"]})


class DocumentForm(Schema):
    """The text fields of ``POST /v1/documents`` (multipart form, or the query with a raw
    PDF body); the document service judges them."""

    title: str = Field(default="", description="Title (trích yếu)")
    number: str = Field(default="", description="Number and symbol (số, ký hiệu)")
    assignee: str = Field(default="", description="The official's account who is to sign")
