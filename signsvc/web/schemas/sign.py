"""The query of ``POST /v1/sign`` and of the policy dry run ``POST /v1/policy/evaluate``:
key, level, reason, location, field, e-service, the visible signature (``profile`` and its
parameters, parsed by the code ``signsvc sign --profile`` shares, so both refuse the same
values the same way)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from signsvc.services.signing_requests import (
    APPEARANCE_PARAMS,
    ATTACHMENT_MODES,
    PROFILES,
    SignatureRequest,
    parse_appearance,
)
from signsvc.web.schemas.common import BlankIsNone, StrictSchema
from signsvc.web.schemas.fields import FieldName, Level

TEXT_MAX = 200
ESERVICES = ("level3", "level4", "copy")

#: the text parameters of /v1/sign (reason, location): at most 200 characters
SignText = Annotated[Annotated[str, Field(max_length=TEXT_MAX)] | None, BlankIsNone]


def _appearance_text(description: str, enum: tuple[str, ...] | None = None) -> Any:
    """A visible-signature parameter: any string here (the shared parser judges it and
    names it in its error); ``enum`` only documents the values it takes."""
    extra: dict[str, Any] | None = {"enum": list(enum)} if enum else None
    return Field(default=None, description=description, json_schema_extra=extra)


class SignQuery(StrictSchema):
    """``/v1/sign?key=&level=&reason=&location=&field=&profile=&eservice=`` and the
    visible-signature parameters (every other name: 400 naming it)."""

    key: Annotated[str, Field(min_length=1, description="Key id (GET /v1/keys)")]
    level: Level = None
    reason: SignText = Field(default=None, description="Reason (at most 200 characters)")
    location: SignText = Field(default=None, description="Location (at most 200 characters)")
    field: FieldName = Field(default=None, description="Signature field name: an existing empty "
                                                        "field to sign (placement)")
    eservice: Annotated[str | None, BlankIsNone] = Field(
        default=None, description="E-service profile for the policy",
        json_schema_extra={"enum": list(ESERVICES)})
    profile: str | None = _appearance_text("Visible signature (Decree 30/2020, App. I)", PROFILES)
    page: str | None = _appearance_text("Page number (from 1) for rect")
    rect: str | None = _appearance_text("x1,y1,x2,y2 in PDF points (origin bottom left)")
    anchor: str | None = _appearance_text("Text on the page; the box is centred on it "
                                          "(official: the name line)")
    anchor_position: str | None = _appearance_text("above (default) or below the anchor",
                                                    ("above", "below"))
    size: str | None = _appearance_text("width,height in points of the box placed at an anchor")
    over_field: str | None = _appearance_text("seal: the official's signed field whose image "
                                              "the seal covers")
    image: str | None = _appearance_text("official, seal: name of an image registered for "
                                         "this key")
    doc_number: str | None = _appearance_text("attachment: the parent document's number and "
                                              "symbol")
    attachment_mode: str | None = _appearance_text(
        "WF-5, judged by the policy rule workflow.attachments: separate_file (each attachment "
        "a file of its own, stamped with profile=attachment) or same_file (attachments inside "
        "the main document: profile=attachment is refused, 422 attachment-mode)",
        ATTACHMENT_MODES)
    copy_kind: str | None = _appearance_text("copy", ("sao-y", "sao-luc", "trich-sao"))
    agency: str | None = _appearance_text("copy, text, vgca-compat: agency name (default: the "
                                          "certificate's O)")
    name: str | None = _appearance_text("official: name line under the image; text: signer "
                                        "(default: the certificate's CN)")
    email: str | None = _appearance_text("vgca-compat: e-mail line")
    lines: str | None = _appearance_text("text, vgca-compat: comma list of signer, email, "
                                         "agency, time")

    def signature_request(self, default_level: str) -> tuple[str, SignatureRequest]:
        """The key id and the signature request; ``default_level`` when none was asked. The
        visible signature is parsed here (``BadRequest`` or 422 naming the parameter)."""
        given = {name: getattr(self, name) for name in APPEARANCE_PARAMS | {"profile"}
                 if getattr(self, name) is not None}
        return self.key, SignatureRequest(
            level=self.level or default_level, reason=self.reason, location=self.location,
            field_name=self.field, eservice=self.eservice, appearance=parse_appearance(given))


class EvaluateQuery(SignQuery):
    """``/v1/policy/evaluate``: the query of /v1/sign, and ``client`` (admins and auditors:
    evaluate for another client)."""

    client: Annotated[str | None, BlankIsNone] = Field(
        default=None, description="admin, auditor: the client to evaluate for")

