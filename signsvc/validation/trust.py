"""Trust anchors: the roots (and helpful intermediates) a signature must chain to.

Loaded once at start-up from PEM/DER files or directories of them. Every problem is a
``ConfigError`` naming the file, so a wrong trust store stops the service instead of
silently trusting too much or too little.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import pem, x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from pyhanko_certvalidator.sig_validate import DefaultSignatureValidator

from signsvc.errors import ConfigError, Message

CERT_SUFFIXES = frozenset({".pem", ".crt", ".cer", ".der"})
_WEAK_ROOT_HASHES = frozenset({"sha1"})
_BROKEN_HASHES = frozenset({"md2", "md5"})


@dataclass(frozen=True)
class TrustAnchors:
    """The configured trust store.

    ``sha256`` identifies the set of anchors (not the intermediates): the SHA-256 hex of
    the sorted anchors' DER SHA-256 hex strings joined by ``"\\n"``. It does not depend
    on file names, order or duplicates.
    """

    name: str
    anchors: tuple[x509.Certificate, ...]
    intermediates: tuple[x509.Certificate, ...]
    sha256: str


def anchors_digest(anchors: Iterable[x509.Certificate]) -> str:
    """SHA-256 hex over the sorted DER SHA-256 hex strings of ``anchors``, joined by newlines."""
    fingerprints = sorted({cert.sha256.hex() for cert in anchors})
    return hashlib.sha256("\n".join(fingerprints).encode("ascii")).hexdigest()


def load_trust_anchors(name: str, anchor_paths: Iterable[Path], intermediate_paths: Iterable[Path],
                       allow_sha1_roots: bool) -> TrustAnchors:
    """Read the trust store.

    Each path is a PEM/DER file (a PEM file may hold several certificates) or a directory
    whose ``*.pem``/``*.crt``/``*.cer``/``*.der`` files are read. Guarantees: every
    anchor is a self-signed CA certificate whose own signature verifies; no anchor is
    signed with MD5, and none with SHA-1 unless ``allow_sha1_roots`` (the documented
    exception for the legacy VGCA G1 / MIC 2008 roots); duplicates are dropped.
    Intermediates are only helpers for building paths (CA and TSA certificates that
    signatures may omit); they are parsed but grant no trust. Raises ``ConfigError``
    naming the file for an unreadable or unparseable file or a refused anchor, and when
    there is no anchor at all.
    """
    anchors = _dedupe(_check_anchor(cert, source, allow_sha1_roots)
                      for cert, source in _read_all(anchor_paths))
    if not anchors:
        raise ConfigError(Message(
            f"Kho tin cậy '{name}' không có chứng thư gốc (trust anchor) nào.",
            f"The trust store '{name}' has no trust anchor at all."), trust_store=name)
    intermediates = _dedupe(cert for cert, _ in _read_all(intermediate_paths))
    anchor_fps = {c.sha256 for c in anchors}
    intermediates = tuple(c for c in intermediates if c.sha256 not in anchor_fps)
    return TrustAnchors(name=name, anchors=anchors, intermediates=intermediates,
                        sha256=anchors_digest(anchors))


def _dedupe(certs: Iterable[x509.Certificate]) -> tuple[x509.Certificate, ...]:
    seen: dict[bytes, x509.Certificate] = {}
    for cert in certs:
        seen.setdefault(cert.sha256, cert)
    return tuple(seen.values())


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in CERT_SUFFIXES)
    return [path]


def _read_all(paths: Iterable[Path]) -> Iterator[tuple[x509.Certificate, Path]]:
    for path in paths:
        for file in _files(Path(path)):
            for cert in _read_file(file):
                yield cert, file


def _bad_file(file: Path, vi: str, en: str) -> ConfigError:
    return ConfigError(Message(f"Tệp chứng thư '{file}': {vi}", f"Certificate file '{file}': {en}"),
                       file=str(file))


def _read_file(file: Path) -> list[x509.Certificate]:
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise _bad_file(file, "không đọc được tệp.", f"cannot be read ({exc.strerror}).") from exc
    try:
        if pem.detect(raw):
            ders = [der for kind, _, der in pem.unarmor(raw, multiple=True) if kind == "CERTIFICATE"]
        else:
            ders = [raw]
        certs = [x509.Certificate.load(der) for der in ders]
        for cert in certs:
            _ = cert.native  # force a full parse so that garbage fails here, not later
            _ = cert.sha256
    except (ValueError, TypeError, KeyError) as exc:
        raise _bad_file(file, "không phải chứng thư X.509 hợp lệ (PEM hoặc DER).",
                        "is not a valid X.509 certificate (PEM or DER).") from exc
    if not certs:
        raise _bad_file(file, "không chứa chứng thư nào.", "holds no certificate.")
    return certs


def _signature_verifies(cert: x509.Certificate) -> bool:
    """Whether ``cert`` is signed by its own key (any algorithm certvalidator knows,
    SHA-1 included: refusing SHA-1 is a separate, configurable rule)."""
    try:
        DefaultSignatureValidator().validate_signature(
            cert["signature_value"].native, cert["tbs_certificate"].dump(), cert.public_key,
            cert["signature_algorithm"])
        return True
    except (InvalidSignature, ValueError, TypeError, KeyError, UnsupportedAlgorithm):
        return False


def _check_anchor(cert: x509.Certificate, file: Path, allow_sha1_roots: bool) -> x509.Certificate:
    subject = cert.subject.human_friendly
    if not cert.ca:
        raise _bad_file(file, f"'{subject}' không phải chứng thư của CA nên không thể làm gốc tin cậy.",
                        f"'{subject}' is not a CA certificate and cannot be a trust anchor.")
    if cert.self_signed == "no" or not _signature_verifies(cert):
        raise _bad_file(file, f"'{subject}' không phải chứng thư tự ký nên không thể làm gốc tin cậy.",
                        f"'{subject}' is not self-signed and cannot be a trust anchor.")
    hash_algo = _hash_algo(cert)
    if hash_algo in _BROKEN_HASHES or (hash_algo in _WEAK_ROOT_HASHES and not allow_sha1_roots):
        raise _bad_file(
            file,
            f"'{subject}' được ký bằng {hash_algo.upper()}, không đáp ứng tiêu chuẩn hiện hành "
            "(chỉ chấp nhận SHA-1 cho gốc cũ khi bật allow_sha1_roots).",
            f"'{subject}' is signed with {hash_algo.upper()}, which does not meet current "
            "standards (SHA-1 roots are accepted only with allow_sha1_roots).")
    return cert


def _hash_algo(cert: x509.Certificate) -> str:
    try:
        return cert["signature_algorithm"].hash_algo
    except ValueError:  # e.g. Ed25519: no separate hash
        return ""
