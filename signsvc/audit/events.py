"""What the audit log records: the caller's event and the sealed, stored record.

An audit record holds *facts about* an operation (who, what, which key, which
certificate, hashes of the documents, the outcome). It never holds document
content, a PIN, a key label, a module path or a stack trace: callers pass hashes
and short identifiers only, and ``details`` is limited to a few short scalars.

Pure: no I/O, no storage, no web.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from signsvc.names import AuditOutcome

OUTCOMES = frozenset(AuditOutcome)  # success, failure, denied, error (an unexpected exception)
ACTION_RE = re.compile(r"^[a-z0-9_-]+:[a-z0-9_-]+:[a-z0-9_-]+$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")

MAX_DETAILS = 32
"""At most this many ``details`` entries: small facts only."""
MAX_TEXT = 512
"""At most this many characters in a ``details`` key or string value, or an event field."""

DetailValue = str | int | bool | None

_SHA256_FIELDS = ("certificate_sha256", "input_sha256", "output_sha256")


@dataclass(frozen=True)
class AuditEvent:
    """An event a caller asks the audit log to record.

    ``action`` is a ``source:subject:action`` tag (``signing:document:signed``,
    ``auth:token:rejected``); ``outcome`` is ``success``, ``failure``, ``denied`` or
    ``error`` (an unexpected exception, audited by a catch-all).
    The ``*_sha256`` fields are hex SHA-256 digests (normalised to lower case);
    ``certificate_serial`` is the serial number in hex. ``details`` holds a few
    short scalar facts (str, int, bool or None) and is copied into a read-only
    mapping. Typed names (``AuditTag``, ``AuditOutcome``, ``Role``, any ``StrEnum``) may be
    given wherever a string is; the event stores them as plain strings.

    Never put document content, a PIN, a key label, a module path or a stack
    trace in an event. Invalid events raise ``ValueError``: that is a programming
    error, not a client error.
    """

    action: str
    outcome: str
    actor: str | None = None
    role: str | None = None
    request_id: str | None = None
    error_code: str | None = None
    key_id: str | None = None
    certificate_serial: str | None = None
    certificate_sha256: str | None = None
    input_sha256: str | None = None
    output_sha256: str | None = None
    level: str | None = None
    client_address: str | None = None
    details: Mapping[str, DetailValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("action", "outcome", *OPTIONAL_TEXT_FIELDS):
            value = getattr(self, name)
            if isinstance(value, str) and type(value) is not str:  # a StrEnum member
                object.__setattr__(self, name, str(value))
        if not isinstance(self.action, str) or not ACTION_RE.fullmatch(self.action):
            raise ValueError(f"audit action must be a 'source:subject:action' tag: {self.action!r}")
        if self.outcome not in OUTCOMES:
            raise ValueError(f"audit outcome must be one of {sorted(OUTCOMES)}: {self.outcome!r}")
        for name in OPTIONAL_TEXT_FIELDS:
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or len(value) > MAX_TEXT):
                raise ValueError(f"audit field {name} must be a short string or None")
        for name in _SHA256_FIELDS:
            value = getattr(self, name)
            if value is not None:
                value = value.lower()
                if not SHA256_RE.fullmatch(value):
                    raise ValueError(f"audit field {name} must be a hex SHA-256 digest")
                object.__setattr__(self, name, value)
        object.__setattr__(self, "details", _checked_details(self.details))


def _checked_details(details: Any) -> Mapping[str, DetailValue]:
    if not isinstance(details, Mapping):
        raise ValueError("audit details must be a mapping")
    if len(details) > MAX_DETAILS:
        raise ValueError(f"audit details may hold at most {MAX_DETAILS} entries")
    copy: dict[str, DetailValue] = {}
    for key, value in details.items():
        if not isinstance(key, str) or not key or len(key) > MAX_TEXT:
            raise ValueError(f"audit details keys must be short non-empty strings: {key!r}")
        if isinstance(value, str) and type(value) is not str:  # a StrEnum member: its string
            value = str(value)
        if value is not None and type(value) not in (str, int, bool):
            raise ValueError(f"audit details[{key!r}] must be str, int, bool or None")
        if isinstance(value, str) and len(value) > MAX_TEXT:
            raise ValueError(f"audit details[{key!r}] is too long; record a hash, not content")
        copy[key] = value
    return MappingProxyType(copy)


EVENT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(AuditEvent))
"""Names of the event fields, in declaration order."""
OPTIONAL_TEXT_FIELDS: tuple[str, ...] = EVENT_FIELDS[2:-1]
"""The optional string fields (everything between ``outcome`` and ``details``)."""


@dataclass(frozen=True)
class AuditRecord:
    """An event as stored: sealed with its sequence, time and place in the hash chain.

    ``time`` is UTC ISO-8601 with microseconds and ``Z``
    (``2025-01-31T08:15:00.123456Z``). ``prev_hash`` is the ``record_hash`` of the
    record before (``GENESIS_HASH`` for sequence 1) and ``record_hash`` the hex
    SHA-256 over ``prev_hash`` and the canonical body (see ``audit.chain``).

    A record is *not* validated on construction: a record read back from storage
    may have been tampered with, and it is the verifier's job to say so.
    """

    sequence: int
    time: str
    action: str
    outcome: str
    actor: str | None
    role: str | None
    request_id: str | None
    error_code: str | None
    key_id: str | None
    certificate_serial: str | None
    certificate_sha256: str | None
    input_sha256: str | None
    output_sha256: str | None
    level: str | None
    client_address: str | None
    details: Mapping[str, Any]
    prev_hash: str
    record_hash: str

    def as_dict(self) -> dict[str, Any]:
        """All fields as a JSON-able dict (``details`` as a plain dict)."""
        out = {name: getattr(self, name) for name in RECORD_FIELDS}
        out["details"] = dict(self.details)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditRecord:
        """Rebuild a record from ``as_dict()`` output (e.g. an export); no validation.

        Raises ``ValueError`` if a field is missing or an unknown one is present.
        """
        missing = [name for name in RECORD_FIELDS if name not in data]
        unknown = [name for name in data if name not in RECORD_FIELDS]
        if missing or unknown:
            raise ValueError(f"audit record fields missing {missing}, unknown {unknown}")
        return cls(**{name: data[name] for name in RECORD_FIELDS})


RECORD_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(AuditRecord))
"""Names of the record fields, in declaration order (the stored columns)."""


def format_time(moment: datetime) -> str:
    """``moment`` as UTC ISO-8601 with microseconds and ``Z``; rejects naive datetimes."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("audit time must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(value: str | datetime) -> str:
    """Normalise a filter bound to the stored time format, so that strings compare in time order.

    Accepts an aware or naive ``datetime`` or an ISO-8601 date or date-time
    (``2025-01-31``, ``2025-01-31T08:00:00+07:00``, ``...Z``). Naive values are
    taken as UTC. Raises ``ValueError`` for anything else.
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"not an ISO-8601 date or time: {value!r}") from None
    if not isinstance(value, datetime):
        raise ValueError("a time must be a string or a datetime")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return format_time(value)
