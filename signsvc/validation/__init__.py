"""Validation: a PDF in, a ``ValidationReport`` out (trust anchors, signatures, verdict).

pyHanko is used inside this package only; what leaves it are signsvc's own frozen
dataclasses from ``report``.
"""

from .report import (
    DocumentInfo,
    DocumentTimestampReport,
    Messages,
    SignatureReport,
    SignerInfo,
    TimestampInfo,
    ValidationReport,
)
from .trust import TrustAnchors, load_trust_anchors
from .validator import PdfValidator

__all__ = [
    "DocumentInfo",
    "DocumentTimestampReport",
    "Messages",
    "PdfValidator",
    "SignatureReport",
    "SignerInfo",
    "TimestampInfo",
    "TrustAnchors",
    "ValidationReport",
    "load_trust_anchors",
]
