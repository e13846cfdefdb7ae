"""Audit use cases: record an event, list records, verify the chain.

Knows nothing of HTTP or of the storage behind the ``AuditStore`` port.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from signsvc.audit.events import SHA256_RE, AuditEvent, AuditRecord, format_time, parse_time
from signsvc.audit.ports import AuditStore
from signsvc.audit.verifier import ChainVerification, verify_chain
from signsvc.errors import BadRequest, Message

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def _bad(parameter: str, vi: str, en: str) -> BadRequest:
    return BadRequest(Message(vi, en), parameter=parameter)


class AuditService:
    """The audit log as the rest of signsvc sees it."""

    def __init__(self, store: AuditStore) -> None:
        self._store = store

    def count(self, *, action: str, since: datetime, actor: str | None = None,
              key_id: str | None = None) -> int:
        """Records with ``action`` since ``since`` (used for rate limits and quotas)."""
        return self._store.count(action=action, since=format_time(since), actor=actor, key_id=key_id)

    def record(self, event: AuditEvent) -> AuditRecord:
        """Append ``event``; returns the durable record or raises ``AuditUnavailable``.

        Callers must not hand out a result (e.g. a signed document) unless this returned.
        """
        return self._store.append(event)

    def list(self, *, after_sequence: int = 0, since: str | datetime | None = None,
             until: str | datetime | None = None, actor: str | None = None,
             action: str | None = None, document_sha256: str | None = None,
             limit: int | None = None, key_id: str | None = None,
             before_sequence: int | None = None,
             newest_first: bool = False) -> builtins.list[AuditRecord]:
        """Records after ``after_sequence`` matching every filter given, oldest first; with
        ``newest_first`` newest first, paged on with ``before_sequence`` (the last sequence
        returned), which the store answers from its sequence order (no offset scan).

        ``since`` is inclusive and ``until`` exclusive; both may be ISO-8601 dates or
        date-times (naive ones are UTC). ``document_sha256`` matches the input or the
        output hash; ``key_id`` the key used. ``limit`` defaults to 100 and is capped at 1000; page on with the
        last sequence returned as ``after_sequence``. Bad parameters raise
        ``BadRequest`` naming the parameter.
        """
        if type(after_sequence) is not int or after_sequence < 0:
            raise _bad("after_sequence", "after_sequence phải là số nguyên không âm.",
                       "after_sequence must be a non-negative integer.")
        if before_sequence is not None and (type(before_sequence) is not int or before_sequence < 1):
            raise _bad("before_sequence", "before_sequence phải là số nguyên dương.",
                       "before_sequence must be a positive integer.")
        if limit is None:
            limit = DEFAULT_LIMIT
        if type(limit) is not int or limit < 1:
            raise _bad("limit", "limit phải là số nguyên dương.",
                       "limit must be a positive integer.")
        bounds: dict[str, str | None] = {}
        for name, value in (("since", since), ("until", until)):
            try:
                bounds[name] = None if value is None else parse_time(value)
            except ValueError:
                raise _bad(name, f"{name} phải là ngày hoặc thời điểm theo ISO-8601.",
                           f"{name} must be an ISO-8601 date or date-time.") from None
        if document_sha256 is not None:
            document_sha256 = document_sha256.lower()
            if not SHA256_RE.fullmatch(document_sha256):
                raise _bad("document_sha256",
                           "document_sha256 phải là giá trị SHA-256 dạng hex.",
                           "document_sha256 must be a hex SHA-256 digest.")
        optional: dict[str, Any] = {}   # passed only when used (stores predating them)
        if key_id is not None:
            optional["key_id"] = key_id
        if before_sequence is not None:
            optional["before_sequence"] = before_sequence
        if newest_first:
            optional["newest_first"] = True
        return self._store.records(after_sequence, since=bounds["since"], until=bounds["until"],
                                   actor=actor, action=action, document_sha256=document_sha256,
                                   limit=min(limit, MAX_LIMIT), **optional)

    def verify(self) -> ChainVerification:
        """Stream every stored record through ``verify_chain`` (constant memory).

        Raises ``AuditUnavailable`` if the store cannot be read. A chain that
        verifies may still have lost its newest records; only a checkpoint shows that.
        """
        records = self._store.iter_all()
        try:
            return verify_chain(records)
        finally:
            close = getattr(records, "close", None)
            if close is not None:
                close()  # release the store's read snapshot if verification stopped early

    def check(self) -> None:
        """Raise ``AuditUnavailable`` unless the store can be read and written (for /readyz)."""
        self._store.check()
