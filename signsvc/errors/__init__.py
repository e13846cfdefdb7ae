"""The one error hierarchy of signsvc.

Every error a client may see is a ``SignsvcError`` leaf with a stable ``code`` (the
problem+json slug), an HTTP ``status`` and a client-safe ``detail`` in Vietnamese and
English. Constructors do no I/O and no logging. Library exceptions are translated into
these at the boundary (adapters, signing, validation); ``web`` maps them to RFC 9457.

The classes live in themed modules (``base``, ``requests``, ``documents``, ``signing``,
``sessions``, ``storage``); every public name is importable from ``signsvc.errors``.
This package imports nothing of signsvc outside itself.
"""

from __future__ import annotations

from signsvc.errors.base import (
    ConfigError,
    Message,
    NotReady,
    Problem,
    SignsvcError,
    UnexpectedError,
    problem_from,
)
from signsvc.errors.documents import (
    EncryptedPdf,
    MalformedPdf,
    NotAPdf,
    NotSigned,
    SignatureNotExtendable,
)
from signsvc.errors.requests import (
    BadRequest,
    DocumentTooLarge,
    Forbidden,
    KeyNotPermitted,
    MethodNotAllowed,
    NotAcceptable,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
    UnknownKey,
    UnsupportedMediaType,
)
from signsvc.errors.sessions import (
    CertificateMismatch,
    CertificateNotRegistered,
    PreparedDocumentChanged,
    SessionExpired,
    SessionNotFound,
    SessionUsed,
    SignatureInvalid,
    StaleRevision,
)
from signsvc.errors.signing import (
    AttachmentModeConflict,
    PolicyDenied,
    RevocationUnavailable,
    SealBeforeOfficial,
    SigningFailed,
    SigningTimeout,
    TimestampUnavailable,
    TokenUnavailable,
)
from signsvc.errors.storage import (
    AuditUnavailable,
    CheckpointUnavailable,
    IdempotencyInProgress,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
    IdempotencyUnavailable,
    JobDocumentNotReady,
    JobNotFound,
    JobsUnavailable,
    ReportNotFound,
    ReportUnavailable,
)

__all__ = [
    "AttachmentModeConflict",
    "AuditUnavailable",
    "BadRequest",
    "CertificateMismatch",
    "CertificateNotRegistered",
    "CheckpointUnavailable",
    "ConfigError",
    "DocumentTooLarge",
    "EncryptedPdf",
    "Forbidden",
    "IdempotencyInProgress",
    "IdempotencyKeyInvalid",
    "IdempotencyKeyReused",
    "IdempotencyUnavailable",
    "JobDocumentNotReady",
    "JobNotFound",
    "JobsUnavailable",
    "KeyNotPermitted",
    "MalformedPdf",
    "Message",
    "MethodNotAllowed",
    "NotAPdf",
    "NotAcceptable",
    "NotFound",
    "NotReady",
    "NotSigned",
    "PolicyDenied",
    "PreparedDocumentChanged",
    "Problem",
    "ReportNotFound",
    "ReportUnavailable",
    "RevocationUnavailable",
    "SealBeforeOfficial",
    "SessionExpired",
    "SessionNotFound",
    "SessionUsed",
    "SignatureInvalid",
    "SignatureNotExtendable",
    "SigningFailed",
    "SigningTimeout",
    "SignsvcError",
    "StaleRevision",
    "TimestampUnavailable",
    "TokenUnavailable",
    "TooManyAttempts",
    "Unauthenticated",
    "UnexpectedError",
    "UnknownKey",
    "UnsupportedMediaType",
    "problem_from",
]
