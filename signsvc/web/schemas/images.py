"""The query of ``POST /v1/images`` (the PNG is the body)."""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import BeforeValidator, Field

from signsvc.web.schemas.common import Schema, bad_value

OFFICIAL_PREFIX = "official:"


def _diameter(value: object) -> object:
    if value is None or value == "":
        return None
    try:
        number = float(str(value))
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise bad_value("'diameter_mm' phải là một số (mm).", "'diameter_mm' must be a number (mm).")
    return number


class ImageQuery(Schema):
    """``/v1/images?name=&kind=&key=&diameter_mm=``: the image service judges name, kind
    and key (and names them in its errors)."""

    name: str = Field(default="", description="Image name",
                      json_schema_extra={"pattern": "^[A-Za-z0-9_.-]{1,64}$"})
    kind: str = Field(default="", description="signature or seal",
                      json_schema_extra={"enum": ["signature", "seal"]})
    key: str = Field(default="", description="Key id, or official:ACCOUNT for an official "
                                             "who signs with their own token")
    diameter_mm: Annotated[float | None, BeforeValidator(_diameter)] = Field(
        default=None, description="seal: physical diameter in mm")

    @property
    def official(self) -> str | None:
        """The account named by ``key=official:ACCOUNT``, else None."""
        return self.key[len(OFFICIAL_PREFIX):] if self.key.startswith(OFFICIAL_PREFIX) else None
