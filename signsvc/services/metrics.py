"""The metrics port: what signsvc measures, independent of how it is exported.

``Metrics`` is the port; the composition root installs one implementation per process
(the Prometheus adapter, ``signsvc.adapters.metrics_prometheus``) with ``use``; code that
measures calls ``current()``, which is ``NullMetrics`` (measures nothing) until then.

Label values are bounded by construction: callers pass an endpoint's URL rule (never a raw
path), a configured key id, a PAdES level, a policy rule id, a fixed service name
(``tsa``/``ocsp``/``crl``) and a fixed outcome word. ``bounded`` maps anything else to
``other``. No PIN, document content, hash, client name or URL is ever a label.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

#: remote services whose calls are timed (``Metrics.observe_remote``)
REMOTE_SERVICES = ("tsa", "ocsp", "crl")
#: outcome label values
OK, FAILURE, DENIED = "ok", "failure", "denied"
#: the value a label takes when the caller's value is not one of the expected ones
OTHER = "other"


def bounded(value: str | None, allowed: Iterable[str]) -> str:
    """``value`` if it is one of ``allowed``, else ``"other"`` (labels stay a small set)."""
    return value if value is not None and value in set(allowed) else OTHER


class Metrics(Protocol):
    """What the service measures. Implementations never raise from an ``observe_``/
    ``count_`` method (a metric must not fail a request)."""

    def observe_request(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        """One HTTP request answered: its URL rule, method, status and duration."""

    def observe_signing(self, key: str, backend: str, level: str, outcome: str,
                        seconds: float) -> None:
        """One signing (``/v1/sign``, ``signsvc sign``): key id, key backend, level, outcome."""

    def observe_verification(self, outcome: str, seconds: float) -> None:
        """One verification of a document (``/v1/verify``)."""

    def observe_remote(self, service: str, outcome: str, seconds: float) -> None:
        """One network call to a TSA, an OCSP responder or a CRL distribution point."""

    def observe_audit_append(self, outcome: str, seconds: float) -> None:
        """One audit record appended (committed) or refused."""

    def count_policy_denial(self, rule: str) -> None:
        """A signing denied by the policy rule ``rule``."""

    def count_token_error(self, key: str, backend: str) -> None:
        """A key's token (HSM) could not be used (``token-unavailable``)."""

    def set_job_queue_depth(self, depth: int) -> None:
        """Documents of batch jobs pending or being signed, in the queue every instance
        shares (read by each process's job workers as they poll)."""

    def exposition(self) -> tuple[bytes, str]:
        """The metrics of every process of this instance, and their content type."""


class NullMetrics:
    """Measures nothing (processes where no metrics are installed: tests, the console)."""

    def observe_request(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        return None

    def observe_signing(self, key: str, backend: str, level: str, outcome: str,
                        seconds: float) -> None:
        return None

    def observe_verification(self, outcome: str, seconds: float) -> None:
        return None

    def observe_remote(self, service: str, outcome: str, seconds: float) -> None:
        return None

    def observe_audit_append(self, outcome: str, seconds: float) -> None:
        return None

    def count_policy_denial(self, rule: str) -> None:
        return None

    def count_token_error(self, key: str, backend: str) -> None:
        return None

    def set_job_queue_depth(self, depth: int) -> None:
        return None

    def exposition(self) -> tuple[bytes, str]:
        return b"", "text/plain; version=0.0.4; charset=utf-8"


_current: Metrics = NullMetrics()


def use(metrics: Metrics) -> Metrics:
    """Install ``metrics`` for this process (the composition root); returns it."""
    global _current
    _current = metrics
    return metrics


def current() -> Metrics:
    """The metrics installed for this process (``NullMetrics`` before any)."""
    return _current
