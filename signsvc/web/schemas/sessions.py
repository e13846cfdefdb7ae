"""The JSON bodies of browser signing: step 1 (``POST /v1/signing-sessions`` and the
officials' page ``POST /pages/api/sessions``, one schema for both), step 3 (the raw
signature; the API and the page) and the page's cancellation (the agent's reason)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field

from signsvc.services.signing_requests import parse_appearance
from signsvc.web.schemas.common import Schema, bad_value
from signsvc.web.schemas.fields import FieldName, Level
from signsvc.web.schemas.sign import ESERVICES

RSA_PADDINGS = ("pss", "pkcs1v15")


def _look(value: dict[str, str] | None) -> dict[str, str] | None:
    if value is not None and "profile" not in value:
        raise _bad_look()
    return value


def _bad_look() -> Exception:
    return bad_value("'appearance' là một đối tượng có 'profile', mọi giá trị là chuỗi.",
                     "'appearance' is an object with 'profile', every value a string.")


def _document_id(value: str) -> str:
    if not value:
        raise bad_value("Thiếu document_id.", "document_id is missing.")
    return value


class SessionCreate(Schema):
    """Step 1: the document, the official's certificate and how to sign it."""

    document_id: Annotated[str, AfterValidator(_document_id),
                           Field(description="The document awaiting this official")]
    certificate: str | None = Field(default=None, description="The official's certificate, "
                                                              "base64 DER (registered to them)")
    level: Level = None
    eservice: str | None = Field(default=None, description="E-service profile for the policy",
                                 json_schema_extra={"enum": list(ESERVICES)})
    rsa_padding: str | None = Field(default=None, description="RSA keys: pss (default) or "
                                                              "pkcs1v15",
                                    json_schema_extra={"enum": list(RSA_PADDINGS)})
    field: FieldName = Field(default=None, description="An existing empty signature field")
    appearance: Annotated[dict[str, str] | None, AfterValidator(_look)] = Field(
        default=None, description="The visible signature: profile and its parameters, as the "
                                  "query of /v1/sign (every value a string)",
        json_schema_extra={"required": ["profile"]})

    def arguments(self, default_level: str) -> dict[str, Any]:
        """The keyword arguments of ``SessionService.create`` (after ``ctx``); the visible
        signature parsed here (``BadRequest`` or 422 naming the parameter)."""
        return {"document_id": self.document_id, "certificate_b64": self.certificate,
                "level": self.level or default_level, "eservice": self.eservice,
                "rsa_padding": self.rsa_padding or "pss",
                "appearance": parse_appearance(self.appearance)
                if self.appearance is not None else None,
                "field": self.field}


class SessionComplete(Schema):
    """Step 3: the raw signature (the session service checks it against step 1)."""

    signature: Any = Field(default=None, description="The raw signature, base64",
                           json_schema_extra={"type": "string"})
    certificate: Any = Field(default=None, description="base64 DER; when given, must be "
                                                       "step 1's", json_schema_extra={"type": "string"})


class PageCancel(Schema):
    """The officials' page gives a session up: ``reason`` is the agent's error code (the
    session service accepts only its known codes); absent, a plain cancellation."""

    reason: str | None = Field(default=None, max_length=64,
                               description="The agent's error code that ended step 2")
