"""The background workers of one service process: ``count`` daemon threads signing the
documents of batch jobs (``JobService.process_one``) until stopped.

``start`` is idempotent and fork-aware: in a gunicorn worker it starts the threads of that
process (threads do not survive ``fork``), whichever of the app's load or a request calls
it first. Each thread also deletes expired jobs (``JobService.purge``) once a minute.
``stop`` lets a document being signed finish (at most ``timeout`` seconds; a document left
behind is claimed again by any instance once its lease ends).
"""

from __future__ import annotations

import logging
import os
import threading
import time

from signsvc.services.jobs import JobService
from signsvc.services.metrics import Metrics, NullMetrics

log = logging.getLogger(__name__)

PURGE_EVERY_SECONDS = 60.0


class JobWorkers:
    """``count`` threads of this process signing queued documents; an idle thread looks
    for work every ``poll_seconds``, or at once when a job is created here."""

    def __init__(self, jobs: JobService, count: int, poll_seconds: float,
                 metrics: Metrics | None = None) -> None:
        self._jobs = jobs
        self._metrics = metrics or NullMetrics()
        self._count = count
        self._poll = poll_seconds
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._wake = threading.Event()
        jobs.on_created = self._wake.set

    @property
    def running(self) -> bool:
        return self._pid == os.getpid() and any(t.is_alive() for t in self._threads)

    def start(self) -> None:
        """Start this process's threads unless they run (none when ``count`` is 0)."""
        with self._lock:
            if self._count <= 0 or self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._stop = threading.Event()
            self._threads = [threading.Thread(target=self._run, name=f"signsvc-jobs-{i}",
                                              daemon=True) for i in range(self._count)]
            for thread in self._threads:
                thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask every thread to stop and wait for them (each ends after its document)."""
        with self._lock:
            if self._pid != os.getpid():
                return
            self._stop.set()
            self._wake.set()
            for thread in self._threads:
                thread.join(timeout)
            self._threads = []
            self._pid = None

    def _run(self) -> None:
        stop = self._stop
        purged_at = 0.0
        while not stop.is_set():
            try:
                if time.monotonic() - purged_at >= PURGE_EVERY_SECONDS:
                    purged_at = time.monotonic()
                    self._jobs.purge()
                worked = self._jobs.process_one()
                self._metrics.set_job_queue_depth(self._jobs.depth())
            except Exception:   # a store outage: log, wait, try again
                log.exception("job worker: the queue could not be read")
                worked = False
            if not worked:
                self._wake.wait(self._poll)
                self._wake.clear()
