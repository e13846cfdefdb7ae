"""Batch signing jobs: the queue in the ``jobs`` database and this process's workers."""

from __future__ import annotations

from signsvc.adapters.jobs_folders import ServerFolders
from signsvc.app.builders import stores
from signsvc.services.audit_service import AuditService
from signsvc.services.client_service import ClientService
from signsvc.services.job_worker import JobWorkers
from signsvc.services.jobs import JobService
from signsvc.services.metrics import Metrics
from signsvc.services.signing_service import SigningService
from signsvc.settings import Settings


def build_jobs(settings: Settings, signing: SigningService, clients: ClientService,
               audit: AuditService, metrics: Metrics) -> tuple[JobService, JobWorkers]:
    """The job service (bounds of ``[jobs]``; the server folders under ``server_folders_root``
    if set) and its ``[jobs] workers`` threads, not
    started: the web app starts them in each service process (``JobWorkers.start``); they
    report the queue's depth to ``metrics`` (``signsvc_job_queue_depth``)."""
    cfg = settings.jobs
    service = JobService(stores.job_store(settings), signing, clients, audit,
                         max_files=cfg.max_files, max_total_bytes=cfg.max_total_bytes,
                         max_document_bytes=settings.service.max_document_bytes,
                         lease_seconds=cfg.lease_seconds, keep_seconds=cfg.keep_hours * 3600,
                         folders=ServerFolders(cfg.server_folders_root)
                         if cfg.server_folders_root is not None else None)
    return service, JobWorkers(service, cfg.workers, cfg.poll_seconds, metrics)
