"""AuditService: parameters checked and normalised, verification streamed and released."""

import pytest

from signsvc.audit.chain import GENESIS_HASH, seal
from signsvc.audit.events import AuditEvent
from signsvc.errors import AuditUnavailable, BadRequest
from signsvc.services.audit_service import AuditService

EVENT = AuditEvent(action="signing:document:signed", outcome="success")


class FakeStore:
    def __init__(self, n=5, fail=False):
        self.calls = []
        self.closed_stream = False
        self.fail = fail
        prev, self.chain = GENESIS_HASH, []
        for i in range(1, n + 1):
            record = seal(EVENT, i, f"2025-01-31T08:00:{i:02d}.000000Z", prev)
            self.chain.append(record)
            prev = record.record_hash

    def append(self, event):
        if self.fail:
            raise AuditUnavailable()
        sequence = len(self.chain) + 1
        prev = self.chain[-1].record_hash if self.chain else GENESIS_HASH
        record = seal(event, sequence, "2025-01-31T09:00:00.000000Z", prev)
        self.chain.append(record)
        return record

    def records(self, after_sequence=0, **filters):
        self.calls.append((after_sequence, filters))
        return []

    def iter_all(self):
        try:
            yield from self.chain
        finally:
            self.closed_stream = True

    def head(self):
        return (len(self.chain), self.chain[-1].record_hash) if self.chain else (0, GENESIS_HASH)

    def check(self):
        if self.fail:
            raise AuditUnavailable()

    def close(self):
        pass


def test_record_returns_the_stored_record_and_propagates_unavailability():
    store = FakeStore()
    assert AuditService(store).record(EVENT).sequence == 6
    with pytest.raises(AuditUnavailable):
        AuditService(FakeStore(fail=True)).record(EVENT)
    with pytest.raises(AuditUnavailable):
        AuditService(FakeStore(fail=True)).check()


def test_list_defaults_and_caps_the_limit():
    store = FakeStore()
    service = AuditService(store)
    service.list()
    service.list(limit=5000)
    service.list(limit=7)
    assert [c[1]["limit"] for c in store.calls] == [100, 1000, 7]


def test_list_normalises_times_and_digest():
    store = FakeStore()
    AuditService(store).list(after_sequence=3, since="2025-01-31T15:00:00+07:00",
                             until="2025-02-01", actor="portal", action="signing:document:signed",
                             document_sha256="AB" * 32)
    after, filters = store.calls[0]
    assert after == 3
    assert filters == {"since": "2025-01-31T08:00:00.000000Z", "until": "2025-02-01T00:00:00.000000Z",
                       "actor": "portal", "action": "signing:document:signed",
                       "document_sha256": "ab" * 32, "limit": 100}


@pytest.mark.parametrize("kwargs,parameter", [
    ({"after_sequence": -1}, "after_sequence"), ({"limit": 0}, "limit"), ({"limit": "10"}, "limit"),
    ({"since": "last week"}, "since"), ({"until": "2025-02-30"}, "until"),
    ({"document_sha256": "abc"}, "document_sha256"),
])
def test_list_rejects_bad_parameters_naming_them(kwargs, parameter):
    with pytest.raises(BadRequest) as caught:
        AuditService(FakeStore()).list(**kwargs)
    assert caught.value.extra["parameter"] == parameter
    assert caught.value.status == 400


def test_verify_streams_the_store_and_releases_it_on_early_stop():
    store = FakeStore(n=8)
    assert AuditService(store).verify().checked == 8
    store.chain[2] = store.chain[3]
    store.closed_stream = False
    result = AuditService(store).verify()
    assert result.first_bad_sequence == 3
    assert store.closed_stream
