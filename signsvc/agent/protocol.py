"""The wire protocol between a signing page (and the signsvc server) and ``signsvc-agent``.

Shared with the server side, so it depends on nothing but the standard library
(dataclasses, base64, json, re). Guarantees:

- ``SignRequest.from_json`` accepts only a well-formed request: known algorithms, a hash
  whose length equals the hash algorithm's digest size, a PSS salt length only for PSS
  (defaulting to the hash length), a non-empty certificate, and a document description
  with bounded strings; anything else raises ``ProtocolError`` (``bad-request``);
- every error the agent answers is one of ``ERRORS``: a slug, an HTTP status and a
  message in Vietnamese and English (``error_body``).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import asdict, dataclass
from typing import Any

#: hash algorithm name -> digest size in bytes
HASH_SIZES: dict[str, int] = {"sha256": 32, "sha384": 48, "sha512": 64}
SIGNATURE_ALGORITHMS = ("rsassa_pkcs1v15", "rsassa_pss", "ecdsa")
KEY_ALGORITHMS = ("rsa", "ec")
#: which key algorithm each signature algorithm needs
KEY_ALGORITHM_FOR = {"rsassa_pkcs1v15": "rsa", "rsassa_pss": "rsa", "ecdsa": "ec"}

#: requests larger than this are refused without being read
MAX_REQUEST_BYTES = 64 * 1024
MAX_CERTIFICATE_BYTES = 16 * 1024
MAX_TITLE_CHARS = 300
MAX_NUMBER_CHARS = 100

PATH_CERTIFICATES = "/certificates"
PATH_SIGN = "/sign"


@dataclass(frozen=True)
class ErrorKind:
    slug: str
    status: int
    message_vi: str
    message_en: str


ERRORS: dict[str, ErrorKind] = {e.slug: e for e in (
    ErrorKind("origin-not-allowed", 403,
              "Trang web này không được phép dùng phần mềm ký số trên máy.",
              "This web page is not allowed to use the local signing agent."),
    ErrorKind("host-not-allowed", 403,
              "Yêu cầu gửi tới sai địa chỉ của phần mềm ký số.",
              "The request was sent to a host name the agent does not answer."),
    ErrorKind("certificate-not-found", 404,
              "Không tìm thấy chứng thư số này trên token đang cắm.",
              "This certificate is not on any inserted token."),
    ErrorKind("bad-request", 400,
              "Yêu cầu ký không hợp lệ.",
              "The signing request is not valid."),
    ErrorKind("pin-cancelled", 401,
              "Người dùng đã hủy nhập mã PIN.",
              "The PIN entry was cancelled."),
    ErrorKind("pin-incorrect", 401,
              "Mã PIN không đúng.",
              "The PIN is incorrect."),
    ErrorKind("pin-locked", 423,
              "Mã PIN của token đã bị khóa. Hãy liên hệ bộ phận quản trị.",
              "The token's PIN is locked. Contact your administrator."),
    ErrorKind("token-not-present", 503,
              "Chưa cắm token ký số (USB token).",
              "The signing token (USB token) is not inserted."),
    ErrorKind("not-found", 404,
              "Không có chức năng này.",
              "No such endpoint."),
    ErrorKind("token-failed", 500,
              "Token không ký được. Hãy rút token ra, cắm lại và thử lại.",
              "The token could not sign. Remove and reinsert the token, then try again."),
)}


class ProtocolError(Exception):
    """A request or response that breaks the protocol; ``slug`` names the error kind;
    ``hints`` are yes/no facts the page may act on (``PIN_HINTS``)."""

    def __init__(self, slug: str, detail: str = "", hints: dict[str, bool] | None = None) -> None:
        super().__init__(detail or slug)
        self.slug = slug
        self.detail = detail
        self.hints: dict[str, bool] = {k: True for k, v in (hints or {}).items()
                                       if k in PIN_HINTS and v is True}


#: what a token says about its user PIN after a wrong one (PKCS#11 token flags
#: CKF_USER_PIN_COUNT_LOW, CKF_USER_PIN_FINAL_TRY); sent only when the token sets them
PIN_HINTS = ("pin_count_low", "pin_final_try")


def error_body(slug: str, detail: str = "", hints: dict[str, bool] | None = None) -> dict[str, Any]:
    """The JSON body for error ``slug`` (a key of ``ERRORS``); ``detail`` is appended to
    the English message only and must not carry secrets; ``hints`` (``PIN_HINTS`` that are
    true) are added as fields."""
    kind = ERRORS[slug]
    en = f"{kind.message_en} ({detail})" if detail else kind.message_en
    body: dict[str, Any] = {"error": kind.slug, "message_vi": kind.message_vi, "message_en": en}
    body.update({k: True for k, v in (hints or {}).items() if k in PIN_HINTS and v is True})
    return body


def b64decode_strict(value: Any, field: str) -> bytes:
    """Standard base64 (with padding) decoded, or ``ProtocolError('bad-request')``."""
    if not isinstance(value, str) or not value:
        raise ProtocolError("bad-request", f"{field} must be a non-empty base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError("bad-request", f"{field} is not valid base64") from None


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")


@dataclass(frozen=True)
class DocumentInfo:
    """What the user is signing, shown in the PIN prompt."""

    title: str
    number: str
    sha256: str

    @classmethod
    def from_json(cls, value: Any) -> DocumentInfo:
        if not isinstance(value, dict):
            raise ProtocolError("bad-request", "document must be an object")
        unknown = set(value) - {"title", "number", "sha256"}
        if unknown:
            raise ProtocolError("bad-request", f"unknown document field(s): {sorted(unknown)}")
        title, number, sha256 = value.get("title"), value.get("number"), value.get("sha256")
        if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE_CHARS:
            raise ProtocolError("bad-request",
                                f"document.title must be 1..{MAX_TITLE_CHARS} characters")
        if not isinstance(number, str) or len(number) > MAX_NUMBER_CHARS:
            raise ProtocolError("bad-request",
                                f"document.number must be a string of at most {MAX_NUMBER_CHARS}")
        if not isinstance(sha256, str) or not _SHA256_HEX.fullmatch(sha256):
            raise ProtocolError("bad-request", "document.sha256 must be 64 hex digits")
        return cls(title=title, number=number, sha256=sha256.lower())


@dataclass(frozen=True)
class SignRequest:
    """A validated ``POST /sign`` body."""

    hash: bytes
    hash_algorithm: str
    signature_algorithm: str
    certificate: bytes
    document: DocumentInfo
    pss_salt_length: int | None = None

    @classmethod
    def from_json(cls, value: Any) -> SignRequest:
        """Validate a decoded JSON body; raises ``ProtocolError('bad-request')``."""
        if not isinstance(value, dict):
            raise ProtocolError("bad-request", "the body must be a JSON object")
        allowed = {"hash", "hash_algorithm", "signature_algorithm", "pss_salt_length",
                   "certificate", "document"}
        unknown = set(value) - allowed
        if unknown:
            raise ProtocolError("bad-request", f"unknown field(s): {sorted(unknown)}")
        hash_algorithm = value.get("hash_algorithm")
        if hash_algorithm not in HASH_SIZES:
            raise ProtocolError("bad-request", f"hash_algorithm must be one of {sorted(HASH_SIZES)}")
        sig_algorithm = value.get("signature_algorithm")
        if sig_algorithm not in SIGNATURE_ALGORITHMS:
            raise ProtocolError("bad-request",
                                f"signature_algorithm must be one of {list(SIGNATURE_ALGORITHMS)}")
        digest = b64decode_strict(value.get("hash"), "hash")
        if len(digest) != HASH_SIZES[hash_algorithm]:
            raise ProtocolError("bad-request", f"a {hash_algorithm} hash is "
                                f"{HASH_SIZES[hash_algorithm]} bytes, not {len(digest)}")
        salt = value.get("pss_salt_length")
        if sig_algorithm == "rsassa_pss":
            if salt is None:
                salt = HASH_SIZES[hash_algorithm]
            if isinstance(salt, bool) or not isinstance(salt, int) or not 0 <= salt <= 512:
                raise ProtocolError("bad-request", "pss_salt_length must be an integer 0..512")
        elif salt is not None:
            raise ProtocolError("bad-request", "pss_salt_length is only for rsassa_pss")
        cert = b64decode_strict(value.get("certificate"), "certificate")
        if len(cert) > MAX_CERTIFICATE_BYTES:
            raise ProtocolError("bad-request", "certificate is too large")
        return cls(hash=digest, hash_algorithm=hash_algorithm, signature_algorithm=sig_algorithm,
                   certificate=cert, document=DocumentInfo.from_json(value.get("document")),
                   pss_salt_length=salt)

    def to_json(self) -> dict[str, Any]:
        """The JSON body a client sends (round-trips through ``from_json``)."""
        body: dict[str, Any] = {
            "hash": b64encode(self.hash), "hash_algorithm": self.hash_algorithm,
            "signature_algorithm": self.signature_algorithm,
            "certificate": b64encode(self.certificate), "document": asdict(self.document)}
        if self.pss_salt_length is not None:
            body["pss_salt_length"] = self.pss_salt_length
        return body


@dataclass(frozen=True)
class CertificateEntry:
    """One certificate with a key on a token, as listed by ``GET /certificates``."""

    certificate: bytes
    subject: str
    serial: str
    key_algorithm: str
    token_label: str

    def to_json(self) -> dict[str, str]:
        return {"certificate": b64encode(self.certificate), "subject": self.subject,
                "serial": self.serial, "key_algorithm": self.key_algorithm,
                "token_label": self.token_label}

    @classmethod
    def from_json(cls, value: Any) -> CertificateEntry:
        if not isinstance(value, dict) or value.get("key_algorithm") not in KEY_ALGORITHMS:
            raise ProtocolError("bad-request", "not a certificate entry")
        for field in ("subject", "serial", "token_label"):
            if not isinstance(value.get(field), str):
                raise ProtocolError("bad-request", f"{field} must be a string")
        return cls(certificate=b64decode_strict(value.get("certificate"), "certificate"),
                   subject=value["subject"], serial=value["serial"],
                   key_algorithm=value["key_algorithm"], token_label=value["token_label"])


def certificates_body(entries: list[CertificateEntry]) -> dict[str, Any]:
    return {"certificates": [e.to_json() for e in entries]}


def sign_response_body(signature: bytes) -> dict[str, str]:
    return {"signature": b64encode(signature)}


def parse_sign_response(body: bytes | str) -> bytes:
    """The raw signature from a ``POST /sign`` answer; raises ``ProtocolError``."""
    try:
        value = json.loads(body)
    except ValueError:
        raise ProtocolError("bad-request", "the answer is not JSON") from None
    if not isinstance(value, dict):
        raise ProtocolError("bad-request", "the answer is not an object")
    return b64decode_strict(value.get("signature"), "signature")
