"""What a request asks the visible signature to be (pure data, no PDF library)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

PROFILES = ("official", "seal", "attachment", "copy", "text", "vgca-compat")
#: profiles drawn at the top right of page 1 (VS-5, VS-6), never placed by the caller
CORNER_PROFILES = ("attachment", "copy")
COPY_KINDS = {"sao-y": "SAO Y", "sao-luc": "SAO LỤC", "trich-sao": "TRÍCH SAO"}
TEXT_LINES = ("signer", "email", "agency", "time")
VIETNAM = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class Placement:
    """Where the widget goes. One of: ``page``+``rect``; ``field`` (an existing empty
    signature field); ``anchor`` (text on a page, box centred on it); ``over_field``
    (seal: over the left third of the image of an official's signature)."""

    page: int | None = None                       # 1-based; None = 1 (or any page for anchors)
    rect: tuple[float, float, float, float] | None = None   # x1, y1, x2, y2 (pt, user space)
    field: str | None = None
    anchor: str | None = None
    anchor_position: str = "above"                # above | below
    size: tuple[float, float] | None = None       # width, height (pt) for anchors
    over_field: str | None = None


@dataclass(frozen=True)
class ImageRef:
    """A registered image resolved by the service: its bytes and identity."""

    name: str
    kind: str               # signature | seal
    sha256: str
    png: bytes
    diameter_mm: float | None = None


@dataclass(frozen=True)
class AppearanceSpec:
    profile: str
    placement: Placement = Placement()
    doc_number: str | None = None       # attachment: parent document's number and symbol
    copy_kind: str | None = None        # copy: sao-y | sao-luc | trich-sao
    agency: str | None = None           # copy, text, vgca-compat
    signer_name: str | None = None      # official (name line), text
    email: str | None = None            # vgca-compat
    lines: tuple[str, ...] | None = None   # text / vgca-compat: which lines, in order
    image: str | None = None            # name of a registered image (official, seal)
    #: WF-5: separate_file | same_file as the request said (None: not said); judged by the
    #: policy rule workflow.attachments, not drawn
    attachment_mode: str | None = None
    resolved_image: ImageRef | None = field(default=None, repr=False)
    #: the claimed signing time, fixed by the caller (tests, reproducible renderings); never
    #: taken from an HTTP request. None: now.
    signing_time: datetime | None = None

    def with_image(self, ref: ImageRef) -> AppearanceSpec:
        return replace(self, resolved_image=ref)


def nfc(text: str) -> str:
    """TCVN 6909:2001 text as drawn and as extracted (VS-10)."""
    return unicodedata.normalize("NFC", text)


def signing_time_now() -> datetime:
    """The claimed signing time: whole seconds (as /M holds them), Vietnam time."""
    return datetime.now(VIETNAM).replace(microsecond=0)


def iso_vn(moment: datetime) -> str:
    """VS-8: ISO 8601 extended with the Vietnam offset, e.g. 2026-11-28T10:15:00+07:00."""
    return moment.astimezone(VIETNAM).replace(microsecond=0).isoformat()


def vgca_time(moment: datetime) -> str:
    """VS-9 (VGCA practice): dd.MM.yyyy HH:mm:ss +07:00."""
    return moment.astimezone(VIETNAM).strftime("%d.%m.%Y %H:%M:%S +07:00")


@dataclass(frozen=True)
class StoredImage:
    """A registered signature or seal image (see signsvc.services.image_service)."""

    name: str
    kind: str
    key_id: str
    sha256: str
    png: bytes
    width: int
    height: int
    diameter_mm: float | None
    created_by: str
    created_at: str

    def as_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "key": self.key_id, "sha256": self.sha256,
                "width": self.width, "height": self.height, "diameter_mm": self.diameter_mm,
                "bytes": len(self.png), "created_by": self.created_by,
                "created_at": self.created_at}
