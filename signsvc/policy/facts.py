"""The facts a signing decision is made on. Gathered (with I/O) by the service, then
handed to the pure engine. Every field is a plain value, so a decision can be replayed."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from signsvc.permissions import Permission, roles_for


@dataclass(frozen=True)
class CertificateFacts:
    key_algorithm: str                   # "rsa" | "ecdsa" | ...
    key_size: int
    key_usage: frozenset[str]            # asn1crypto names: digital_signature, non_repudiation, ...
    not_before: datetime
    not_after: datetime
    issuer: str
    subject: str
    sha256: str
    policy_oids: frozenset[str] = frozenset()
    chain: str = "not_checked"           # "trusted" | "untrusted" | "not_checked"
    revocation: str = "not_checked"      # "good" | "revoked" | "unknown" | "not_checked"


@dataclass(frozen=True)
class DocumentSummary:
    size: int
    pages: int
    encrypted: bool
    strict: bool
    javascript: tuple[str, ...] = ()
    launch_actions: tuple[str, ...] = ()
    embedded_files: tuple[str, ...] = ()
    xfa: bool = False
    truncated: bool = False     # the inspection stopped at its object/depth limit


@dataclass(frozen=True)
class PriorSignature:
    signer: str
    valid: bool          # intact, cryptographically valid and trusted
    official: bool       # made with a certificate registered to a client of role "official"
    policy_oids: frozenset[str] = frozenset()   # certificate policies of the signer's certificate


@dataclass(frozen=True)
class Usage:
    client_minute: int = 0
    client_day: int = 0
    key_minute: int = 0
    key_day: int = 0


@dataclass(frozen=True)
class SigningFacts:
    now: datetime
    service_profile: str                 # "development" | "production" | ...
    client: str
    role: str
    client_keys: frozenset[str]
    key_id: str
    key_backend: str                     # "pkcs11" | "software"
    key_kind: str                        # "agency-seal" | "official" | "report"
    rsa_padding: str                     # "pss" | "pkcs1v15"
    digest: str
    level: str
    eservice: str                        # "level3" | "level4" | "copy"
    certificate: CertificateFacts
    document: DocumentSummary | None = None
    prior_signatures: tuple[PriorSignature, ...] | None = None
    usage: Usage = field(default_factory=Usage)
    clock_skew_seconds: float | None = None
    appearance: str | None = None        # visible-signature profile (official, seal, attachment, copy, ...)
    attachment_mode: str | None = None   # WF-5: separate_file | same_file, as the request said
    copy_roles: tuple[str, ...] = roles_for(Permission.SIGN_COPIES)  # workflow.copies (WF-6)

    def as_dict(self) -> dict[str, Any]:
        def plain(v: Any) -> Any:
            if isinstance(v, datetime):
                return v.isoformat()
            if isinstance(v, (frozenset, set)):
                return sorted(v)
            if isinstance(v, dict):
                return {k: plain(x) for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [plain(x) for x in v]
            return v
        return plain(asdict(self))
