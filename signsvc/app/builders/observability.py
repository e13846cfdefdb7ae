"""Metrics and health: the Prometheus adapter installed for this process, and the readiness
checks (database, audit log and chain head, clients, TSA, every key)."""

from __future__ import annotations

from collections.abc import Callable

from signsvc.adapters.db_probe import database_check
from signsvc.adapters.metrics_prometheus import PrometheusMetrics
from signsvc.errors import TimestampUnavailable
from signsvc.keys.registry import KeyRegistry
from signsvc.services import metrics
from signsvc.services.readiness import ReadinessService, remembered
from signsvc.settings import Settings
from signsvc.signing.timestamps import TimeStamper
from signsvc.signing.tsa import CheckedTimeStamper

#: how long /readyz reuses the TSA check's outcome (a probe must not flood a paid TSA)
TSA_CHECK_SECONDS = 10.0


def install_metrics() -> metrics.Metrics:
    """The Prometheus adapter, installed as this process's metrics (``metrics.current()``)."""
    return metrics.use(PrometheusMetrics())


def key_backends(settings: Settings) -> dict[str, str]:
    """Configured key id -> backend (``pkcs11``/``software``): the metrics' key labels."""
    return {k.id: k.backend for k in settings.keys}


def tsa_check(timestamper: TimeStamper | None) -> Callable[[], str | None]:
    """A time-stamp from one of the configured TSAs (or a recent successful one), checked
    at most every ``TSA_CHECK_SECONDS``; None when no TSA is configured."""
    def check() -> str | None:
        if isinstance(timestamper, CheckedTimeStamper) and not timestamper.available():
            return TimestampUnavailable.code
        return None
    return remembered(check, TSA_CHECK_SECONDS)


def build_readiness(settings: Settings, keys: KeyRegistry,
                    checks: dict[str, Callable[[], str | None]],
                    timestamper: TimeStamper | None,
                    chain: Callable[[], dict]) -> ReadinessService:
    """/healthz and /readyz: ``database`` first, then ``checks`` (the audit log -- its
    chain head verified and a write taken and rolled back -- and the clients), ``tsa`` when
    one is configured, and each key; ``audit_chain`` details where the chain was verified."""
    others: dict[str, Callable[[], str | None]] = {"database": database_check(settings), **checks}
    if timestamper is not None:
        others["tsa"] = tsa_check(timestamper)
    return ReadinessService(keys, others, details={"audit_chain": chain},
                            instance=settings.instance_id, database=settings.database_kind)
