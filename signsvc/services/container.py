"""The use cases the web layer and the command line call, wired by ``signsvc.app``."""

from __future__ import annotations

from dataclasses import dataclass

from signsvc.services.audit_service import AuditService
from signsvc.services.client_service import ClientService
from signsvc.services.policy_service import PolicyService
from signsvc.services.readiness import ReadinessService
from signsvc.services.signing_service import SigningService
from signsvc.services.validation_service import ValidationService
from signsvc.settings import Settings


@dataclass
class Services:
    settings: Settings
    audit: AuditService
    clients: ClientService
    signing: SigningService
    validation: ValidationService
    readiness: ReadinessService
    policy: PolicyService
    trust_anchors_name: str
    trust_anchors_sha256: str
    close: object = None
    checkpoints: object = None   # CheckpointService (signed checkpoints, export)
    documents: object = None     # DocumentService (browser signing)
    sessions: object = None      # SessionService (browser signing)
    extend: object = None        # ExtendService (B-LT / B-LTA upgrades)
    login: object = None         # LoginService (signing pages)
    whole_file: object = None    # WholeFileService (agents that sign the whole file)
    reports: object = None       # ReportService (signed PDF reports, auditor's page)
    batch: object = None         # BatchService (batch verification of incoming documents)

    def shutdown(self) -> None:
        if callable(self.close):
            self.close()
