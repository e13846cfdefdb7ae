"""Alembic migrations of signsvc's table groups (one branch per group, see ``versions/``)."""

from __future__ import annotations


class FirstRevisionKept(RuntimeError):
    """Downgrading below a group's first revision was asked for: refused on purpose."""


def keep_first_revision(group: str) -> None:
    """Refuse to take down a group's first revision: it holds the data itself (the audit log
    among them), which a downgrade would drop; restore a backup to go back instead.

    Always raises ``FirstRevisionKept``."""
    raise FirstRevisionKept(
        f"{group}: the first revision is not taken down (it would drop the stored data); "
        "restore a backup instead")
