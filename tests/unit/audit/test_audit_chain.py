"""Sealing and the canonical body: deterministic, and covering every stored field."""

import dataclasses
import hashlib

import pytest

from signsvc.audit.chain import (
    BODY_FIELDS,
    GENESIS_HASH,
    canonical_body,
    chain_hash,
    record_body,
    seal,
)
from signsvc.audit.events import AuditEvent

TIME = "2025-01-31T08:15:00.123456Z"


def _event(**changes):
    fields = dict(action="signing:document:signed", outcome="success", actor="cổng-dvc",
                  key_id="agency-seal", input_sha256="ab" * 32,
                  details={"b": True, "a": 1, "note": "Ủy ban"})
    fields.update(changes)
    return AuditEvent(**fields)


def test_known_answer_body_and_hash():
    """Pins the exact encoding: an offline verifier in any language must reproduce it."""
    record = seal(_event(), 1, TIME, GENESIS_HASH)
    body = (
        '{"action":"signing:document:signed","actor":"cổng-dvc","certificate_serial":null,'
        '"certificate_sha256":null,"client_address":null,"details":{"a":1,"b":true,"note":"Ủy ban"},'
        '"error_code":null,"input_sha256":"' + "ab" * 32 + '","key_id":"agency-seal","level":null,'
        '"outcome":"success","output_sha256":null,"prev_hash":"' + "0" * 64 + '","request_id":null,'
        '"role":null,"sequence":1,"time":"' + TIME + '"}'
    ).encode("utf-8")
    assert record_body(record) == body
    assert record.record_hash == hashlib.sha256(b"0" * 64 + b"\n" + body).hexdigest()
    assert record.prev_hash == GENESIS_HASH == "0" * 64


def test_sealing_is_deterministic():
    first = seal(_event(), 7, TIME, "1f" * 32)
    again = seal(_event(details={"note": "Ủy ban", "a": 1, "b": True}), 7, TIME, "1f" * 32)
    assert first == again
    assert first.record_hash == again.record_hash


def test_canonical_body_ignores_record_hash_and_mapping_order():
    record = seal(_event(), 1, TIME, GENESIS_HASH)
    data = record.as_dict()
    reordered = dict(reversed(list(data.items())))
    assert canonical_body(data) == canonical_body(reordered) == record_body(record)
    assert b"record_hash" not in canonical_body(data)


def test_canonical_body_rejects_missing_and_unknown_fields():
    data = seal(_event(), 1, TIME, GENESIS_HASH).as_dict()
    with pytest.raises(ValueError):
        canonical_body({k: v for k, v in data.items() if k != "actor"})
    with pytest.raises(ValueError):
        canonical_body({**data, "comment": "x"})


def _other(name, value):
    if name == "sequence":
        return value + 1
    if name == "details":
        return {**value, "a": 2}
    if name in ("prev_hash", "input_sha256"):
        return "cd" * 32
    if value is None:
        return ""        # null and "" must not hash alike
    return value + "x"


@pytest.mark.parametrize("name", BODY_FIELDS)
def test_altering_any_field_changes_the_hash(name):
    record = seal(_event(), 3, TIME, "1f" * 32)
    altered = dataclasses.replace(record, **{name: _other(name, getattr(record, name))})
    assert chain_hash(altered.prev_hash, record_body(altered)) != record.record_hash


@pytest.mark.parametrize("a,b", [
    ({"x": 1}, {"x": True}), ({"x": 1}, {"x": "1"}), ({"x": None}, {}), ({"x": 0}, {"x": False}),
])
def test_details_types_are_not_confused(a, b):
    assert seal(_event(details=a), 1, TIME, GENESIS_HASH).record_hash != \
        seal(_event(details=b), 1, TIME, GENESIS_HASH).record_hash


def test_prev_hash_is_bound_into_the_hash():
    assert seal(_event(), 2, TIME, "1f" * 32).record_hash != seal(_event(), 2, TIME, "2f" * 32).record_hash


@pytest.mark.parametrize("sequence,time,prev", [
    (0, TIME, GENESIS_HASH), (True, TIME, GENESIS_HASH), ("1", TIME, GENESIS_HASH),
    (1, "2025-01-31T08:15:00Z", GENESIS_HASH), (1, "2025-01-31 08:15:00.123456Z", GENESIS_HASH),
    (1, TIME, "0" * 63), (1, TIME, "AB" * 32),
])
def test_seal_rejects_bad_position(sequence, time, prev):
    with pytest.raises(ValueError):
        seal(_event(), sequence, time, prev)
