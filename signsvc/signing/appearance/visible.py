"""Plan a visible signature before the key signs: resolve the placement, lay the profile
out, and give pyHanko the field spec, the stamp style and one claimed signing time that
the page text, ``/M`` and the CMS share (VS-8)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pyhanko.sign import fields, signers

from signsvc.errors import Message
from signsvc.settings.model import AppearanceSettings
from signsvc.signing.appearance import layout as lay
from signsvc.signing.appearance import placement as pl
from signsvc.signing.appearance import png
from signsvc.signing.appearance.errors import AppearanceError, placement_error
from signsvc.signing.appearance.fonts import Measurer
from signsvc.signing.appearance.spec import (
    COPY_KINDS,
    CORNER_PROFILES,
    AppearanceSpec,
    iso_vn,
    nfc,
    signing_time_now,
    vgca_time,
)
from signsvc.signing.appearance.stamp import DecreeStampStyle, rgb
from signsvc.signing.appearance.words import PageWords

DEFAULT_OFFICIAL_SIZE = (170.0, 85.0)
DEFAULT_TEXT_LINES = ("signer", "agency", "time")
DEFAULT_VGCA_LINES = ("signer", "email", "agency", "time")


@dataclass(frozen=True)
class VisiblePlan:
    field_name: str
    page: int                                    # 0-based
    rect: tuple[float, float, float, float]
    existing_field: bool
    layout: lay.Layout
    style: DecreeStampStyle
    signing_time: datetime
    image_sha256: str | None

    def pdf_signer(self, meta: signers.PdfSignatureMetadata, signer, timestamper):
        spec = None if self.existing_field else fields.SigFieldSpec(
            sig_field_name=self.field_name, on_page=self.page,
            # pyHanko's hint says int; it writes any number (rounded here to 1/1000 pt)
            box=tuple(round(v, 3) for v in self.rect))  # type: ignore[arg-type]
        return _TimedPdfSigner(meta, signer, timestamper=timestamper, stamp_style=self.style,
                               new_field_spec=spec, signing_time=self.signing_time)


class _TimedPdfSigner(signers.PdfSigner):
    """A ``PdfSigner`` whose claimed signing time (``/M``, the appearance, the CMS) is fixed
    in advance, so that the time drawn on the page is the signature's own."""

    def __init__(self, *args, signing_time: datetime, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._signing_time = signing_time

    def init_signing_session(self, pdf_out, existing_fields_only=False):
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self._signing_time
        return session


def _subject(cert) -> dict:
    try:
        return dict(cert.subject.native)
    except (AttributeError, ValueError):
        return {}


def _need(value: str | None, param: str, vi: str, en: str) -> str:
    if not value:
        raise placement_error(vi, en, parameter=param)
    return nfc(value)


def _text_lines(spec: AppearanceSpec, subject: dict, moment: datetime) -> list[str]:
    vgca = spec.profile == "vgca-compat"
    wanted = spec.lines or (DEFAULT_VGCA_LINES if vgca else DEFAULT_TEXT_LINES)
    values = {
        "signer": ("Người ký", spec.signer_name or subject.get("common_name")),
        "email": ("Email", spec.email or subject.get("email_address")),
        "agency": ("Cơ quan", spec.agency or subject.get("organization_name")),
        "time": ("Thời gian ký", vgca_time(moment) if vgca else iso_vn(moment)),
    }
    lines = []
    for name in wanted:
        label, value = values[name]
        if value:
            lines.append(nfc(f"{label}: {value}"))
    if not lines:
        raise placement_error("Không có dòng nào để hiển thị trong chữ ký.",
                              "There is no line to show in the signature.", parameter="lines")
    return lines


def plan_visible(pdf, spec: AppearanceSpec, settings: AppearanceSettings, certificate,
                 field_name: str, explicit_field: bool,
                 signing_time: datetime | None = None,
                 page_words: PageWords | None = None) -> VisiblePlan:
    moment = signing_time or spec.signing_time or signing_time_now()
    reader = pdf.writer.prev
    measure = Measurer(settings.font_path).width
    colour = rgb(settings.text_color)
    subject = _subject(certificate)
    placement = spec.placement
    image = None
    if spec.profile in ("official", "seal"):
        ref = spec.resolved_image
        if ref is None:
            raise placement_error("Mẫu chữ ký này cần một ảnh đã đăng ký (tham số image).",
                                  "This profile needs a registered image (parameter image).",
                                  parameter="image")
        image = png.decode(ref.png, settings.image_max_bytes, settings.image_max_side)

    existing = None
    if explicit_field and any(name == field_name for name, _, _ in
                              fields.enumerate_sig_fields(reader)):
        if spec.profile in CORNER_PROFILES or pl.requested(placement):
            raise placement_error(f"Trường chữ ký '{field_name}' đã có; không đặt thêm vị trí.",
                                  f"The signature field '{field_name}' exists; give no position.",
                                  parameter="field")
        existing = pl.existing_field(reader, field_name)

    # the natural size of the content, for placements that do not fix the box
    if spec.profile == "attachment":
        lines = [_need(spec.doc_number, "doc_number",
                       "Thiếu số, ký hiệu văn bản (doc_number).",
                       "The document number and symbol (doc_number) is missing."), iso_vn(moment)]
        layout = lay.text_block(lines, measure)
    elif spec.profile == "copy":
        kind = COPY_KINDS.get(spec.copy_kind or "")
        if kind is None:
            raise placement_error("Hình thức sao (copy_kind) phải là sao-y, sao-luc hoặc trich-sao.",
                                  "copy_kind must be sao-y, sao-luc or trich-sao.",
                                  parameter="copy_kind")
        agency = _need(spec.agency or subject.get("organization_name"), "agency",
                       "Thiếu tên cơ quan sao (agency).", "The copying agency (agency) is missing.")
        layout = lay.text_block([kind, agency, iso_vn(moment)], measure)
    else:
        layout = None

    if spec.profile in CORNER_PROFILES:
        if existing is not None or pl.requested(placement) or placement.page not in (None, 1):
            raise placement_error(
                "Dấu đính kèm và dấu sao luôn ở góc trên bên phải trang 1; không nhận vị trí khác.",
                "Attachment and copy stamps always sit top right of page 1; no other position.",
                parameter="page")
        assert layout is not None   # the corner profiles (attachment, copy) are laid out above
        box = pl.page_box(reader, pdf.pages, 1)
        rect = pl.corner(box, (layout.width, layout.height), settings.corner_inset_mm,
                         settings.corner_width_mm, settings.corner_height_mm)
        page = 0
    elif existing is not None:
        page, rect = existing.page, existing.rect
    elif spec.profile == "seal" and placement.over_field:
        assert image is not None    # a seal's image was decoded above (or it was refused)
        page, sig_rect = pl.signature_image_rect(reader, placement.over_field)
        rect = lay.seal_over(sig_rect, lay.seal_size(_diameter(spec, settings),
                                                     (image.width, image.height)))
    elif placement.rect is not None:
        page = pl.page_box(reader, pdf.pages, placement.page or 1).index
        rect = placement.rect
        if spec.profile == "seal":   # physical size, centred on the given box
            assert image is not None
            w, h = lay.seal_size(_diameter(spec, settings), (image.width, image.height))
            cx, cy = (rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2
            rect = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    elif placement.anchor:
        page, anchor_rect = pl.find_anchor(pl_data(pdf), placement.anchor, placement.page,
                                           pdf.pages, reader, page_words)
        size = placement.size or _natural_size(spec, settings, image, subject, moment, measure)
        rect = pl.relative_to_anchor(anchor_rect, size, placement.anchor_position)
    else:
        raise placement_error(
            "Chưa chỉ định vị trí chữ ký: page và rect, anchor, hoặc field là một trường trống có sẵn.",
            "No position given: page and rect, anchor, or field naming an existing empty field.",
            parameter="rect")
    box = pl.page_box(reader, pdf.pages, page + 1)
    pl.check_inside(box, rect)
    if box.rotate:
        raise placement_error("Chưa hỗ trợ chữ ký hiển thị trên trang xoay.",
                              "Visible signatures on rotated pages are not supported yet.",
                              parameter="page")
    w, h = rect[2] - rect[0], rect[3] - rect[1]
    if layout is None:
        layout = _layout_in_box(spec, settings, image, subject, moment, measure, w, h)
    style = DecreeStampStyle(layout=layout, font_path=str(settings.font_path), colour=colour,
                             image=image)
    return VisiblePlan(field_name=field_name, page=page, rect=(rect[0], rect[1], rect[2], rect[3]),
                       existing_field=existing is not None, layout=layout, style=style,
                       signing_time=moment,
                       image_sha256=spec.resolved_image.sha256 if spec.resolved_image else None)


def pl_data(pdf) -> bytes:
    stream = pdf.writer.prev.stream
    stream.seek(0)
    return stream.read()


def _diameter(spec: AppearanceSpec, settings: AppearanceSettings) -> float:
    ref = spec.resolved_image
    return (ref.diameter_mm if ref and ref.diameter_mm else None) or settings.seal_diameter_mm


def _natural_size(spec, settings, image, subject, moment, measure) -> tuple[float, float]:
    if spec.profile == "official":
        return DEFAULT_OFFICIAL_SIZE
    if spec.profile == "seal":
        return lay.seal_size(_diameter(spec, settings), (image.width, image.height))
    block = lay.text_block(_text_lines(spec, subject, moment), measure)
    return (block.width, block.height)


def _layout_in_box(spec, settings, image, subject, moment, measure, w, h) -> lay.Layout:
    if spec.profile == "official":
        below = [nfc(spec.signer_name)] if spec.signer_name else []
        return lay.official(w, h, (image.width, image.height), below, measure)
    if spec.profile == "seal":
        sw, sh = lay.seal_size(_diameter(spec, settings), (image.width, image.height))
        if sw > w + 0.01 or sh > h + 0.01:
            raise AppearanceError(Message(
                "Khung chữ ký nhỏ hơn kích thước thật của con dấu. Tài liệu chưa được ký.",
                "The box is smaller than the seal's physical size. Nothing was signed."))
        return lay.Layout(w, h, (), lay.ImageItem((w - sw) / 2, (h - sh) / 2, sw, sh))
    return lay.fitted_text_block(_text_lines(spec, subject, moment), measure, w, h)
