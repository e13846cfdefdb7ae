"""Idempotent requests (``Idempotency-Key``): a retry gets the first answer, never a second
signature.

Semantics (README, "Idempotency-Key"):

- A key belongs to one client (the actor) and one request: its *fingerprint* (SHA-256 of
  method, path, query and body, made by the web layer). The same key with another
  fingerprint is refused (422 ``idempotency-key-reused``, audited).
- The first request with a key *claims* it (a pending record, written and committed before
  the work starts). A request with the same key while it is pending is refused at once
  (409 ``idempotency-in-progress`` with ``Retry-After``, 1 to 5 s, audited): it never signs.
- A successful answer (2xx) is stored -- status, headers, body -- and committed *before*
  it is returned; a retry within ``ttl_seconds`` gets exactly those bytes and headers,
  audited as ``idempotency:request:replayed`` (no signing record).
- A failure (an exception: every 4xx/5xx of these endpoints) is not stored: the claim is
  released, so a retry runs the request again (a failure is already audited by the service
  that refused it, and a TSA or token outage must stay retryable).
- If the answer cannot be stored, it is not returned (503 ``idempotency-unavailable``).
- Crash window: the signing service commits its audit record before this one stores the
  answer. A process killed in between leaves a pending claim: retries get 409 until the
  claim's lease (``in_progress_seconds``) runs out, then the request runs again and signs
  again. That first signature was audited but never delivered to anyone. A process killed
  after the answer was stored but before it left: the retry gets the stored answer.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from signsvc.audit_tags import AuditTag
from signsvc.errors import (
    IdempotencyInProgress,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
    IdempotencyUnavailable,
    SignsvcError,
)
from signsvc.names import AuditOutcome
from signsvc.services.audit_service import AuditService
from signsvc.services.auditing import audit
from signsvc.services.context import RequestContext

MAX_KEY_LENGTH = 255
RETRY_AFTER_MAX = 5   # seconds: the Retry-After of a 409 while the first request runs


@dataclass(frozen=True)
class StoredResponse:
    """An answer as it left the first time: status, headers (in order) and body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True)
class Claim:
    """What the store found for a key: ``owner`` set -- this request now holds the key;
    ``response`` set -- the stored answer; ``mismatch`` -- the key is another request's;
    else the key is held by a request in progress for ``retry_after`` more seconds."""

    owner: str | None = None
    response: StoredResponse | None = None
    mismatch: bool = False
    retry_after: float = 0.0


class IdempotencyStore(Protocol):
    """Where keys and answers are kept, shared by every worker and instance. Each call is
    one committed transaction; ``IdempotencyUnavailable`` when the database cannot be used."""

    def claim(self, client: str, key: str, fingerprint: str, now: float, *,
              ttl_seconds: float, lease_seconds: float) -> Claim:
        """Atomically: an expired record (answer past its time, or a pending one past its
        lease) is replaced; a free key is claimed for a new owner; else what is there."""
        ...

    def complete(self, client: str, key: str, owner: str, response: StoredResponse,
                 now: float, ttl_seconds: float) -> bool:
        """Store the answer if ``owner`` still holds the key; False if it does not."""
        ...

    def release(self, client: str, key: str, owner: str) -> None:
        """Give up the claim of ``owner`` (its request failed): the key is free again."""
        ...

    def purge(self, now: float) -> int:
        """Delete every expired record; how many."""
        ...


def valid_key(key: str) -> bool:
    """1 to 255 characters, each printable ASCII without space (``!`` .. ``~``)."""
    return 1 <= len(key) <= MAX_KEY_LENGTH and all("!" <= c <= "~" for c in key)


class IdempotencyService:
    """Runs a request at most once per (client, key); see the module docstring."""

    def __init__(self, store: IdempotencyStore, audit_service: AuditService, *,
                 ttl_seconds: float, lease_seconds: float,
                 clock: Callable[[], float] = time.time, purge_every: float = 60.0) -> None:
        self._store = store
        self._audit = audit_service
        self.ttl_seconds = ttl_seconds
        self.lease_seconds = lease_seconds
        self._clock = clock
        self._purge_every = purge_every
        self._last_purge = -math.inf

    def run(self, ctx: RequestContext, operation: str, key: str, fingerprint: str,
            produce: Callable[[], StoredResponse]) -> tuple[StoredResponse, bool]:
        """The answer for ``key`` and whether it is a replay. ``produce`` runs only when
        this request claimed the key; its answer is stored (2xx) before it is returned.
        Raises ``IdempotencyKeyInvalid`` (400), ``IdempotencyKeyReused`` (422),
        ``IdempotencyInProgress`` (409, ``extra['retry_after']``), each audited, or
        ``IdempotencyUnavailable`` (503); an error of ``produce`` passes through (the key
        is free again)."""
        client = ctx.actor or ""
        if not valid_key(key):
            self._refused(ctx, operation, IdempotencyKeyInvalid(), None)
            raise IdempotencyKeyInvalid()
        now = self._clock()
        self._maybe_purge(now)
        claim = self._store.claim(client, key, fingerprint, now, ttl_seconds=self.ttl_seconds,
                                  lease_seconds=self.lease_seconds)
        if claim.response is not None:
            audit(self._audit, ctx, AuditTag.IDEMPOTENCY_REQUEST_REPLAYED, AuditOutcome.SUCCESS,
                  output_sha256=hashlib.sha256(claim.response.body).hexdigest(),
                  details={"operation": operation, "idempotency_key": key,
                           "status": claim.response.status})
            return claim.response, True
        if claim.mismatch:
            self._refused(ctx, operation, IdempotencyKeyReused(), key)
            raise IdempotencyKeyReused()
        if claim.owner is None:
            # the first answer usually comes within seconds; the lease is only its upper bound
            seconds = max(1, min(RETRY_AFTER_MAX, math.ceil(claim.retry_after)))
            busy = IdempotencyInProgress(retry_after=seconds)
            self._refused(ctx, operation, busy, key)
            raise busy
        return self._produce(client, key, claim.owner, produce), False

    def _produce(self, client: str, key: str, owner: str,
                 produce: Callable[[], StoredResponse]) -> StoredResponse:
        try:
            response = produce()
        except BaseException:
            self._release(client, key, owner)
            raise
        if not 200 <= response.status < 300:
            self._release(client, key, owner)
            return response
        try:
            stored = self._store.complete(client, key, owner, response, self._clock(),
                                          self.ttl_seconds)
        except IdempotencyUnavailable:
            self._release(client, key, owner)
            raise
        if not stored:   # held past its lease and taken over: never hand out two answers
            raise IdempotencyUnavailable()
        return response

    def _release(self, client: str, key: str, owner: str) -> None:
        try:
            self._store.release(client, key, owner)
        except IdempotencyUnavailable:
            pass   # the claim lapses at the end of its lease

    def _maybe_purge(self, now: float) -> None:
        if now - self._last_purge < self._purge_every:
            return
        self._last_purge = now
        try:
            self._store.purge(now)
        except IdempotencyUnavailable:
            pass   # tried again later; expired records are replaced when met anyway

    def _refused(self, ctx: RequestContext, operation: str, error: SignsvcError,
                 key: str | None) -> None:
        details: dict[str, object] = {"operation": operation}
        if key is not None:
            details["idempotency_key"] = key
        audit(self._audit, ctx, AuditTag.IDEMPOTENCY_REQUEST_REFUSED, AuditOutcome.FAILURE,
              error_code=error.code, details=details)
