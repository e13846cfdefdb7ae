"""Sign a laid-out report with the service's report key (pyHanko, PAdES)."""

from __future__ import annotations

from signsvc.keys.model import CertificateInfo, SigningKey
from signsvc.names import PadesLevel
from signsvc.signing.pades import PadesSigner, SignatureRequest, SignedDocument
from signsvc.signing.pdf_input import open_for_signing

REASON = "Báo cáo kiểm tra chữ ký số / Signature verification report"


class ReportSigner:
    """Signs report PDFs with one key, at B-T when a TSA is configured, else B-B."""

    def __init__(self, key: SigningKey, pades: PadesSigner, *, timestamped: bool) -> None:
        self._key = key
        self._pades = pades
        self.level = PadesLevel.B_T if timestamped else PadesLevel.B_B

    @property
    def key_id(self) -> str:
        return self._key.info.id

    @property
    def certificate(self) -> CertificateInfo:
        return self._key.info.certificate

    def sign(self, pdf: bytes) -> SignedDocument:
        """``pdf`` plus one invisible PAdES signature (field ``Report``). Raises the
        signing errors of ``PadesSigner`` (e.g. ``TimestampUnavailable``); never returns
        a partial file."""
        return self._pades.sign(open_for_signing(pdf), self._key,
                                SignatureRequest(level=self.level, reason=REASON,
                                                 field_name="Report"))
