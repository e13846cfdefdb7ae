"""gunicorn hooks of Prometheus' multiprocess mode (``signsvc.adapters.metrics_prometheus``).

``prepare`` runs in the master before any worker forks (and before prometheus_client is
imported there): it empties the folder of the workers' sample files, so a restart starts
from zero, not from a previous run's counts, and points ``PROMETHEUS_MULTIPROC_DIR`` at it
for every worker. ``child_exit`` (gunicorn's hook run in the master when a worker has
exited, however it ended, ``kill -9`` included) tells prometheus_client that the worker is
gone: its live gauges are dropped; its counters and histograms stay in the totals.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare(folder: Path) -> None:
    """An empty, private ``folder`` named in ``PROMETHEUS_MULTIPROC_DIR``."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, mode=0o700)
    os.environ[MULTIPROC_ENV] = str(folder)


def child_exit(_server: Any, worker: Any) -> None:
    """gunicorn's ``child_exit`` hook (master): ``mark_process_dead`` for the worker."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
