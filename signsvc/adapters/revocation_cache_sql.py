"""The OCSP/CRL cache in the service database (the fetchers that fill it:
``signsvc.adapters.revocation_fetchers``).

Guarantees:

- A cached OCSP response or CRL is served only while ``thisUpdate <= now < nextUpdate``;
  one without ``nextUpdate`` is never cached. Expired rows are ignored and purged.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from asn1crypto import crl, ocsp
from sqlalchemy import Engine, delete, func, select

from signsvc.adapters.db.databases import open_engine
from signsvc.adapters.db.engine import write_transaction
from signsvc.adapters.db.sql import replace
from signsvc.adapters.db.tables import revocation_cache as _cache


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def ocsp_window(resp: ocsp.OCSPResponse) -> tuple[datetime | None, datetime | None]:
    """(thisUpdate, nextUpdate) of the first single response."""
    single = resp.basic_ocsp_response["tbs_response_data"]["responses"][0]
    return _utc(single["this_update"].native), _utc(single["next_update"].native)


def crl_window(c: crl.CertificateList) -> tuple[datetime | None, datetime | None]:
    tbs = c["tbs_cert_list"]
    return _utc(tbs["this_update"].native), _utc(tbs["next_update"].native)


class SqlRevocationCache:
    """Rows ``(kind, key) -> der, this_update, next_update`` in the service database (SQLite
    ``signsvc.sqlite3`` by default, or the shared ``[database] url``: one cache for every
    instance)."""

    def __init__(self, db: Engine | str | os.PathLike[str]) -> None:
        self._engine = open_engine(db, "state")
        self.hits = 0
        self.misses = 0

    def get(self, kind: str, key: str, now: datetime | None = None) -> bytes | None:
        """The cached DER while it is current at ``now``, else None."""
        now = now or datetime.now(UTC)
        with self._engine.connect() as conn:
            row = conn.execute(select(_cache.c.der, _cache.c.this_update, _cache.c.next_update)
                               .where(_cache.c.kind == kind, _cache.c.key == key)).first()
        if row is None or not (datetime.fromisoformat(row[1]) <= now
                               < datetime.fromisoformat(row[2])):
            self.misses += 1
            return None
        self.hits += 1
        return bytes(row[0])

    def put(self, kind: str, key: str, url: str, der: bytes, this_update: datetime | None,
            next_update: datetime | None) -> bool:
        """Store ``der`` until ``next_update``; False (not stored) without one."""
        if this_update is None or next_update is None or next_update <= this_update:
            return False
        now = datetime.now(UTC)
        with write_transaction(self._engine) as conn:
            replace(conn, _cache, {"kind": kind, "key": key, "url": url[:2000], "der": der,
                                   "this_update": this_update.isoformat(),
                                   "next_update": next_update.isoformat(),
                                   "fetched_at": now.isoformat()})
            conn.execute(delete(_cache).where(_cache.c.next_update < now.isoformat()))
        return True

    def count(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(_cache)).scalar_one())

    def close(self) -> None:
        """Nothing held between calls (the engine's pool is shared with other stores)."""
