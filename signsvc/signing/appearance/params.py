"""Parameters of a visible signature, shared by ``/v1/sign``, ``/v1/policy/evaluate``,
the signing sessions and ``signsvc sign --profile`` (pure: no PDF library, no web).

``profile`` = official | seal | attachment | copy | text | vgca-compat, then the placement
(``page`` + ``rect``, ``anchor`` [+ ``anchor_position``, ``size``], ``field`` naming an
existing empty field, ``over_field`` for a seal), the profile's own values
(``doc_number``, ``copy_kind``, ``agency``, ``name``, ``email``, ``lines``,
``image``) and ``attachment_mode`` (WF-5: ``separate_file`` | ``same_file``, judged by the
policy rule ``workflow.attachments``). ``args`` is any mapping of parameter name to string
(a query string, or the command line's options under the same names).

Guarantees: malformed values raise ``BadRequest`` (400) naming the parameter, in
Vietnamese and English; values that do not fit the document (page missing, box off the
page, anchor not found) are left to the signing layer (422).
"""

from __future__ import annotations

import math

from signsvc.errors import BadRequest, Message
from signsvc.signing.appearance.spec import (
    COPY_KINDS,
    PROFILES,
    TEXT_LINES,
    AppearanceSpec,
    Placement,
    nfc,
)

APPEARANCE_PARAMS = frozenset({
    "page", "rect", "anchor", "anchor_position", "size", "over_field", "doc_number",
    "copy_kind", "agency", "name", "email", "lines", "image", "attachment_mode",
})
#: WF-5: attachments kept in the main document's file, or each in a file of its own
ATTACHMENT_MODES = ("separate_file", "same_file")
_TEXT_MAX = 200
_COORD_MAX = 14400.0     # the largest PDF page side (200 inches)


def _bad(param: str, vi: str, en: str) -> BadRequest:
    return BadRequest(Message(vi, en), parameter=param)


def _numbers(args, name: str, count: int) -> tuple[float, ...] | None:
    raw = args.get(name)
    if not raw:
        return None
    try:
        values = tuple(float(v) for v in raw.split(","))
    except ValueError:
        values = ()
    if len(values) != count or not all(math.isfinite(v) and abs(v) <= _COORD_MAX for v in values):
        raise _bad(name, f"'{name}' phải gồm {count} số (điểm PDF) cách nhau bởi dấu phẩy.",
                   f"'{name}' must be {count} comma-separated numbers (PDF points).")
    return values


def _text(args, name: str) -> str | None:
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    if len(raw) > _TEXT_MAX or any(ord(c) < 32 for c in raw):
        raise _bad(name, f"'{name}' dài quá {_TEXT_MAX} ký tự hoặc có ký tự điều khiển.",
                   f"'{name}' is longer than {_TEXT_MAX} characters or has control characters.")
    return nfc(raw)


def parse_appearance(args) -> AppearanceSpec | None:
    profile = args.get("profile") or None
    if profile is None:
        given = sorted(set(args) & APPEARANCE_PARAMS)
        if given:
            raise _bad(given[0], f"Tham số '{given[0]}' chỉ dùng cùng 'profile' (chữ ký hiển thị).",
                       f"'{given[0]}' needs 'profile' (a visible signature).")
        return None
    if profile not in PROFILES:
        raise _bad("profile", f"Không có mẫu hiển thị chữ ký '{profile}'; có: {', '.join(PROFILES)}.",
                   f"There is no appearance profile '{profile}'; known: {', '.join(PROFILES)}.")
    page = args.get("page")
    if page is not None and (not page.isdigit() or int(page) < 1 or len(page) > 6):
        raise _bad("page", "'page' phải là số trang, bắt đầu từ 1.",
                   "'page' must be a page number, starting at 1.")
    rect = _numbers(args, "rect", 4)
    if rect is not None:
        x1, y1, x2, y2 = rect
        rect = (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
    sized = _numbers(args, "size", 2)
    if sized is not None and (sized[0] <= 0 or sized[1] <= 0):
        raise _bad("size", "'size' phải là chiều rộng và chiều cao dương.",
                   "'size' must be a positive width and height.")
    size = (sized[0], sized[1]) if sized is not None else None
    position = args.get("anchor_position") or "above"
    if position not in ("above", "below"):
        raise _bad("anchor_position", "'anchor_position' là above hoặc below.",
                   "'anchor_position' is above or below.")
    copy_kind = args.get("copy_kind") or None
    if copy_kind is not None and copy_kind not in COPY_KINDS:
        raise _bad("copy_kind", f"'copy_kind' là một trong: {', '.join(COPY_KINDS)}.",
                   f"'copy_kind' is one of: {', '.join(COPY_KINDS)}.")
    lines = None
    if args.get("lines"):
        lines = tuple(v.strip() for v in args["lines"].split(","))
        if not all(v in TEXT_LINES for v in lines) or len(set(lines)) != len(lines):
            raise _bad("lines", f"'lines' là danh sách không lặp trong: {', '.join(TEXT_LINES)}.",
                       f"'lines' is a list without repeats of: {', '.join(TEXT_LINES)}.")
    over_field = args.get("over_field") or None
    if over_field is not None and (len(over_field) > 64 or profile != "seal"):
        raise _bad("over_field", "'over_field' chỉ dùng cho mẫu 'seal' (tên trường, tối đa 64).",
                   "'over_field' is for the 'seal' profile only (a field name, 64 at most).")
    attachment_mode = args.get("attachment_mode") or None
    if attachment_mode is not None and attachment_mode not in ATTACHMENT_MODES:
        raise _bad("attachment_mode", "'attachment_mode' là separate_file (phụ lục là tệp riêng) "
                   "hoặc same_file (phụ lục nằm trong tệp văn bản chính).",
                   "'attachment_mode' is separate_file (each attachment a file of its own) or "
                   "same_file (attachments inside the main document's file).")
    placement = Placement(page=int(page) if page else None, rect=rect,
                          anchor=_text(args, "anchor"), anchor_position=position,
                          size=size, over_field=over_field)
    if placement.rect and placement.anchor:
        raise _bad("anchor", "Chỉ dùng một trong 'rect' hoặc 'anchor'.",
                   "Give either 'rect' or 'anchor', not both.")
    return AppearanceSpec(profile=profile, placement=placement,
                          doc_number=_text(args, "doc_number"), copy_kind=copy_kind,
                          agency=_text(args, "agency"), signer_name=_text(args, "name"),
                          email=_text(args, "email"), lines=lines,
                          image=_text(args, "image"), attachment_mode=attachment_mode)
