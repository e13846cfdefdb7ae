"""Validate signatures with pyHanko directly -- independent of signsvc's own validator."""

from __future__ import annotations

import io
from pathlib import Path

from asn1crypto import pem, x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext


def load_cert(path: Path) -> x509.Certificate:
    data = path.read_bytes()
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return x509.Certificate.load(data)


def pyhanko_statuses(data: bytes, root: Path, intermediates: list[Path] = ()) -> list:
    """One pyHanko ``PdfSignatureStatus`` per signature, validated against ``root``
    with online revocation checking on the loopback responders."""
    reader = PdfFileReader(io.BytesIO(data))
    out = []
    for sig in reader.embedded_regular_signatures:
        vc = ValidationContext(trust_roots=[load_cert(root)],
                               other_certs=[load_cert(p) for p in intermediates],
                               allow_fetching=True, revocation_mode="hard-fail")
        out.append((sig, validate_pdf_signature(sig, signer_validation_context=vc)))
    return out
