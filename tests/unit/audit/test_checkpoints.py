"""verify_log and verify_export (pure): the log against signed checkpoints.

The signature checker here is a keyed hash (what matters to these tests is only that a
checkpoint whose bytes changed no longer verifies); the real CMS/RFC 3161 checker is
exercised against the real key and TSA in tests/integration/test_audit_checkpoints*.py.
"""

import dataclasses
import hashlib
import hmac

import pytest

from signsvc.audit.chain import GENESIS_HASH, seal
from signsvc.audit.checkpoints import (
    Checkpoint,
    SignatureCheck,
    SignedCheckpoint,
    next_checkpoint,
    verify_log,
)
from signsvc.audit.events import AuditEvent
from signsvc.audit.export import build_export, dump_export, load_export, verify_export

KEY = b"test audit key"


def _time(i):
    return f"2025-01-31T08:{i // 60:02d}:{i % 60:02d}.000000Z"


def sign(payload):
    mac = hmac.new(KEY, payload, hashlib.sha256).digest()
    return mac, b"token:" + hashlib.sha256(payload).digest()


def checker(payload, signature, token):
    good, stamp = sign(payload)
    if not hmac.compare_digest(signature, good):
        return SignatureCheck(False, "the signature value is not valid")
    if token != stamp:
        return SignatureCheck(False, "the time-stamp token does not cover this checkpoint")
    return SignatureCheck(True, timestamp_time=_time(30))


def make_chain(n, start=1, prev=GENESIS_HASH):
    out = []
    for i in range(start, start + n):
        rec = seal(AuditEvent(action="keys:key:listed", outcome="success", actor=f"c{i % 3}",
                              details={"i": i}), i, _time(i), prev)
        out.append(rec)
        prev = rec.record_hash
    return out


def checkpoint_at(records, heads):
    out, previous = [], None
    for head in heads:
        cp = next_checkpoint(previous, head, records[head - 1].record_hash, _time(30))
        out.append(SignedCheckpoint(cp, *sign(cp.payload())))
        previous = cp
    return out


def reseal_from(records, start, **changes):
    """Rewrite record ``start`` and recompute every later hash (what an attacker can do)."""
    out = list(records[:start - 1])
    prev = out[-1].record_hash if out else GENESIS_HASH
    for rec in records[start - 1:]:
        fields = {k: v for k, v in rec.as_dict().items()
                  if k not in ("sequence", "time", "prev_hash", "record_hash")}
        if rec.sequence == start:
            fields.update(changes)
        new = seal(AuditEvent(**fields), rec.sequence, rec.time, prev)
        out.append(new)
        prev = new.record_hash
    return out


def problems(result):
    return [(f.problem, f.sequence, f.end_sequence, f.checkpoint) for f in result.findings]


def test_intact_log_with_checkpoints_is_ok():
    records = make_chain(20)
    cps = checkpoint_at(records, [5, 12])
    result = verify_log(records, cps, checker)
    assert result.ok and result.checked == 20 and result.checkpoints_verified == 2
    assert result.uncovered_records == 8
    assert result.last_checkpoint["index"] == 2 and result.last_checkpoint["signature_valid"]
    assert result.as_dict()["messages"] == {"vi": [], "en": []}


def test_truncated_tail_is_named_against_the_last_checkpoint():
    records = make_chain(20)
    cps = checkpoint_at(records, [5, 12])
    result = verify_log(records[:9], cps, checker)
    assert not result.ok
    assert problems(result) == [("truncated", 10, 12, 2)]
    assert result.first_bad_sequence == 10
    assert "truncated" in result.reason and "#10 to #12" in result.reason


def test_rewrite_and_rechain_is_named_between_checkpoints():
    records = make_chain(20)
    cps = checkpoint_at(records, [5, 12])
    forged = reseal_from(records, 8, outcome="failure")
    assert verify_log(forged, [], None).ok  # the chain alone cannot see it
    result = verify_log(forged, cps, checker)
    assert not result.ok
    assert problems(result) == [("rewritten", 6, 12, 2)]
    msg = result.findings[0].message()
    assert "#6" in msg["en"] and "#12" in msg["en"] and "viết lại" in msg["vi"]


def test_forged_checkpoint_for_a_rewritten_log_is_rejected():
    records = make_chain(12)
    cps = checkpoint_at(records, [5, 12])
    forged = reseal_from(records, 3, actor="someone-else")
    cp = dataclasses.replace(cps[0].checkpoint, head_hash=forged[4].record_hash)
    cps[0] = dataclasses.replace(cps[0], checkpoint=cp)  # attacker edits the stored head
    result = verify_log(forged, cps, checker)
    assert ("checkpoint-invalid", None, None, 1) in problems(result)
    assert ("checkpoint-missing", None, None, 2) in problems(result)  # cp 2 links to the real cp 1
    assert ("rewritten", 6, 12, 2) in problems(result)


def test_checkpoint_removed_from_the_middle_is_named():
    records = make_chain(20)
    cps = checkpoint_at(records, [4, 8, 12])
    result = verify_log(records, [cps[0], cps[2]], checker)
    assert problems(result) == [("checkpoint-missing", None, None, 2)]


def test_live_log_checks_the_newest_signature_and_the_links_of_the_others():
    records = make_chain(12)
    cps = checkpoint_at(records, [4, 8, 12])
    cps[0] = dataclasses.replace(cps[0], signature=b"x")  # not checked, but
    assert verify_log(records, cps, checker, verify_signatures="last").ok
    cp = dataclasses.replace(cps[0].checkpoint, time=_time(31))  # its content is linked
    cps[0] = dataclasses.replace(cps[0], checkpoint=cp)
    result = verify_log(records, cps, checker, verify_signatures="last")
    assert problems(result) == [("checkpoint-missing", None, None, 2)]
    cps[2] = dataclasses.replace(cps[2], signature=b"y")
    result = verify_log(records, cps, checker, verify_signatures="last")
    assert ("checkpoint-invalid", None, None, 3) in problems(result)


def test_timestamp_far_from_the_checkpoint_time_is_rejected():
    records = make_chain(6)
    cp = Checkpoint(1, 6, records[5].record_hash, "2025-01-31T10:00:00.000000Z")
    signed = SignedCheckpoint(cp, *sign(cp.payload()))
    result = verify_log(records, [signed], checker)
    assert problems(result) == [("checkpoint-invalid", None, None, 1)]
    assert "away from the checkpoint's time" in result.findings[0].detail


def test_chain_problems_keep_their_place_and_name():
    records = make_chain(10)
    cps = checkpoint_at(records, [10])
    altered = list(records)
    altered[3] = dataclasses.replace(altered[3], outcome="failure")
    assert problems(verify_log(altered, cps, checker)) == [("altered", 4, None, None)]
    deleted = records[:3] + records[4:]
    assert problems(verify_log(deleted, cps, checker)) == [("deleted", 4, None, None)]


def export_of(records, cps, since=None):
    return load_export(dump_export(build_export(
        created=_time(40), exported_by="auditor", since=since, records=records,
        checkpoints=cps, certificates=[], trust_anchors=[], trust_anchors_sha256="",
        service={"name": "signsvc"})))


def test_export_must_end_at_its_last_checkpoint():
    records = make_chain(12)
    doc = export_of(records, checkpoint_at(records, [5, 12]))
    assert verify_export(doc, checker).ok
    doc = export_of(records, checkpoint_at(records, [5, 10]))
    result = verify_export(doc, checker)
    assert problems(result.log) == [("uncovered", 11, 12, None)]
    assert not verify_export(export_of(records, []), checker).ok


def test_export_reorder_is_called_a_reorder():
    records = make_chain(12)
    doc = export_of(records, checkpoint_at(records, [12]))
    doc["records"][4], doc["records"][5] = doc["records"][5], doc["records"][4]
    result = verify_export(doc, checker)
    assert result.log.findings[0].problem == "reordered" and result.log.first_bad_sequence == 5


def test_partial_export_is_anchored_by_the_checkpoint_before_it():
    records = make_chain(12)
    cps = checkpoint_at(records, [5, 12])
    doc = export_of(records[5:], cps, since=_time(6))
    result = verify_export(doc, checker)
    assert result.ok and result.anchored_start and result.first_sequence == 6
    doc = export_of(records[6:], cps[1:], since=_time(7))
    result = verify_export(doc, checker)
    assert result.ok and not result.anchored_start


@pytest.mark.parametrize("edit", ["not json", '{"format": "other"}'])
def test_not_an_export(edit):
    from signsvc.audit.export import ExportFormatError
    with pytest.raises(ExportFormatError):
        load_export(edit.encode())
