"""Field types that several request schemas share: the PAdES level and the signature
field name (one rule, the one the session service and the signing service apply)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from signsvc.services.signing_requests import FIELD_NAME
from signsvc.settings import LEVELS
from signsvc.web.schemas.common import BlankIsNone, bad_value


def _level(value: str | None) -> str | None:
    if value is not None and value not in LEVELS:
        raise bad_value(f"Mức chữ ký phải là một trong: {', '.join(LEVELS)}.",
                        f"level must be one of: {', '.join(LEVELS)}.")
    return value


def _field_name(value: str | None) -> str | None:
    if value is not None and not FIELD_NAME.match(value):
        raise bad_value("Tên trường chữ ký chỉ gồm chữ, số, '_', '.', '-' (tối đa 64).",
                        "A field name uses letters, digits, '_', '.', '-' (64 at most).")
    return value


def _no_blank(value: object) -> object:
    """A JSON ``"field": ""`` is no field (as ``?field=`` is)."""
    return None if value == "" else value


#: a PAdES level, or None for the service's default (an empty value is None too)
Level = Annotated[str | None, BlankIsNone, AfterValidator(_level),
                  Field(default=None, description="Signature level (default: [service] "
                                                  "default_level)",
                        json_schema_extra={"enum": list(LEVELS)})]
#: the name of a signature field: letters, digits, '_', '.', '-', at most 64
FieldName = Annotated[str | None, BeforeValidator(_no_blank), AfterValidator(_field_name),
                      Field(default=None, json_schema_extra={"pattern": FIELD_NAME.pattern})]
