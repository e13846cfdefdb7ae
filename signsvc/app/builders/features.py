"""Registered images, filed PDF reports and batch verification."""

from __future__ import annotations

from collections.abc import Callable

from signsvc import __version__
from signsvc.app.builders import stores
from signsvc.app.builders.signing import SigningParts
from signsvc.errors import ConfigError, Message
from signsvc.keys.registry import KeyRegistry
from signsvc.policy.engine import Policy
from signsvc.reports.layout import render_pdf
from signsvc.reports.model import Anchor, ReportIssuer
from signsvc.reports.signing import ReportSigner
from signsvc.services.audit_service import AuditService
from signsvc.services.batch_service import BatchService
from signsvc.services.image_service import ImageService
from signsvc.services.report_service import ReportService
from signsvc.services.validation_service import ValidationService
from signsvc.settings import Settings
from signsvc.validation.validator import PdfValidator


def build_images(settings: Settings, keys: KeyRegistry, audit: AuditService) -> ImageService:
    """Registered signature and seal images (visible signatures)."""
    return ImageService(stores.image_store(settings), keys, audit, settings.appearance)


def build_reports(settings: Settings, validation: ValidationService, audit: AuditService,
                  keys: KeyRegistry, parts: SigningParts) -> ReportService:
    """Filed reports: laid out with the appearance font, signed by ``[reports] key``
    (B-T when a TSA is configured); without that key, no PDF reports. A missing font with
    a key configured stops start-up (``ConfigError``)."""
    cfg = settings.reports
    font = settings.appearance.font_path
    signer = None
    if cfg.key:
        if not font.is_file():
            raise ConfigError(Message(
                f"Cấu hình [reports]: không có tệp phông chữ {font} ([appearance] font_path)",
                f"Configuration [reports]: the font file {font} does not exist ([appearance] font_path)"))
        signer = ReportSigner(keys.get(cfg.key), parts.pades, timestamped=parts.timestamper is not None)
    trust = parts.trust
    issuer = ReportIssuer(tool="signsvc", version=__version__, trust_name=trust.name,
                          trust_sha256=trust.sha256,
                          anchors=tuple(Anchor(a.subject.human_friendly, a.sha256.hex())
                                        for a in trust.anchors))
    return ReportService(validation, audit, issuer,
                         lambda report, who: render_pdf(report, who, font),
                         signer, stores.report_store(settings))


def build_batch(settings: Settings, validator: PdfValidator, audit: AuditService,
                policy: Callable[[], Policy]) -> BatchService:
    """Batch verification of incoming documents under the intake rules of ``policy()``
    (read for each batch: the policy in force), bounded by ``[service]``'s batch limits."""
    svc = settings.service
    return BatchService(validator.validate, audit, policy, max_files=svc.batch_max_files,
                        max_total_bytes=svc.batch_max_bytes,
                        max_document_bytes=svc.max_document_bytes)
