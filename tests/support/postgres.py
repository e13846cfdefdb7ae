"""PostgreSQL for the storage tests: the throwaway cluster of ``scripts/postgres.sh``
(started here if it does not run; installed if missing), one fresh database per test
module. A test that needs PostgreSQL FAILS when it cannot be started: nothing is skipped.

A plugin of tests/conftest.py: ``pg_url`` (the module's database), ``engine_kind``
(parametrizes a test over ``sqlite`` and ``postgresql``) and ``storage_url`` (the database
URL of the current kind).
"""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "postgres.sh"


def cluster_url() -> str:
    """Start the cluster (idempotent) and return the URL of its ``signsvc`` database;
    ``pytest.fail`` with the script's output when it cannot run."""
    run = subprocess.run([str(SCRIPT), "start"], capture_output=True, text=True, timeout=300)
    if run.returncode != 0:
        pytest.fail(f"PostgreSQL could not be started (scripts/postgres.sh start):\n"
                    f"{run.stdout}\n{run.stderr}", pytrace=False)
    return subprocess.run([str(SCRIPT), "url"], capture_output=True, text=True,
                          check=True, timeout=30).stdout.strip()


def _admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def fresh_database(hint: str) -> tuple[str, str]:
    """A new empty database; ``(its URL, its name)``."""
    base = cluster_url()
    name = "t_" + re.sub(r"[^a-z0-9]+", "_", hint.lower())[-30:] + "_" + uuid.uuid4().hex[:8]
    _admin(base, f'CREATE DATABASE "{name}"')
    return base.rsplit("/", 1)[0] + "/" + name, name


def drop_database(name: str) -> None:
    from signsvc.adapters.db.engine import dispose_all

    dispose_all()
    _admin(cluster_url(), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh PostgreSQL database for this test module (dropped afterwards)."""
    url, name = fresh_database(request.module.__name__)
    try:
        yield url
    finally:
        drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def storage_url(engine_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The database URL of this parametrization: a SQLite file in ``tmp_path``, or the
    module's PostgreSQL database (tables emptied before each test)."""
    if engine_kind == "sqlite":
        return f"sqlite:///{tmp_path / 'db.sqlite3'}"
    url = request.getfixturevalue("pg_url")
    _empty(url)
    return str(url)


def _empty(url: str) -> None:
    """Empty every table of ours (audit tables through their owner: the append-only
    triggers stop TRUNCATE, so they are disabled for it)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename NOT IN ('alembic_version', 'audit_chain_head')")]
        if not tables:
            return
        conn.execute("SET session_replication_role = replica")  # triggers off (owner)
        conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables))  # type: ignore[arg-type]

