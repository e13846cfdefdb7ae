"""The query of ``GET /v1/policy`` (the request of the dry run is
:class:`signsvc.web.schemas.sign.EvaluateQuery`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from signsvc.web.schemas.common import BlankIsNone, Schema


class PolicyQuery(Schema):
    """``/v1/policy``: the policy in force, or with ``sha256`` one once in force here."""

    sha256: Annotated[str | None, BlankIsNone] = Field(
        default=None, description="SHA-256 of a policy once in force (its text)")
