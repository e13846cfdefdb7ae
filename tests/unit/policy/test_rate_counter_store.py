"""The rate-limit counters (``SqlRateCounters`` on a SQLite file) and the ledger that ties
them to signing outcomes."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from signsvc.adapters.rate_counters_sql import SqlRateCounters
from signsvc.audit.events import AuditEvent
from signsvc.policy.facts import Usage
from signsvc.services.rate_limits import RateLedger

T0 = datetime(2026, 12, 3, 23, 58, 0, tzinfo=UTC)


@dataclass
class Allowed:
    allowed: bool
    usage: Usage


def limit(n: int):
    """A decision like the ``rate.client`` rule's: allowed while the minute count is below n."""
    return lambda usage: Allowed(usage.client_minute < n, usage)


def test_sliding_minute_and_utc_day(tmp_path):
    store = SqlRateCounters(tmp_path / "db.sqlite3")
    subjects = ("client:portal", "key:k1")
    for s in range(3):
        assert store.admit(subjects, T0 + timedelta(seconds=s), lambda c: True) is not None
    assert store.counts(subjects, T0 + timedelta(seconds=2)) == {"client:portal": (3, 3),
                                                                  "key:k1": (3, 3)}
    # 60 s after the first one it has left the minute, still in the day
    assert store.counts(subjects, T0 + timedelta(seconds=60))["client:portal"] == (2, 3)
    # one at 23:59:59; at 00:00:10 the day starts from zero, the last minute still has it
    store.admit(subjects, T0 + timedelta(seconds=119), lambda c: True)
    assert store.counts(subjects, T0 + timedelta(seconds=119))["client:portal"] == (1, 4)
    assert store.counts(subjects, T0 + timedelta(seconds=130))["client:portal"] == (1, 0)
    assert store.counts(("client:other",), T0) == {"client:other": (0, 0)}
    store.close()


def test_a_refusal_adds_nothing_and_a_release_takes_back(tmp_path):
    store = SqlRateCounters(tmp_path / "db.sqlite3")
    subjects = ("client:portal",)
    seen = []
    assert store.admit(subjects, T0, lambda c: seen.append(c) or False) is None
    assert seen == [{"client:portal": (0, 0)}]
    assert store.counts(subjects, T0)["client:portal"] == (0, 0)
    r = store.admit(subjects, T0, lambda c: True)
    assert store.counts(subjects, T0)["client:portal"] == (1, 1)
    store.release(r)
    assert store.counts(subjects, T0)["client:portal"] == (0, 0)
    store.close()


def test_concurrent_admits_through_separate_connections_never_pass_the_limit(tmp_path):
    """Eight connections (as eight worker processes would have) race 40 admits against a
    limit of 5: exactly 5 pass."""
    stores = [SqlRateCounters(tmp_path / "db.sqlite3") for _ in range(8)]
    ledgers = [RateLedger(s, lambda: T0) for s in stores]
    results: list[bool] = []
    start = threading.Barrier(8)

    def worker(i: int) -> None:
        start.wait()
        for j in range(5):
            d = ledgers[i].admit(f"r{i}-{j}", "portal", "k1", limit(5))
            results.append(d.allowed)
            if d.allowed:   # the signature is made and audited
                ledgers[i].observe(AuditEvent(action="signing:document:signed", outcome="success",
                                              actor="portal", request_id=f"r{i}-{j}",
                                              key_id="k1"), written=True)
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 40 and results.count(True) == 5
    assert stores[0].counts(("client:portal", "key:k1"), T0) == {"client:portal": (5, 5),
                                                                  "key:k1": (5, 5)}
    for s in stores:
        s.close()


def test_ledger_counts_signatures_not_attempts(tmp_path):
    store = SqlRateCounters(tmp_path / "db.sqlite3")
    ledger = RateLedger(store, lambda: T0)

    def event(action, outcome, request_id, actor="portal", key_id="k1"):
        return AuditEvent(action=action, outcome=outcome, actor=actor, request_id=request_id,
                          key_id=key_id)
    # admitted, then the signing failed (token error): taken back
    assert ledger.admit("a", "portal", "k1", limit(5)).allowed
    assert ledger.usage("portal", "k1") == Usage(1, 1, 1, 1)
    ledger.observe(event("signing:document:failed", "failure", "a"), written=True)
    assert ledger.usage("portal", "k1") == Usage(0, 0, 0, 0)
    # admitted, signed, but the audit record could not be written (503): not counted
    ledger.admit("b", "portal", "k1", limit(5))
    ledger.observe(event("signing:document:signed", "success", "b"), written=False)
    assert ledger.usage("portal", "k1") == Usage(0, 0, 0, 0)
    # admitted and signed: counted once; other records of the request change nothing
    ledger.admit("c", "portal", "k1", limit(5))
    ledger.observe(event("keys:key:listed", "success", "c"), written=True)
    ledger.observe(event("signing:document:signed", "success", "c"), written=True)
    assert ledger.usage("portal", "k1") == Usage(1, 1, 1, 1)
    # a browser session: the decision at prepare is taken back when the step ends, the
    # signature is counted when the session completes (no key id in that record)
    ledger.admit("d", "portal", "k1", limit(5))
    ledger.observe(event("signing:session:prepared", "success", "d"), written=True)
    assert ledger.usage("portal", "k1") == Usage(1, 1, 1, 1)
    ledger.observe(event("signing:document:signed", "success", "e", key_id=None), written=True)
    assert ledger.usage("portal", "k1") == Usage(2, 2, 1, 1)
    # a denied decision adds nothing
    assert not ledger.admit("f", "portal", "k1", limit(2)).allowed
    assert ledger.usage("portal", "k1") == Usage(2, 2, 1, 1)
    store.close()
