"""Every state store, opened on the database ``database_for(settings, group)`` gives it
(the SQLite file ``settings.paths`` names, or the shared ``[database] url``): the only
place a store, the policy files or a state key file is opened."""

from __future__ import annotations

from signsvc.adapters.audit_sql import SqlAuditStore, open_audit_store
from signsvc.adapters.checkpoint_sql import SqlCheckpointStore
from signsvc.adapters.clients_sql import SqlClientStore
from signsvc.adapters.db import database_for
from signsvc.adapters.idempotency_sql import SqlIdempotencyStore
from signsvc.adapters.images_sql import SqlImageStore
from signsvc.adapters.jobs_sql import SqlJobStore
from signsvc.adapters.logins_sql import SqlLoginStore
from signsvc.adapters.policy_file import ActivePolicy
from signsvc.adapters.policy_sql import SharedPolicy
from signsvc.adapters.rate_counters_sql import SqlRateCounters
from signsvc.adapters.reports_sql import SqlReportStore
from signsvc.adapters.revocation_cache_sql import SqlRevocationCache
from signsvc.adapters.workflow_sql import SqlWorkflowStore
from signsvc.settings import Settings


def audit_store(settings: Settings) -> SqlAuditStore:
    """The audit log (``[audit] path``), keyed when ``[audit] hmac_key_file`` is set."""
    store: SqlAuditStore = open_audit_store(settings)
    return store


def checkpoint_store(settings: Settings) -> SqlCheckpointStore:
    return SqlCheckpointStore(database_for(settings, "audit"))


def client_store(settings: Settings) -> SqlClientStore:
    return SqlClientStore(database_for(settings, "state"))


def login_store(settings: Settings) -> SqlLoginStore:
    paths = settings.paths
    return SqlLoginStore(database_for(settings, "state"), paths.totp_key)


def rate_counters(settings: Settings) -> SqlRateCounters:
    return SqlRateCounters(database_for(settings, "state"))


def revocation_cache(settings: Settings) -> SqlRevocationCache | None:
    """The OCSP/CRL cache, or None when ``[revocation] cache`` is off."""
    return SqlRevocationCache(database_for(settings, "state")) \
        if settings.revocation.cache else None


def workflow_store(settings: Settings) -> SqlWorkflowStore:
    return SqlWorkflowStore(database_for(settings, "workflow"))


def image_store(settings: Settings) -> SqlImageStore:
    return SqlImageStore(database_for(settings, "images"))


def report_store(settings: Settings) -> SqlReportStore:
    return SqlReportStore(database_for(settings, "reports"),
                             settings.reports.keep_minutes * 60)


def idempotency_store(settings: Settings) -> SqlIdempotencyStore:
    """Idempotency-Key records and the answers kept for retries."""
    return SqlIdempotencyStore(database_for(settings, "idempotency"))


def job_store(settings: Settings) -> SqlJobStore:
    """Batch signing jobs, their PDFs and results (the queue)."""
    return SqlJobStore(database_for(settings, "jobs"))


def policy_files(settings: Settings) -> SharedPolicy:
    """The policy in force (recorded in the database, shared by every instance; also kept
    in the state folder) and the archive of every policy once in force."""
    paths = settings.paths
    return SharedPolicy(database_for(settings, "state"),
                        ActivePolicy(paths.active_policy, paths.policy_lock, paths.policy_archive))
