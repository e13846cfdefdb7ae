"""verify_chain names the first place an auditor should look."""

import dataclasses

import pytest

from signsvc.audit.chain import GENESIS_HASH, seal
from signsvc.audit.events import AuditEvent
from signsvc.audit.verifier import verify_chain

N = 10


def _time(i):
    return f"2025-01-31T08:{i // 60:02d}:{i % 60:02d}.000000Z"


def make_chain(n=N, start_sequence=1, prev=GENESIS_HASH):
    records = []
    for i in range(start_sequence, start_sequence + n):
        event = AuditEvent(action="signing:document:signed", outcome="success",
                           actor=f"client-{i % 3}", key_id="agency-seal",
                           input_sha256=f"{i:064x}", details={"i": i})
        record = seal(event, i, _time(i), prev)
        records.append(record)
        prev = record.record_hash
    return records


def _reseal(record, prev_hash, sequence=None, **changes):
    """A forged record whose own hash is right (what an attacker who knows the format makes)."""
    fields = {k: v for k, v in record.as_dict().items()
              if k not in ("sequence", "time", "prev_hash", "record_hash")}
    fields.update(changes)
    return seal(AuditEvent(**fields), sequence or record.sequence, record.time, prev_hash)


def test_good_chain_is_ok():
    chain = make_chain()
    result = verify_chain(chain)
    assert result.ok and result.checked == N
    assert result.first_bad_sequence is None and result.reason is None
    assert (result.head_sequence, result.head_hash) == (N, chain[-1].record_hash)
    assert result.as_dict() == {"ok": True, "checked": N, "first_bad_sequence": None,
                                "reason": None, "head_sequence": N,
                                "head_hash": chain[-1].record_hash}


def test_empty_chain_is_ok():
    result = verify_chain([])
    assert result.ok and result.checked == 0 and result.head_sequence is None


@pytest.mark.parametrize("field,value", [
    ("outcome", "failure"), ("key_id", "other-key"), ("actor", None), ("details", {"i": 99}),
    ("time", "2025-01-31T09:00:00.000000Z"), ("input_sha256", "ff" * 32),
])
def test_altered_record_is_named(field, value):
    chain = make_chain()
    chain[6] = dataclasses.replace(chain[6], **{field: value})
    result = verify_chain(chain)
    assert not result.ok
    assert (result.first_bad_sequence, result.reason) == (7, "record_hash mismatch")
    assert result.checked == 6 and result.head_sequence == 6


def test_altered_and_rehashed_record_breaks_the_next_link():
    chain = make_chain()
    chain[6] = _reseal(chain[6], chain[5].record_hash, outcome="failure")
    result = verify_chain(chain)
    assert (result.first_bad_sequence, result.reason) == (8, "prev_hash mismatch")


@pytest.mark.parametrize("missing", [1, 5, 9])
def test_deleted_record_is_named_by_the_missing_sequence(missing):
    chain = make_chain()
    del chain[missing - 1]
    result = verify_chain(chain)
    assert result.first_bad_sequence == missing
    assert result.reason == f"sequence gap: expected {missing}, found {missing + 1}"
    assert result.checked == missing - 1


def test_deleting_the_last_record_is_not_visible_to_the_chain_alone():
    # Known limit of a bare hash chain: truncating the newest records leaves a valid
    # chain. Comparing head_sequence/head_hash with a signed checkpoint catches it.
    chain = make_chain()[:-1]
    result = verify_chain(chain)
    assert result.ok and result.head_sequence == N - 1


def test_inserted_record_with_bad_hash_is_named():
    chain = make_chain()
    forged = dataclasses.replace(chain[4], sequence=6, outcome="success", record_hash="ee" * 32)
    renumbered = chain[:5] + [forged] + [dataclasses.replace(r, sequence=r.sequence + 1)
                                         for r in chain[5:]]
    assert verify_chain(renumbered).first_bad_sequence == 6


def test_inserted_well_forged_record_breaks_the_record_after_it():
    chain = make_chain()
    forged = _reseal(chain[5], chain[4].record_hash, actor="intruder")  # sequence 6, links to 5
    renumbered = chain[:5] + [forged] + [dataclasses.replace(r, sequence=r.sequence + 1)
                                         for r in chain[5:]]
    result = verify_chain(renumbered)
    assert (result.first_bad_sequence, result.reason) == (7, "prev_hash mismatch")
    assert result.checked == 6


def test_inserted_record_without_renumbering_is_a_duplicate():
    chain = make_chain()
    forged = _reseal(chain[5], chain[4].record_hash, actor="intruder")
    result = verify_chain([*chain[:5], forged, *chain[5:]])
    assert (result.first_bad_sequence, result.reason) == (6, "duplicate sequence 6")


def test_duplicated_record_is_named():
    chain = make_chain()
    result = verify_chain([*chain[:3], chain[2], *chain[3:]])
    assert (result.first_bad_sequence, result.reason) == (3, "duplicate sequence 3")
    assert result.checked == 3


def test_swapped_positions_are_named_at_the_first_position():
    chain = make_chain()
    chain[2], chain[3] = chain[3], chain[2]
    result = verify_chain(chain)
    assert result.first_bad_sequence == 3 and not result.ok


def test_swapped_contents_with_renumbered_sequences_are_named_at_the_first():
    chain = make_chain()
    third, fourth = chain[2], chain[3]
    chain[2] = dataclasses.replace(fourth, sequence=3)
    chain[3] = dataclasses.replace(third, sequence=4)
    result = verify_chain(chain)
    assert result.first_bad_sequence == 3 and result.reason == "prev_hash mismatch"


def test_out_of_order_older_sequence_is_named():
    chain = make_chain()
    result = verify_chain([*chain[:6], chain[1], *chain[6:]])
    assert result.first_bad_sequence == 2
    assert result.reason == "sequence out of order: expected 7, found 2"


def test_unencodable_record_is_named():
    chain = make_chain()
    chain[3] = dataclasses.replace(chain[3], details={"x": float("nan")})
    result = verify_chain(chain)
    assert (result.first_bad_sequence, result.reason) == (4, "record cannot be encoded")


def test_verifying_from_a_known_point():
    chain = make_chain()
    tail = chain[5:]
    assert verify_chain(tail, chain[4].record_hash, 6).ok
    result = verify_chain(tail, "12" * 32, 6)
    assert (result.first_bad_sequence, result.reason) == (6, "prev_hash mismatch")
    assert verify_chain(tail).first_bad_sequence == 1


def test_streams_and_stops_at_the_first_bad_record():
    chain = make_chain()
    chain[2] = dataclasses.replace(chain[2], outcome="denied")
    consumed = []

    def stream():
        for record in chain:
            consumed.append(record.sequence)
            yield record

    assert verify_chain(stream()).first_bad_sequence == 3
    assert consumed == [1, 2, 3]


def test_long_stream_is_checked_without_a_list():
    def stream(n=5000):
        prev = GENESIS_HASH
        event = AuditEvent(action="auth:token:accepted", outcome="success")
        for i in range(1, n + 1):
            record = seal(event, i, _time(i % 3600), prev)
            prev = record.record_hash
            yield record

    result = verify_chain(stream())
    assert result.ok and result.checked == 5000
