"""``prepare_state``: the state folder and its stores made once, before workers fork."""

from __future__ import annotations

import gc

from signsvc.adapters.db import prepare_databases
from signsvc.adapters.db.engine import dispose_all
from signsvc.app.builders import stores
from signsvc.app.builders.policy import load_policy
from signsvc.services.audit_service import AuditService
from signsvc.settings import Settings


def prepare_state(settings: Settings) -> None:
    """Create the state folder and every store's schema (SQLite files in it, WAL mode, or
    the ``[database] url``), and load the policy once, in the calling process, then close
    them all.

    ``signsvc serve`` calls this in the gunicorn master before any worker forks, so that
    workers starting together never race to create a file or switch it to WAL ("database
    is locked" stopped 3 of 19 fresh starts), and the policy-loaded audit record is written
    once. Opens no key. Safe to call on a state folder that already exists."""
    settings.paths.state_dir.mkdir(parents=True, exist_ok=True)
    prepare_databases(settings)   # schema migrations (Alembic), once, before any worker
    audit_store = stores.audit_store(settings)
    try:
        stores.checkpoint_store(settings)
        load_policy(settings, AuditService(audit_store), reloading=False)
    finally:
        audit_store.close()
    stores.client_store(settings)
    cache = stores.revocation_cache(settings)
    if cache is not None:
        cache.close()
    stores.workflow_store(settings)
    stores.image_store(settings)
    stores.report_store(settings)
    # no database connection crosses the fork (the workers would share them)
    dispose_all()
    gc.collect()
