"""Creating a group's tables on PostgreSQL (the first migration of each group)."""

from __future__ import annotations

from sqlalchemy import Connection, insert

from signsvc.adapters.db.tables import audit_chain_head, tables_of

_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION signsvc_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%% are append-only', TG_ARGV[0];
END $$
"""


def create_postgresql(conn: Connection, group: str) -> None:
    """The tables of ``group`` (if missing); for ``audit`` also the append-only triggers
    (UPDATE, DELETE, TRUNCATE refused, as the SQLite triggers do) and the chain-head row."""
    for table in tables_of(group):
        table.create(conn, checkfirst=True)
    if group != "audit":
        return
    conn.exec_driver_sql(_APPEND_ONLY)
    for name, what in (("audit_events", "audit records"),
                       ("audit_checkpoints", "audit checkpoints")):
        conn.exec_driver_sql(
            f"CREATE OR REPLACE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE ON {name} "
            f"FOR EACH ROW EXECUTE FUNCTION signsvc_append_only('{what}')")
        conn.exec_driver_sql(
            f"CREATE OR REPLACE TRIGGER {name}_no_truncate BEFORE TRUNCATE ON {name} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION signsvc_append_only('{what}')")
    if conn.execute(audit_chain_head.select()).first() is None:
        conn.execute(insert(audit_chain_head).values(id=1))
