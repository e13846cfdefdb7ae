"""Every state store, opened on the database ``database_for(settings, group)`` gives it
(the SQLite file ``settings.paths`` names, or the shared ``[database] url``): the only
place a store, the policy files or a state key file is opened."""

from __future__ import annotations

from signsvc.adapters.audit_sqlite import SqliteAuditStore, open_audit_store
from signsvc.adapters.checkpoint_sqlite import SqliteCheckpointStore
from signsvc.adapters.clients_sqlite import SqliteClientStore
from signsvc.adapters.db import database_for
from signsvc.adapters.idempotency_sql import SqlIdempotencyStore
from signsvc.adapters.images_sqlite import SqliteImageStore
from signsvc.adapters.jobs_sql import SqlJobStore
from signsvc.adapters.logins_sqlite import SqliteLoginStore
from signsvc.adapters.policy_file import ActivePolicy
from signsvc.adapters.policy_sql import SharedPolicy
from signsvc.adapters.rate_counters_sqlite import SqliteRateCounters
from signsvc.adapters.reports_sqlite import SqliteReportStore
from signsvc.adapters.revocation_cache_sqlite import SqliteRevocationCache
from signsvc.adapters.workflow_sqlite import SqliteWorkflowStore
from signsvc.settings import Settings


def audit_store(settings: Settings) -> SqliteAuditStore:
    """The audit log (``[audit] path``), keyed when ``[audit] hmac_key_file`` is set."""
    store: SqliteAuditStore = open_audit_store(settings)
    return store


def checkpoint_store(settings: Settings) -> SqliteCheckpointStore:
    return SqliteCheckpointStore(database_for(settings, "audit"))


def client_store(settings: Settings) -> SqliteClientStore:
    return SqliteClientStore(database_for(settings, "state"))


def login_store(settings: Settings) -> SqliteLoginStore:
    paths = settings.paths
    return SqliteLoginStore(database_for(settings, "state"), paths.totp_key)


def rate_counters(settings: Settings) -> SqliteRateCounters:
    return SqliteRateCounters(database_for(settings, "state"))


def revocation_cache(settings: Settings) -> SqliteRevocationCache | None:
    """The OCSP/CRL cache, or None when ``[revocation] cache`` is off."""
    return SqliteRevocationCache(database_for(settings, "state")) \
        if settings.revocation.cache else None


def workflow_store(settings: Settings) -> SqliteWorkflowStore:
    return SqliteWorkflowStore(database_for(settings, "workflow"))


def image_store(settings: Settings) -> SqliteImageStore:
    return SqliteImageStore(database_for(settings, "images"))


def report_store(settings: Settings) -> SqliteReportStore:
    return SqliteReportStore(database_for(settings, "reports"),
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
