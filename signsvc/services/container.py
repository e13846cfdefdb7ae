"""The use cases the web layer and the command line call: one typed container, built
complete by the composition root (``signsvc.app.build_services``); no field is set later."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from signsvc.services.audit_service import AuditService
from signsvc.services.batch_service import BatchService
from signsvc.services.checkpoint_service import CheckpointService
from signsvc.services.client_service import ClientService
from signsvc.services.document_service import DocumentService
from signsvc.services.extend_service import ExtendService
from signsvc.services.idempotency import IdempotencyService
from signsvc.services.job_worker import JobWorkers
from signsvc.services.jobs import JobService
from signsvc.services.login_service import LoginService
from signsvc.services.metrics import Metrics, NullMetrics
from signsvc.services.policy_service import PolicyService
from signsvc.services.readiness import ReadinessService
from signsvc.services.report_service import ReportService
from signsvc.services.session_service import SessionService
from signsvc.services.signing_service import SigningService
from signsvc.services.validation_service import ValidationService
from signsvc.services.wholefile_service import WholeFileService
from signsvc.settings import Settings


@dataclass(frozen=True)
class Services:
    """Every service of one process, and ``close`` to release what they hold (keys, store
    connections, the checkpoint thread)."""

    settings: Settings
    audit: AuditService
    clients: ClientService
    signing: SigningService              # with its registered images (``signing.images``)
    validation: ValidationService
    readiness: ReadinessService
    policy: PolicyService
    checkpoints: CheckpointService       # signed checkpoints of the audit log, export
    extend: ExtendService                # B-LT / B-LTA upgrades
    login: LoginService                  # signing pages
    documents: DocumentService           # browser signing: documents awaiting officials
    sessions: SessionService             # browser signing: three-step sessions
    whole_file: WholeFileService         # agents that sign the whole file
    reports: ReportService               # signed PDF reports, auditor's page
    batch: BatchService                  # batch verification of incoming documents
    idempotency: IdempotencyService      # Idempotency-Key retries of sign/extend/complete
    jobs: JobService                     # batch signing jobs (POST /v1/jobs)
    job_workers: JobWorkers              # this process's job threads (started by the web app)
    trust_anchors_name: str
    trust_anchors_sha256: str
    close: Callable[[], None]
    metrics: Metrics = field(default_factory=NullMetrics)   # GET /metrics (exposition)

    def shutdown(self) -> None:
        """Release everything ``close`` holds (call once, when the process is done)."""
        self.close()
