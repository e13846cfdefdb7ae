"""schemathesis against /openapi.json (issue 11 §2): every operation of the document is
testable (path parameters declared), and for the cases it generates -- with the tokens of
several roles, valid and invalid data -- no answer is a 5xx, every status, content type and
header is documented, every error is problem+json. TRACE and unknown methods answer 405 with
an ``Allow`` header. Budget: about a minute (``MAX_EXAMPLES`` per operation and role)."""

from __future__ import annotations

import re

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from signsvc.services.context import RequestContext
from tests.conftest import build_api

MAX_EXAMPLES = 25
ROLES = ("portal", "auditor", "official")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def sapi(dev_pki, responders, tmp_path_factory):
    # as in development: checkpoints signed (else the export answers 503 by design)
    api = build_api(tmp_path_factory.mktemp("schemathesis"), audit__checkpoint_key="dev-software",
                    audit__checkpoint_every_records="100000")
    _, api.tokens["official"] = api.services.clients.create(
        "an", "official", (), RequestContext("t", "tests", "admin"))
    api.schema = schemathesis.openapi.from_wsgi("/openapi.json", api.app)
    yield api
    api.services.shutdown()


def _operations(schema) -> list:
    ops = []
    for result in schema.get_all_operations():
        ops.append(result.ok())   # an operation the document does not let a client test fails here
    return ops


def test_every_operation_is_testable(sapi):
    ops = _operations(sapi.schema)
    documented = [(m, path) for path, item in sapi.schema.raw_schema["paths"].items()
                  for m in item if m != "parameters" and path != "/openapi.json"]  # (its own)
    assert len(ops) == len(documented) > 20
    with_params = [op for op in ops if "{" in op.path]
    assert len(with_params) == 12
    for op in with_params:
        assert {p.name for p in op.path_parameters} == {
            part[1:-1] for part in op.path.split("/") if part.startswith("{")}


def _run(sapi, op, token: str) -> dict[int, int]:
    seen: dict[int, int] = {}

    @given(case=op.as_strategy())
    @hypothesis.settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                         derandomize=True, suppress_health_check=list(HealthCheck),
                         phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate])
    def check(case):
        headers = {"Authorization": f"Bearer {token}"}
        response = case.call(headers=headers)
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        case.validate_response(response, checks=CHECKS, headers=headers)
        if response.status_code >= 400:
            ctype = (response.headers.get("content-type") or [""])[0]
            assert ctype.startswith("application/problem+json"), (op.method, op.path,
                                                                   response.status_code, ctype)
            body = response.json()
            assert body["detail_vi"] and body["detail_en"] and body["instance"]
    check()
    return seen


def test_generated_cases_conform(sapi):
    totals: dict[int, int] = {}
    for op in _operations(sapi.schema):
        if op.path in ("/docs",):
            continue
        for role in ROLES:
            for status, n in _run(sapi, op, sapi.tokens[role]).items():
                totals[status] = totals.get(status, 0) + n
    print("schemathesis:", totals)
    assert not [s for s in totals if s >= 500], totals
    # the generated data reached both refusals and successes
    assert totals.get(200, 0) > 20 and totals.get(400, 0) > 20 and totals.get(403, 0) > 20, totals


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "PATCH"])
def test_unknown_methods_are_405_with_allow(sapi, method):
    for op in _operations(sapi.schema):
        path = re.sub(r"\{[a-z_]+\}", "x1", op.path)
        resp = sapi.client.open(path, method=method, headers=sapi.headers("portal"))
        assert resp.status_code == 405, (method, path, resp.status_code)
        assert resp.mimetype == "application/problem+json"
        allowed = {m.strip() for m in resp.headers["Allow"].split(",")}
        documented = {m.upper() for m in sapi.schema.raw_schema["paths"][op.path] if m != "parameters"}
        assert documented <= allowed and method not in allowed, (path, allowed)
