"""Measured variants of the signing, verification and audit services (``services.metrics``).

The composition root builds these instead of the plain services, each given the process's
``Metrics``; they behave exactly as the services they extend (same results, same
exceptions, same audit records) and in addition report to it: signing latency by key, backend and level,
verification latency, audit-append latency, policy denials by rule and token errors.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from signsvc.audit.events import AuditEvent, AuditRecord
from signsvc.audit_tags import AuditTag
from signsvc.errors import SignsvcError, TokenUnavailable
from signsvc.names import PADES_LEVELS
from signsvc.policy.rules import CATALOGUE
from signsvc.services.context import RequestContext
from signsvc.services.metrics import DENIED, FAILURE, OK, OTHER, Metrics, bounded
from signsvc.services.policy_service import PolicyStampedAudit
from signsvc.services.signing_service import SigningResult, SigningService
from signsvc.services.validation_service import ValidationService
from signsvc.signing.pades import SignatureRequest
from signsvc.validation.report import ValidationReport

_LEVELS = tuple(map(str, PADES_LEVELS))


def outcome_of(exc: BaseException) -> str:
    """``denied`` for a refusal the client caused (HTTP 4xx), ``failure`` otherwise."""
    status = getattr(exc, "status", 500)
    return DENIED if isinstance(exc, SignsvcError) and 400 <= status < 500 \
        else FAILURE


class MeteredSigningService(SigningService):
    """``SigningService`` whose ``sign`` is timed: ``signsvc_signing_seconds{key,backend,
    level,outcome}``. ``backends``: configured key id -> backend (``pkcs11``/``software``);
    any other key id is labelled ``other``."""

    def __init__(self, *args: Any, metrics: Metrics, backends: Mapping[str, str],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._metrics = metrics
        self._backends = dict(backends)

    def sign(self, ctx: RequestContext, key_id: str, data: bytes,
             request: SignatureRequest) -> SigningResult:
        key = bounded(key_id, self._backends)
        backend = self._backends.get(key, OTHER)
        start = time.perf_counter()
        try:
            result = super().sign(ctx, key_id, data, request)
        except BaseException as exc:
            self._metrics.observe_signing(key, backend, bounded(request.level, _LEVELS),
                                              outcome_of(exc), time.perf_counter() - start)
            raise
        self._metrics.observe_signing(key, backend, bounded(result.level, _LEVELS),
                                          OK, time.perf_counter() - start)
        return result


class MeteredValidationService(ValidationService):
    """``ValidationService`` whose ``verify`` is timed: ``signsvc_verification_seconds``."""

    def __init__(self, *args: Any, metrics: Metrics, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._metrics = metrics

    def verify(self, ctx: RequestContext, data: bytes) -> ValidationReport:
        start = time.perf_counter()
        try:
            report = super().verify(ctx, data)
        except BaseException as exc:
            self._metrics.observe_verification(outcome_of(exc), time.perf_counter() - start)
            raise
        self._metrics.observe_verification(OK, time.perf_counter() - start)
        return report


class MeteredAudit(PolicyStampedAudit):
    """``PolicyStampedAudit`` whose appends are timed, and which counts the events metrics
    report: a policy denial (by rule) and a token error (by key and backend)."""

    def __init__(self, *args: Any, metrics: Metrics, backends: Mapping[str, str],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._metrics = metrics
        self._backends = dict(backends)

    def record(self, event: AuditEvent) -> AuditRecord:
        start = time.perf_counter()
        try:
            record = super().record(event)
        except BaseException:
            self._metrics.observe_audit_append(FAILURE, time.perf_counter() - start)
            self._count(event)
            raise
        self._metrics.observe_audit_append(OK, time.perf_counter() - start)
        self._count(event)
        return record

    def _count(self, event: AuditEvent) -> None:
        if event.action == AuditTag.POLICY_RULE_DENIED:
            rule = event.details.get("rule")
            self._metrics.count_policy_denial(
                bounded(rule if isinstance(rule, str) else None, CATALOGUE))
        elif event.error_code == TokenUnavailable.code:
            key = bounded(event.key_id, self._backends)
            self._metrics.count_token_error(key, self._backends.get(key, OTHER))
