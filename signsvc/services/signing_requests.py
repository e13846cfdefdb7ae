"""What a caller hands to the signing services: the request of one signature and the
parameters of a visible signature (parsed as ``signsvc sign --profile`` parses them, same
values refused with the same messages). The web layer takes these from here, not from
``signsvc.signing`` (import rule: web imports services, not the domain)."""

from __future__ import annotations

from signsvc.sessions.layout import FIELD_NAME
from signsvc.signing.appearance.params import APPEARANCE_PARAMS, ATTACHMENT_MODES, parse_appearance
from signsvc.signing.appearance.spec import PROFILES
from signsvc.signing.pades import SignatureRequest

__all__ = ["APPEARANCE_PARAMS", "ATTACHMENT_MODES", "FIELD_NAME", "PROFILES", "SignatureRequest",
           "parse_appearance"]
