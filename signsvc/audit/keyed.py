"""The keyed chain: an HMAC over the hash chain, with a key the database does not hold.

``mac = HMAC-SHA256(key, prev_mac ASCII + b"\\n" + canonical_body)`` (lower-case hex).
``prev_mac`` is the previous record's ``mac``, except at a *rebase* point, where it is the
record's own ``prev_hash`` (the unkeyed chain's head, which covers every record before it):

- the first keyed record (``mac_from``): the switch from an unkeyed log; every record
  before it is covered by the SHA-256 chain that its ``prev_hash`` ends;
- an operator's acknowledgement of a broken chain (``ACKNOWLEDGED_ACTION``), written by
  the service with the key: the chain is trusted again from there on.

Whoever can write the database but does not hold the key can still edit, drop, insert or
re-chain records (and recompute every ``record_hash``), but cannot compute the MAC of
what they wrote: the first such record is named (``forged``). What the key alone does not
show is the tail cut off at a record boundary; checkpoints (kept outside the database too)
show that.

Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from signsvc.audit.chain import GENESIS_HASH, record_body
from signsvc.audit.events import AuditRecord
from signsvc.audit.verifier import ChainVerification, verify_chain
from signsvc.audit_tags import AuditTag

ACKNOWLEDGED_ACTION = AuditTag.AUDIT_INTEGRITY_ACKNOWLEDGED
"""The record an operator writes (``signsvc audit acknowledge``) to resume after a break."""
MIN_KEY_BYTES = 32


def record_mac(key: bytes, prev_mac: str, body: bytes) -> str:
    """``HMAC-SHA256(key, prev_mac + "\\n" + body)`` as lower-case hex."""
    return hmac.new(key, prev_mac.encode("ascii") + b"\n" + body, hashlib.sha256).hexdigest()


def rebases(record: AuditRecord, mac_from: int | None) -> bool:
    """Whether ``record``'s MAC starts from its own ``prev_hash`` (see the module doc)."""
    return record.sequence == mac_from or record.action == ACKNOWLEDGED_ACTION


def mac_for(key: bytes, record: AuditRecord, prev_mac: str | None, mac_from: int | None) -> str:
    """The MAC ``record`` must carry after a record whose MAC is ``prev_mac``.

    Raises ``ValueError`` if the record cannot be encoded.
    """
    start = record.prev_hash if rebases(record, mac_from) or prev_mac is None else prev_mac
    if not isinstance(start, str):
        raise ValueError("prev_hash is not text")
    return record_mac(key, start, record_body(record))


@dataclass(frozen=True)
class Anchor:
    """The last verified record: sequence, ``record_hash`` and ``mac`` (None if unkeyed)."""

    sequence: int = 0
    record_hash: str = GENESIS_HASH
    mac: str | None = None


class MacCheck:
    """Checks the MACs of a record stream while passing the records on (see ``tap``).

    ``first_bad`` is the first record whose MAC is missing or wrong (None: all good);
    after it, MACs are no longer checked (the keyed chain cannot be followed past it).
    Without a key, or before ``mac_from``, nothing is checked.
    """

    def __init__(self, key: bytes | None, mac_from: int | None, prev_mac: str | None) -> None:
        self.key = key
        self.mac_from = mac_from
        self.first_bad: int | None = None
        self.detail: str | None = None
        self._prev = prev_mac
        self.recent: dict[int, Anchor] = {}   # the last two records that passed, by sequence

    def tap(self, items: Iterable[tuple[AuditRecord, str | None]]) -> Iterator[AuditRecord]:
        for record, mac in items:
            self._check(record, mac)
            yield record

    def _passed(self, record: AuditRecord, mac: str | None) -> None:
        if type(record.sequence) is int and isinstance(record.record_hash, str):
            self.recent = {k: v for k, v in self.recent.items() if k == record.sequence - 1}
            self.recent[record.sequence] = Anchor(record.sequence, record.record_hash, mac)
        self._prev = mac

    def _check(self, record: AuditRecord, mac: str | None) -> None:
        seq = record.sequence
        if self.first_bad is not None:
            return
        if self.key is None or self.mac_from is None or type(seq) is not int \
                or seq < self.mac_from:
            self._passed(record, mac)
            return
        try:
            wanted = mac_for(self.key, record, self._prev, self.mac_from)
        except ValueError:
            wanted = None
        if not isinstance(mac, str) or wanted is None or not hmac.compare_digest(mac, wanted):
            self.first_bad = seq
            self.detail = "MAC missing" if mac is None else "MAC mismatch"
            return
        self._passed(record, mac)


@dataclass(frozen=True)
class SegmentResult:
    """A stretch of the log after an ``Anchor`` checked (chain and MACs).

    ``anchor`` is the last record found good (the old one if none); ``problem`` is a
    ``checkpoints.PROBLEMS`` key (``forged`` for a MAC) and ``sequence`` where.
    """

    ok: bool
    anchor: Anchor
    checked: int
    problem: str | None = None
    sequence: int | None = None
    detail: str | None = None


def verify_segment(items: Iterable[tuple[AuditRecord, str | None]], anchor: Anchor,
                   key: bytes | None, mac_from: int | None) -> SegmentResult:
    """Check the records after ``anchor`` (in stored order, streamed): hash chain and MACs."""
    from signsvc.audit.checkpoints import chain_problem  # no import cycle at load time

    macs = MacCheck(key, mac_from, anchor.mac)
    chain: ChainVerification = verify_chain(macs.tap(items), anchor.record_hash,
                                             anchor.sequence + 1)
    head = chain.head_sequence
    if macs.first_bad is not None and (chain.ok or chain.first_bad_sequence is None
                                       or macs.first_bad < chain.first_bad_sequence):
        good = macs.first_bad - 1
        new = macs.recent.get(good, anchor) if good > anchor.sequence else anchor
        return SegmentResult(False, new, max(0, good - anchor.sequence), "forged",
                             macs.first_bad, macs.detail)
    new = macs.recent.get(head, anchor) if head is not None and head > anchor.sequence \
        else anchor
    if chain.ok:
        return SegmentResult(True, new, chain.checked)
    return SegmentResult(False, new, chain.checked, chain_problem(chain.reason),
                         chain.first_bad_sequence, chain.reason)



def verify_record(record: AuditRecord, mac: str | None,
                  prev: tuple[AuditRecord, str | None] | None, key: bytes | None,
                  mac_from: int | None) -> tuple[str, str] | None:
    """One record checked against the one before it (``prev``; None for the first):
    link, hash and MAC. ``(problem, detail)`` or None. Cheap: for the records a page shows."""
    from signsvc.audit.chain import chain_hash

    seq = record.sequence
    if prev is None and seq != 1:
        return "deleted", f"record #{seq - 1} is missing"
    prev_hash = prev[0].record_hash if prev is not None else GENESIS_HASH
    if record.prev_hash != prev_hash:
        return "relinked", "prev_hash mismatch"
    try:
        if chain_hash(prev_hash, record_body(record)) != record.record_hash:
            return "altered", "record_hash mismatch"
        if key is not None and mac_from is not None and seq >= mac_from:
            wanted = mac_for(key, record, prev[1] if prev is not None else None, mac_from)
            if not isinstance(mac, str) or not hmac.compare_digest(mac, wanted):
                return "forged", "MAC missing" if mac is None else "MAC mismatch"
    except ValueError:
        return "unreadable", "record cannot be encoded"
    return None
