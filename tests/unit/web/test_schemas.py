"""The request schemas (signsvc.web.schemas): what they accept, what they refuse and how
the refusal reads (400 bad-request naming the parameter, Vietnamese and English)."""

from __future__ import annotations

import pytest

from signsvc.errors import BadRequest, SignsvcError
from signsvc.services.signing_requests import APPEARANCE_PARAMS, FIELD_NAME
from signsvc.web.openapi import query_parameters
from signsvc.web.schemas.audit import (
    AuditEventsQuery,
    AuditPageQuery,
    CheckpointsQuery,
    ExportQuery,
)
from signsvc.web.schemas.common import parse_object, parse_query
from signsvc.web.schemas.sessions import SessionCreate
from signsvc.web.schemas.sign import EvaluateQuery, SignQuery


def _refusal(model, data) -> BadRequest:
    with pytest.raises(BadRequest) as caught:
        parse_object(model, data)
    return caught.value


def test_sign_query_defaults_and_blank_values():
    key, request = parse_query(SignQuery, {"key": "dev-software", "level": "", "reason": "",
                                           "field": ""}).signature_request("B-T")
    assert key == "dev-software" and request.level == "B-T"
    assert request.reason is None and request.field_name is None and request.appearance is None
    _, request = parse_query(SignQuery, {"key": "k", "level": "B-LTA", "reason": "Duyệt",
                                         "location": "Hà Nội", "field": "Sig_1.a-b"}
                             ).signature_request("B-T")
    assert (request.level, request.reason, request.location, request.field_name) == (
        "B-LTA", "Duyệt", "Hà Nội", "Sig_1.a-b")


@pytest.mark.parametrize(("data", "parameter", "english"), [
    ({}, "key", "The 'key' parameter is missing."),
    ({"key": ""}, "key", "The 'key' parameter is missing."),
    ({"key": "k", "level": "B-X"}, "level", "level must be one of: B-B, B-T, B-LT, B-LTA."),
    ({"key": "k", "reason": "x" * 201}, "reason", "'reason' is longer than 200 characters."),
    ({"key": "k", "field": "có dấu"}, "field",
     "A field name uses letters, digits, '_', '.', '-' (64 at most)."),
    ({"key": "k", "field": "x" * 65}, "field",
     "A field name uses letters, digits, '_', '.', '-' (64 at most)."),
    ({"key": "k", "zeta": "1", "alpha": "2"}, "alpha", "Unsupported parameter(s): alpha, zeta."),
])
def test_sign_query_refusals(data, parameter, english):
    error = _refusal(SignQuery, data)
    assert error.status == 400 and error.code == "bad-request"
    assert error.extra["parameter"] == parameter and error.message.en == english
    assert error.message.vi and error.message.vi != error.message.en


def test_visible_signature_errors_come_from_the_shared_parser():
    """The same refusal as ``signsvc sign --profile`` (not a pydantic message)."""
    query = parse_query(SignQuery, {"key": "k", "profile": "official", "page": "0"})
    with pytest.raises(SignsvcError) as caught:
        query.signature_request("B-T")
    assert caught.value.extra["parameter"] == "page"
    with pytest.raises(SignsvcError) as caught:
        parse_query(SignQuery, {"key": "k", "rect": "1,2,3,4"}).signature_request("B-T")
    assert caught.value.extra["parameter"] == "rect" and "profile" in caught.value.message.en


def test_every_appearance_parameter_is_declared_and_documented():
    assert set(SignQuery.model_fields) >= APPEARANCE_PARAMS
    documented = {p["name"] for p in query_parameters(EvaluateQuery)}
    assert documented == set(SignQuery.model_fields) | {"client"}


@pytest.mark.parametrize("raw", ["-1", "+1", " 1", "1.0", "²", "1" * 20, "abc"])
def test_paging_integers_are_ascii_digits(raw):
    for model, name in ((AuditEventsQuery, "after_sequence"), (AuditEventsQuery, "limit"),
                        (CheckpointsQuery, "after_index")):
        error = _refusal(model, {name: raw})
        assert error.extra["parameter"] == name
        assert error.message.en == f"'{name}' must be a non-negative integer."
    assert parse_query(AuditEventsQuery, {"limit": "25", "after_sequence": ""}).limit == 25


def test_export_refuses_unknown_parameters_but_events_ignore_them():
    assert _refusal(ExportQuery, {"since": "2026-01-01", "until": "x"}).extra["parameter"] == "until"
    assert parse_query(AuditEventsQuery, {"unknown": "1"}).since is None


def test_session_creation_one_schema_for_api_and_pages():
    args = parse_object(SessionCreate, {"document_id": "d1", "certificate": "AAAA",
                                        "field": "", "extra": 1}).arguments("B-T")
    assert args == {"document_id": "d1", "certificate_b64": "AAAA", "level": "B-T",
                    "eservice": None, "rsa_padding": "pss", "appearance": None, "field": None}
    assert _refusal(SessionCreate, {}).extra["parameter"] == "document_id"
    assert _refusal(SessionCreate, {"document_id": ""}).message.en == "document_id is missing."
    for look in ({"page": "1"}, {"profile": 1}, ["official"]):
        assert _refusal(SessionCreate, {"document_id": "d", "appearance": look}
                        ).extra["parameter"] == "appearance"
    assert _refusal(SessionCreate, {"document_id": "d", "eservice": 3}).extra["parameter"] == "eservice"
    assert _refusal(SessionCreate, {"document_id": "d", "field": "a/b"}).extra["parameter"] == "field"
    with_look = parse_object(SessionCreate, {"document_id": "d", "appearance": {
        "profile": "official", "page": "2"}}).arguments("B-T")
    assert with_look["appearance"].profile == "official"


def test_field_name_rule_is_the_session_services():
    """One rule for a field name: the schema's pattern is the session service's regex."""
    schema = SessionCreate.model_json_schema()["properties"]["field"]
    assert schema["pattern"] == FIELD_NAME.pattern


def test_audit_page_query_is_what_the_auditors_page_reads():
    """The audit-log page and its export read one schema: filters trimmed and bounded as
    typed, blank or spaced paging numbers accepted, anything else refused by name."""
    query = parse_query(AuditPageQuery, {"actor": "  portal-1 ", "action": "x" * 300,
                                         "before_sequence": " 42 ", "after_sequence": ""})
    assert query.actor == "portal-1"
    assert query.action == "x" * 128
    assert (query.before_sequence, query.after_sequence, query.format) == (42, None, "csv")
    assert parse_query(AuditPageQuery, {}).since == ""
    for bad in ("-1", "1.5", "abc", "9" * 20):
        error = _refusal(AuditPageQuery, {"before_sequence": bad})
        assert error.extra["parameter"] == "before_sequence"
        assert error.message.en == "'before_sequence' must be a non-negative integer."
