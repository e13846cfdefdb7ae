"""API clients and their tokens. A token is shown once; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Protocol

from signsvc.errors import BadRequest, Message
from signsvc.names import ROLES

TOKEN_PREFIX = "ssv_"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


@dataclass(frozen=True)
class Client:
    """An authenticated caller. ``keys`` are the key ids it was granted."""

    name: str
    role: str
    keys: tuple[str, ...]
    created_at: str

    def may_use_key(self, key_id: str) -> bool:
        return key_id in self.keys


def new_token() -> str:
    """A fresh bearer token with 256 bits of entropy."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """SHA-256 of a token: tokens are random and long, so a fast hash is enough."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def validate_client(name: str, role: str, keys: tuple[str, ...], known_keys: set[str]) -> None:
    """Raise ``BadRequest`` for a bad name, an unknown role or an unknown key."""
    if not NAME_RE.match(name):
        raise BadRequest(Message(
            "Tên máy khách chỉ gồm chữ thường, số, '.', '_', '-' (tối đa 63 ký tự).",
            "A client name uses lower-case letters, digits, '.', '_', '-' (63 at most)."))
    if role not in ROLES:
        raise BadRequest(Message(f"Vai trò không hợp lệ; chọn một trong: {', '.join(ROLES)}.",
                                 f"Unknown role; choose one of: {', '.join(ROLES)}."))
    unknown = sorted(set(keys) - known_keys)
    if unknown:
        raise BadRequest(Message(f"Khóa không tồn tại: {', '.join(unknown)}.",
                                 f"Unknown key(s): {', '.join(unknown)}."))


SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1


def hash_password(password: str) -> str:
    """scrypt with a random salt; the encoding names its parameters."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_password(password: str, encoded: str | None) -> bool:
    """True iff ``password`` matches; constant-time; a missing hash still costs one scrypt."""
    import hmac

    try:
        _, n, r, p, salt, digest = (encoded or "scrypt$16384$8$1$00$00").split("$")
        got = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                             p=int(p))
    except (ValueError, TypeError):
        return False
    return encoded is not None and hmac.compare_digest(got.hex(), digest)


class ClientStore(Protocol):
    def create(self, name: str, role: str, keys: tuple[str, ...], token_sha256: str) -> Client:
        """Store a new client; ``BadRequest`` if the name exists."""

    def by_token_hash(self, token_sha256: str) -> Client | None: ...

    def list(self) -> list[Client]: ...

    def by_name(self, name: str) -> Client | None: ...

    def set_role(self, name: str, role: str) -> bool: ...

    def disable(self, name: str) -> bool:
        """Revoke the client: it is then unknown to every look-up."""

    def check(self) -> None: ...
