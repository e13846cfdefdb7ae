"""Typed names keep the wire: a member is its string in JSON, SQLite, the audit log and text."""

from __future__ import annotations

import json
import sqlite3
from enum import StrEnum

import pytest

from signsvc.audit.chain import canonical_body
from signsvc.audit.events import OUTCOMES, AuditEvent
from signsvc.audit_tags import AuditTag
from signsvc.names import (
    KEY_KINDS,
    LONG_TERM_LEVELS,
    PADES_LEVELS,
    ROLES,
    SEVERITIES,
    TIMESTAMPED_LEVELS,
    AuditOutcome,
    Indication,
    PadesLevel,
    Role,
    Severity,
    SubIndication,
    Verdict,
)


def test_the_words_are_the_strings_used_on_the_wire() -> None:
    assert PADES_LEVELS == ("B-B", "B-T", "B-LT", "B-LTA")
    assert TIMESTAMPED_LEVELS == ("B-T", "B-LT", "B-LTA") and LONG_TERM_LEVELS == ("B-LT", "B-LTA")
    assert ROLES == ("portal", "official", "clerk", "auditor", "admin")
    assert KEY_KINDS == ("agency-seal", "official", "report")
    assert SEVERITIES == ("deny", "warn", "info")
    assert OUTCOMES == {"success", "failure", "denied", "error"} == set(AuditOutcome)
    assert tuple(Indication) == ("TOTAL-PASSED", "TOTAL-FAILED", "INDETERMINATE")
    assert set(Verdict) == {"unsigned", "invalid", "indeterminate", "valid_modified_after", "valid"}
    assert all(s.value == s.name for s in SubIndication)


def test_the_etsi_names_are_the_ones_pyhanko_reports_and_every_one_has_words() -> None:
    from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate

    from signsvc.reports.summary import INDICATIONS, SUB_INDICATIONS

    assert set(SubIndication) == {m.name for m in (*AdESFailure, *AdESIndeterminate)}
    assert set(Indication) <= set(INDICATIONS)
    assert set(SubIndication) <= set(SUB_INDICATIONS)


@pytest.mark.parametrize("member", [PadesLevel.B_LTA, Role.CLERK, Severity.WARN, Indication.TOTAL_PASSED,
                                    SubIndication.HASH_FAILURE, Verdict.VALID_MODIFIED_AFTER,
                                    AuditOutcome.DENIED, AuditTag.SIGNING_DOCUMENT_SIGNED])
def test_a_member_reads_as_its_string_everywhere(member: StrEnum) -> None:
    value = member.value
    assert member == value and hash(member) == hash(value)
    assert (str(member), f"{member}", format(member), ", ".join([member])) == (value,) * 4
    assert json.dumps({member: [member]}) == json.dumps({value: [value]})
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (v TEXT)")
    db.execute("INSERT INTO t VALUES (?)", (member,))
    assert db.execute("SELECT v, typeof(v) FROM t WHERE v = ?", (value,)).fetchone() == (value, "text")


def test_an_audit_event_stores_members_as_plain_strings_with_the_same_chain_hash() -> None:
    typed = AuditEvent(action=AuditTag.CLIENTS_CLIENT_ROLE_CHANGED, outcome=AuditOutcome.SUCCESS,
                       role=Role.ADMIN, level=PadesLevel.B_LT,
                       details={"client_role": Role.CLERK, "verdict": Verdict.VALID})
    plain = AuditEvent(action="clients:client:role-changed", outcome="success", role="admin",
                       level="B-LT", details={"client_role": "clerk", "verdict": "valid"})
    assert typed == plain
    for value in (typed.action, typed.outcome, typed.role, typed.level, *typed.details.values()):
        assert type(value) is str
    fields = {"sequence": 1, "time": "2026-01-01T00:00:00.000000Z", "prev_hash": "0" * 64,
              **vars(typed)}
    assert canonical_body(fields) == canonical_body({**fields, **vars(plain)})


def test_an_event_still_refuses_an_unknown_outcome_and_non_scalar_details() -> None:
    with pytest.raises(ValueError, match="outcome"):
        AuditEvent(action=AuditTag.KEYS_KEY_LISTED, outcome="maybe")
    with pytest.raises(ValueError, match="details"):
        AuditEvent(action=AuditTag.KEYS_KEY_LISTED, outcome=AuditOutcome.SUCCESS,
                   details={"roles": [Role.CLERK]})  # type: ignore[dict-item]
