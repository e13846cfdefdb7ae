"""The hash chain: canonical encoding of a record and how records are linked.

``record_hash = sha256(prev_hash_ascii + b"\\n" + canonical_body).hexdigest()``, where
the body is deterministic JSON (sorted keys, no whitespace, UTF-8, non-ASCII kept
as is) of every record field except ``record_hash``. Changing any stored field,
removing a record or putting one in between breaks the link at that point.

The chain alone is tamper-*evident* against edits that do not rewrite everything
after them: whoever can write the store can also recompute every later hash, and
can drop the newest records unnoticed. The keyed chain (``audit.keyed``: an HMAC with
a secret outside the store) and signed checkpoints, also kept outside the store
(``audit.checkpoints``, ``audit.external``), close that gap.

Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from signsvc.audit.events import (
    EVENT_FIELDS,
    RECORD_FIELDS,
    SHA256_RE,
    TIME_RE,
    AuditEvent,
    AuditRecord,
)

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first record."""

BODY_FIELDS: tuple[str, ...] = tuple(name for name in RECORD_FIELDS if name != "record_hash")
"""The fields covered by ``record_hash``: sequence, time, every event field, prev_hash."""


def canonical_body(record_fields: Mapping[str, Any]) -> bytes:
    """The deterministic bytes that ``record_hash`` covers.

    Takes exactly ``BODY_FIELDS`` from ``record_fields`` (``record_hash``, if
    present, is ignored). Raises ``ValueError`` if a body field is missing, an
    unknown field is present, or a value cannot be encoded as JSON (NaN, bytes, ...).
    The same fields always give the same bytes, whatever the mapping's order.
    """
    missing = [name for name in BODY_FIELDS if name not in record_fields]
    unknown = [name for name in record_fields if name not in RECORD_FIELDS]
    if missing or unknown:
        raise ValueError(f"audit body fields missing {missing}, unknown {unknown}")
    body = {name: record_fields[name] for name in BODY_FIELDS}
    if isinstance(body["details"], Mapping):
        body["details"] = dict(body["details"])
    try:
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"audit body cannot be encoded: {exc}") from None
    return text.encode("utf-8")


def chain_hash(prev_hash: str, body: bytes) -> str:
    """``sha256(prev_hash ASCII + b"\\n" + body)`` as lower-case hex."""
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + body).hexdigest()


_last_body: tuple[object, bytes] = (None, b"")


def record_body(record: AuditRecord) -> bytes:
    """The canonical body of a stored record (raises ``ValueError`` if it cannot be encoded).

    The last result is remembered (one entry, swapped atomically): the hash chain and the
    keyed chain both need the body of the same record in a row."""
    global _last_body
    cached = _last_body
    if cached[0] is record:
        return cached[1]
    body = {name: getattr(record, name) for name in BODY_FIELDS}
    if isinstance(body["details"], Mapping) and not isinstance(body["details"], dict):
        body["details"] = dict(body["details"])
    try:
        data = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"audit body cannot be encoded: {exc}") from None
    _last_body = (record, data)
    return data


def seal(event: AuditEvent, sequence: int, time: str, prev_hash: str) -> AuditRecord:
    """Turn an event into the record that follows ``prev_hash`` at ``sequence``.

    Deterministic: the same event, sequence, time and prev_hash give the same
    record and ``record_hash``. Raises ``ValueError`` if ``sequence`` is not a
    positive int, ``time`` is not in the stored format or ``prev_hash`` is not a
    hex SHA-256.
    """
    if type(sequence) is not int or sequence < 1:
        raise ValueError(f"audit sequence must be a positive int: {sequence!r}")
    if not isinstance(time, str) or not TIME_RE.fullmatch(time):
        raise ValueError(f"audit time must be UTC ISO-8601 with microseconds and Z: {time!r}")
    if not isinstance(prev_hash, str) or not SHA256_RE.fullmatch(prev_hash):
        raise ValueError("audit prev_hash must be a lower-case hex SHA-256")
    fields: dict[str, Any] = {name: getattr(event, name) for name in EVENT_FIELDS}
    fields.update(sequence=sequence, time=time, prev_hash=prev_hash)
    record_hash = chain_hash(prev_hash, canonical_body(fields))
    return AuditRecord(**fields, record_hash=record_hash)
