"""The metrics port (``signsvc.services.metrics``) on prometheus-client.

Under ``signsvc serve`` (gunicorn, several worker processes) the master sets
``PROMETHEUS_MULTIPROC_DIR`` before any worker forks (``signsvc.web_server.metrics_hooks``):
each worker then writes its samples to its own files there, and ``exposition`` (in
whichever worker answers ``GET /metrics``) adds up the files of every worker, alive or
gone. Without that variable (tests, the console) the samples stay in this process.

Metric names start with ``signsvc_``; label values are the bounded ones the port's
callers pass (see ``signsvc.services.metrics``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: seconds: from a cached verification (~10 ms) to a B-LTA signing with slow responders
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
REMOTE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
AUDIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)


def multiprocess_dir() -> str | None:
    """The folder shared by the workers' sample files, or None (single process)."""
    return os.environ.get(MULTIPROC_ENV) or None


class PrometheusMetrics:
    """``signsvc.services.metrics.Metrics`` on prometheus-client (see the module docstring).
    Observing never raises: a failure is logged once and the sample dropped."""

    def __init__(self) -> None:
        if multiprocess_dir() and not _values_are_multiprocess():
            # prometheus_client was imported before the variable was set (it chooses its
            # value class at import): samples must still go to the shared files
            values.ValueClass = values.MultiProcessValue()
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self._requests = Counter("signsvc_http_requests", "HTTP requests answered",
                                 ("endpoint", "method", "status"), registry=r)
        self._request_seconds = Histogram(
            "signsvc_http_request_seconds", "Time to answer an HTTP request",
            ("endpoint", "method"), buckets=LATENCY_BUCKETS, registry=r)
        self._signing = Histogram(
            "signsvc_signing_seconds", "Signing requests by key, key backend, PAdES level and "
            "outcome (ok, denied, failure)", ("key", "backend", "level", "outcome"),
            buckets=LATENCY_BUCKETS, registry=r)
        self._verification = Histogram(
            "signsvc_verification_seconds", "Document verifications by outcome", ("outcome",),
            buckets=LATENCY_BUCKETS, registry=r)
        self._token_errors = Counter("signsvc_token_errors", "Requests failed because a key's "
                                     "token could not be used", ("key", "backend"), registry=r)
        self._remote = Histogram(
            "signsvc_remote_seconds", "Network calls to the TSA, OCSP responders and CRL "
            "distribution points", ("service", "outcome"), buckets=REMOTE_BUCKETS, registry=r)
        self._remote_failures = Counter("signsvc_remote_failures", "Failed network calls to "
                                        "the TSA, OCSP responders and CRL distribution points",
                                        ("service",), registry=r)
        self._audit = Histogram(
            "signsvc_audit_append_seconds", "Audit records appended (ok) or refused (failure)",
            ("outcome",), buckets=AUDIT_BUCKETS, registry=r)
        self._denials = Counter("signsvc_policy_denials", "Signing requests denied by a "
                                "policy rule", ("rule",), registry=r)
        # the shared queue's depth, as the live worker that last polled it saw it
        self._job_queue = Gauge("signsvc_job_queue_depth", "Documents of batch jobs pending "
                                "or being signed (every instance)", registry=r,
                                multiprocess_mode="livemostrecent")
        self._failed_once = False

    # -- the port ------------------------------------------------------------------------

    def observe_request(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        def observe() -> None:
            self._requests.labels(endpoint, method, str(status)).inc()
            self._request_seconds.labels(endpoint, method).observe(seconds)
        self._safely(observe)

    def observe_signing(self, key: str, backend: str, level: str, outcome: str,
                        seconds: float) -> None:
        self._safely(lambda: self._signing.labels(key, backend, level, outcome).observe(seconds))

    def observe_verification(self, outcome: str, seconds: float) -> None:
        self._safely(lambda: self._verification.labels(outcome).observe(seconds))

    def observe_remote(self, service: str, outcome: str, seconds: float) -> None:
        def observe() -> None:
            self._remote.labels(service, outcome).observe(seconds)
            if outcome != "ok":
                self._remote_failures.labels(service).inc()
        self._safely(observe)

    def observe_audit_append(self, outcome: str, seconds: float) -> None:
        self._safely(lambda: self._audit.labels(outcome).observe(seconds))

    def count_policy_denial(self, rule: str) -> None:
        self._safely(lambda: self._denials.labels(rule).inc())

    def count_token_error(self, key: str, backend: str) -> None:
        self._safely(lambda: self._token_errors.labels(key, backend).inc())

    def set_job_queue_depth(self, depth: int) -> None:
        self._safely(lambda: self._job_queue.set(depth))

    def exposition(self) -> tuple[bytes, str]:
        """Prometheus text format: every worker's samples under gunicorn, else this
        process's."""
        folder = multiprocess_dir()
        if folder:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=folder)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def _safely(self, observe: Callable[[], None]) -> None:
        try:
            observe()
        except Exception:  # a metric must never fail the request it measures
            if not self._failed_once:
                self._failed_once = True
                log.exception("metrics sample dropped")


def _values_are_multiprocess() -> bool:
    return getattr(values.ValueClass, "__name__", "") == "MmapedValue"
