"""The port an audit store implements (SQLite now, PostgreSQL later).

Pure: no I/O here, only the contract.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from signsvc.audit.events import AuditEvent, AuditRecord


@runtime_checkable
class AuditStore(Protocol):
    """An append-only, hash-chained store of audit records.

    Every storage failure surfaces as ``signsvc.errors.AuditUnavailable`` (whose
    client-facing message names no path or driver detail).
    """

    def count(self, *, action: str, since: str, actor: str | None = None,
              key_id: str | None = None) -> int:
        """How many records with ``action`` were written at or after ``since``."""
        ...

    def append(self, event: AuditEvent) -> AuditRecord:
        """Seal ``event`` after the current head and store it.

        Atomic and serialised across threads and processes: reads the head, seals,
        inserts and commits as one unit, so the chain never forks. Returns only
        once the commit is durable. Raises ``AuditUnavailable`` on any storage
        failure, in which case nothing was stored.
        """
        ...

    def records(
        self,
        after_sequence: int = 0,
        *,
        since: str | None = None,
        until: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        document_sha256: str | None = None,
        limit: int | None = None,
        key_id: str | None = None,
        before_sequence: int | None = None,
        newest_first: bool = False,
    ) -> list[AuditRecord]:
        """Records with ``sequence > after_sequence`` (and ``< before_sequence`` when given)
        matching every filter given, oldest first, or newest first with ``newest_first``
        (keyset paging: the next page is ``before_sequence`` = the last sequence returned).

        ``since`` (inclusive) and ``until`` (exclusive) are times in the stored
        format (``audit.events.parse_time`` normalises others); ``document_sha256``
        matches the input or the output hash; ``key_id`` the key used; ``limit`` caps the count.
        """
        ...

    def iter_all(self) -> Iterator[AuditRecord]:
        """Every record in sequence order, streamed (constant memory), for verification."""
        ...

    def head(self) -> tuple[int, str]:
        """The last sequence and its ``record_hash``; ``(0, GENESIS_HASH)`` when empty."""
        ...

    def check(self) -> None:
        """Raise ``AuditUnavailable`` unless the store can be read and written now."""
        ...

    def close(self) -> None:
        """Release the store's resources; later calls raise ``AuditUnavailable``."""
        ...
