"""Exact rate-limit counts for the policy's ``rate.client`` and ``rate.key`` rules, kept in
counters (not counted from the audit log, whose size would make every count slower).

What is counted is what the audit log calls ``signing:document:signed``: a signature made
by a client (``client:<actor>``) and, when the record names it, with a key (``key:<id>``),
in the last minute and in the current UTC day.

- ``admit``: a signing request's decision. The counts are read, the pure policy engine
  decides on them and, if it allows, one is added, all in one transaction of the store:
  concurrent requests cannot pass a limit together; a denied request adds nothing. The
  addition is held for the request (per thread) until its outcome is audited.
- ``observe`` (after every audit record): the request's ``signing:document:signed`` keeps
  what was added; any other ``signing:*`` outcome of the same request (failed, rejected,
  a browser session only prepared) takes it back. A signature made without a decision of
  ``admit`` (a browser session completed, a whole-file upload) is added then.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from signsvc.audit.events import AuditEvent
from signsvc.audit_tags import AuditTag
from signsvc.names import AuditOutcome
from signsvc.policy.facts import Usage

SIGNED_ACTION = AuditTag.SIGNING_DOCUMENT_SIGNED


class RateCounterStore(Protocol):
    def counts(self, subjects: Sequence[str], now: datetime) -> Mapping[str, tuple[int, int]]: ...

    def admit(self, subjects: Sequence[str], now: datetime,
              allow: Callable[[Mapping[str, tuple[int, int]]], bool]) -> Any: ...

    def add(self, subjects: Sequence[str], now: datetime) -> None: ...

    def release(self, reservation: Any) -> None: ...


def _subjects(client: str | None, key_id: str | None) -> tuple[str, ...]:
    return (f"client:{client or ''}",) + ((f"key:{key_id}",) if key_id else ())


def _usage(counts: Mapping[str, tuple[int, int]], client: str, key_id: str) -> Usage:
    cm, cd = counts[f"client:{client}"]
    km, kd = counts[f"key:{key_id}"] if key_id else (0, 0)
    return Usage(client_minute=cm, client_day=cd, key_minute=km, key_day=kd)


class RateLedger:
    """Counts per client and key, checked and added atomically (see the module)."""

    def __init__(self, store: RateCounterStore, now: Callable[[], datetime]) -> None:
        self._store = store
        self._now = now
        self._local = threading.local()   # (request id, reservation) awaiting its outcome

    def usage(self, client: str, key_id: str) -> Usage:
        """The counts now (read only; for the facts of a dry run)."""
        return _usage(self._store.counts(_subjects(client, key_id), self._now()), client, key_id)

    def admit(self, request_id: str | None, client: str, key_id: str,
              decide: Callable[[Usage], Any]) -> Any:
        """``decide(usage)`` (returning an object with ``allowed``) on the counts of this
        instant; if allowed, one is added for the client and the key in the same
        transaction. Returns the decision."""
        self._release_pending()
        decision: list[Any] = []

        def allow(counts: Mapping[str, tuple[int, int]]) -> bool:
            decision.append(decide(_usage(counts, client, key_id)))
            return bool(decision[-1].allowed)
        reservation = self._store.admit(_subjects(client, key_id), self._now(), allow)
        if reservation is not None:
            self._local.pending = (request_id, reservation)
        return decision[-1]

    def _release_pending(self) -> None:
        pending = getattr(self._local, "pending", None)
        self._local.pending = None
        if pending is not None:
            self._store.release(pending[1])

    def observe(self, event: AuditEvent, written: bool) -> None:
        """Account for an audit record (``written``: it was stored; a signature whose record
        could not be written was not returned, so it is not counted)."""
        pending = getattr(self._local, "pending", None)
        mine = pending is not None and pending[0] == event.request_id
        signed = event.action == SIGNED_ACTION and event.outcome == AuditOutcome.SUCCESS
        if signed and written:
            if mine:
                self._local.pending = None   # the reservation becomes the count
            else:
                self._store.add(_subjects(event.actor, event.key_id), self._now())
        elif mine and event.action.startswith("signing:"):
            self._release_pending()
