"""AuditEvent validation and the record's JSON form: what may and may not enter the log."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from signsvc.audit.chain import GENESIS_HASH, seal
from signsvc.audit.events import AuditEvent, AuditRecord, format_time, parse_time

DIGEST = "ab" * 32


def test_valid_event_keeps_its_facts_and_normalises_digests():
    event = AuditEvent(
        action="signing:document:signed", outcome="success", actor="portal", role="portal",
        key_id="agency-seal", input_sha256=DIGEST.upper(), output_sha256="cd" * 32,
        certificate_sha256="EF" * 32, details={"pages": 3, "visible": True, "profile": None},
    )
    assert event.input_sha256 == DIGEST
    assert event.certificate_sha256 == "ef" * 32
    assert dict(event.details) == {"pages": 3, "visible": True, "profile": None}


@pytest.mark.parametrize("action", [
    "signing:document", "signing:document:signed:twice", "Signing:document:signed",
    "signing:document:signed\n", "signing: document:signed", "", "signing::signed",
])
def test_action_must_be_a_source_subject_action_tag(action):
    with pytest.raises(ValueError):
        AuditEvent(action=action, outcome="success")


@pytest.mark.parametrize("outcome", ["ok", "SUCCESS", "", None, "failed"])
def test_outcome_must_be_success_failure_or_denied(outcome):
    with pytest.raises(ValueError):
        AuditEvent(action="auth:token:rejected", outcome=outcome)


@pytest.mark.parametrize("outcome", ["success", "failure", "denied"])
def test_allowed_outcomes(outcome):
    assert AuditEvent(action="auth:token:rejected", outcome=outcome).outcome == outcome


@pytest.mark.parametrize("details", [
    {"content": b"%PDF-1.7"},            # bytes: document content has no place here
    {"pages": [1, 2]},
    {"nested": {"a": 1}},
    {"ratio": 0.5},                       # floats are not canonical enough to hash
    {1: "non-string key"},
    {"": "empty key"},
    {"text": "x" * 513},                  # long text: record a hash instead
    {f"k{i}": i for i in range(33)},      # small facts only
])
def test_details_must_be_a_few_short_scalars(details):
    with pytest.raises(ValueError):
        AuditEvent(action="signing:document:signed", outcome="success", details=details)


@pytest.mark.parametrize("field,value", [
    ("key_id", 5), ("actor", b"portal"), ("request_id", "r" * 513),
    ("input_sha256", "ab" * 31), ("output_sha256", "zz" * 32), ("certificate_sha256", DIGEST + "\n"),
])
def test_fields_are_short_strings_and_digests_are_sha256(field, value):
    with pytest.raises(ValueError):
        AuditEvent(action="signing:document:signed", outcome="success", **{field: value})


def test_details_are_copied_and_read_only():
    facts = {"pages": 3}
    event = AuditEvent(action="signing:document:signed", outcome="success", details=facts)
    facts["pages"] = 4
    assert event.details["pages"] == 3
    with pytest.raises(TypeError):
        event.details["pages"] = 5  # type: ignore[index]


def test_record_as_dict_is_json_and_round_trips():
    event = AuditEvent(action="signing:document:signed", outcome="success", actor="Văn thư",
                       details={"reason": "Phê duyệt", "n": 1})
    record = seal(event, 1, "2025-01-31T08:15:00.123456Z", GENESIS_HASH)
    data = json.loads(json.dumps(record.as_dict(), ensure_ascii=False))
    assert data["sequence"] == 1 and data["actor"] == "Văn thư"
    assert data["details"] == {"reason": "Phê duyệt", "n": 1}
    assert AuditRecord.from_dict(data) == record
    with pytest.raises(ValueError):
        AuditRecord.from_dict({**data, "extra": 1})
    with pytest.raises(ValueError):
        AuditRecord.from_dict({k: v for k, v in data.items() if k != "time"})


def test_format_time_is_utc_with_microseconds_and_z():
    hanoi = timezone(timedelta(hours=7))
    assert format_time(datetime(2025, 1, 31, 15, 0, 0, 5, tzinfo=hanoi)) == "2025-01-31T08:00:00.000005Z"
    with pytest.raises(ValueError):
        format_time(datetime(2025, 1, 31, 8, 0))


@pytest.mark.parametrize("value,expected", [
    ("2025-01-31", "2025-01-31T00:00:00.000000Z"),
    ("2025-01-31T15:00:00+07:00", "2025-01-31T08:00:00.000000Z"),
    ("2025-01-31T08:00:00Z", "2025-01-31T08:00:00.000000Z"),
    ("2025-01-31T08:00:00.5", "2025-01-31T08:00:00.500000Z"),
    (datetime(2025, 1, 31, 8, tzinfo=UTC), "2025-01-31T08:00:00.000000Z"),
])
def test_parse_time_normalises_to_the_stored_format(value, expected):
    assert parse_time(value) == expected


@pytest.mark.parametrize("value", ["yesterday", "31/01/2025", "", "2025-13-01"])
def test_parse_time_rejects_non_iso_values(value):
    with pytest.raises(ValueError):
        parse_time(value)
