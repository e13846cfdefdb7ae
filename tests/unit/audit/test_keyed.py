"""The keyed chain (pure): MACs, rebase points, the segment verifier, and the comparison of
database and external checkpoints."""

from __future__ import annotations

import dataclasses

from signsvc.audit.chain import GENESIS_HASH, seal
from signsvc.audit.checkpoints import Checkpoint, SignedCheckpoint, verify_log
from signsvc.audit.events import AuditEvent
from signsvc.audit.external import compare_checkpoints, unacknowledged, verify_full
from signsvc.audit.keyed import (
    ACKNOWLEDGED_ACTION,
    Anchor,
    mac_for,
    record_mac,
    verify_segment,
)

KEY = b"k" * 32
TIME = "2026-12-03T10:00:00.000000Z"


def chain(n: int, key: bytes | None = KEY, mac_from: int = 1, start=None):
    """``n`` records with their MACs (None before ``mac_from`` or without a key)."""
    out, prev, prev_mac = list(start or []), GENESIS_HASH, None
    if out:
        prev, prev_mac = out[-1][0].record_hash, out[-1][1]
    for _ in range(n):
        seq = len(out) + 1
        rec = seal(AuditEvent(action="sign:pdf:signed", outcome="success", actor=f"a{seq}"),
                   seq, TIME, prev)
        mac = mac_for(key, rec, prev_mac, mac_from) if key and seq >= mac_from else None
        out.append((rec, mac))
        prev, prev_mac = rec.record_hash, mac
    return out


def test_record_mac_is_hmac_sha256_of_prev_mac_and_body():
    import hashlib
    import hmac

    assert record_mac(KEY, "ab", b"{}") == hmac.new(KEY, b"ab\n{}", hashlib.sha256).hexdigest()
    assert record_mac(KEY, "ab", b"{}") != record_mac(b"x" * 32, "ab", b"{}")


def test_intact_keyed_chain_verifies_and_the_anchor_moves_to_the_head():
    items = chain(5)
    result = verify_segment(items, Anchor(), KEY, 1)
    assert result.ok and result.checked == 5
    assert result.anchor == Anchor(5, items[-1][0].record_hash, items[-1][1])
    # incremental: from that anchor, only the new records are read
    more = chain(2, start=items)
    again = verify_segment(more[5:], result.anchor, KEY, 1)
    assert again.ok and again.checked == 2 and again.anchor.sequence == 7


def test_a_forged_tail_with_a_correct_unkeyed_hash_is_named():
    items = chain(4)
    last = items[-1][0]
    forged = seal(AuditEvent(action="sign:pdf:signed", outcome="success", actor="ghost"), 5, TIME,
                  last.record_hash)
    for mac in (None, "00" * 32, items[-1][1]):
        result = verify_segment([*items, (forged, mac)], Anchor(), KEY, 1)
        assert (result.ok, result.problem, result.sequence) == (False, "forged", 5)
        assert result.anchor.sequence == 4
    # without the key the same log looks intact: that is what the key adds
    assert verify_segment([*items, (forged, None)], Anchor(), None, 1).ok


def test_an_edited_record_is_named_as_altered_not_forged():
    items = chain(4)
    rec, mac = items[1]
    items[1] = (dataclasses.replace(rec, outcome="failure"), mac)
    result = verify_segment(items, Anchor(), KEY, 1)
    assert (result.problem, result.sequence) == ("altered", 2)


def test_the_switch_from_an_unkeyed_log_covers_the_records_before_it():
    items = chain(3, key=None)
    items = chain(2, key=KEY, mac_from=4, start=items)
    assert [m is None for _, m in items] == [True, True, True, False, False]
    assert verify_segment(items, Anchor(), KEY, 4).ok
    # re-chaining the unkeyed part changes the prev_hash the first MAC covers
    rechained, prev = [], GENESIS_HASH
    for rec, mac in items:
        new = seal(AuditEvent(**{f: getattr(rec, f) for f in (
            "action", "outcome", "actor")}), rec.sequence, TIME, prev) \
            if rec.sequence != 2 else seal(AuditEvent(action="x:y:z", outcome="success"), 2, TIME, prev)
        rechained.append((new, mac))
        prev = new.record_hash
    result = verify_segment(rechained, Anchor(), KEY, 4)
    assert (result.problem, result.sequence) == ("forged", 4)


def test_an_acknowledgement_restarts_the_keyed_chain_from_its_own_prev_hash():
    items = chain(3)
    head = items[-1][0]
    ack = seal(AuditEvent(action=ACKNOWLEDGED_ACTION, outcome="success", actor="cli:op"), 4, TIME,
               head.record_hash)
    ack_mac = mac_for(KEY, ack, "whatever", 1)  # a rebase ignores the previous MAC
    assert ack_mac == record_mac(KEY, head.record_hash, __import__(
        "signsvc.audit.chain", fromlist=["record_body"]).record_body(ack))
    items[-1] = (head, "00" * 32)  # the MAC before the acknowledgement was destroyed
    result = verify_segment([(ack, ack_mac)], Anchor(3, head.record_hash, "00" * 32), KEY, 1)
    assert result.ok and result.anchor.mac == ack_mac


def _cp(index: int, head: int, prev: str = GENESIS_HASH, sig: bytes = b"s") -> SignedCheckpoint:
    return SignedCheckpoint(Checkpoint(index, head, "ab" * 32, TIME, prev), sig, b"t")


def test_database_and_external_checkpoints_are_compared_both_ways():
    one, two = _cp(1, 3), _cp(2, 6)
    assert compare_checkpoints([one, two], [one, two]) == []
    found = compare_checkpoints([one], [one, two])
    assert [(f.problem, f.checkpoint) for f in found] == [("checkpoint-deleted-db", 2)]
    found = compare_checkpoints([one, two], [two])
    assert [(f.problem, f.checkpoint) for f in found] == [("checkpoint-deleted-external", 1)]
    found = compare_checkpoints([one, _cp(2, 6, sig=b"other")], [one, two])
    assert [(f.problem, f.checkpoint) for f in found] == [("checkpoint-mismatch", 2)]


def test_a_checkpoint_that_moves_backwards_is_named():
    items = chain(6)
    hashes = {r.sequence: r.record_hash for r, _ in items}
    first = SignedCheckpoint(Checkpoint(1, 5, hashes[5], TIME), b"s", b"t")
    second = SignedCheckpoint(Checkpoint(2, 3, hashes[3], TIME, first.checkpoint.payload_sha256()),
                              b"s", b"t")
    result = verify_log((r for r, _ in items), [first, second], None)
    assert [(f.problem, f.sequence, f.checkpoint) for f in result.findings] == [
        ("checkpoint-backwards", 3, 2)]


def test_verify_full_reports_every_mode_and_acknowledged_findings_are_set_aside():
    items = chain(4)
    forged = seal(AuditEvent(action="x:y:z", outcome="success"), 5, TIME, items[-1][0].record_hash)
    result = verify_full([*items, (forged, None)], [], [], None, key=KEY, mac_from=1)
    assert result.keyed and result.external_checkpoints == 0
    assert [(f.problem, f.sequence) for f in result.findings] == [("forged", 5)]
    assert result.as_dict()["keyed_from_sequence"] == 1 and not result.ok
    assert unacknowledged(result.findings, 6, None) == []
    assert unacknowledged(result.findings, 4, None) == list(result.findings)
