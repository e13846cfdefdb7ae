"""Who is asking, from where, under which request id: handed by web/cli to services."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    actor: str | None = None
    role: str | None = None
    client_address: str | None = None
    keys: tuple[str, ...] = ()
    session: str | None = None     # a page session's reference (never the id), audited

    def with_client(self, name: str, role: str, keys: tuple[str, ...]) -> RequestContext:
        return RequestContext(self.request_id, name, role, self.client_address, keys)
