"""The OpenAPI document against the application's routes (issue 14 §3): every route of the
API and each of its methods is an operation of /openapi.json with its path parameters and
the statuses its route implies; nothing is documented that no route serves; query models
and the document agree with what the routes accept."""

from __future__ import annotations

import io

import jsonschema_rs
import pytest

from signsvc.services.context import RequestContext
from signsvc.web.openapi import api_operations, openapi_document, openapi_path, roles_of
from signsvc.web.schemas.sign import EvaluateQuery, SignQuery
from tests.conftest import build_api
from tests.support.appearance import seal_png
from tests.support.pdfs import make_pdf

PAGE_BLUEPRINTS = {"pages", "auditor"}
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def doc(api):
    resp = api.client.get("/openapi.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    return resp.get_json()


def _routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method.lower()


def test_every_route_is_an_api_operation_or_a_page(api, doc):
    """A route outside the API blueprints must be a page: a new API blueprint cannot be
    mounted without being documented."""
    api_blueprints = set(api.app.extensions["signsvc.api_blueprints"])
    for rule, method in _routes(api.app):
        blueprint = rule.endpoint.partition(".")[0]
        if blueprint in PAGE_BLUEPRINTS:
            assert not rule.rule.startswith("/v1/"), rule.rule
            continue
        assert blueprint in api_blueprints, f"{rule.rule}: blueprint {blueprint} is neither API nor page"
        path = openapi_path(rule.rule)
        assert method in doc["paths"].get(path, {}), f"{method.upper()} {path} is not documented"


def test_every_documented_operation_is_served(api, doc):
    served = {(path, method) for path, method, _, _ in api_operations(api.app)}
    documented = {(path, m) for path, item in doc["paths"].items() for m in item if m in METHODS}
    assert documented == served
    assert len(served) >= 28


def test_path_parameters_and_statuses(api, doc):
    with_parameters = 0
    for path, method, view, arguments in api_operations(api.app):
        op = doc["paths"][path][method]
        declared = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "path"}
        assert set(declared) == set(arguments), (method, path)
        assert all(p["required"] for p in declared.values())
        with_parameters += bool(arguments)
        statuses = {int(s) for s in op["responses"]}
        assert any(200 <= s < 300 for s in statuses), (method, path)
        if roles_of(view) is not None:    # behind the bearer token
            assert {401, 403} <= statuses and "security" not in op, (method, path)
        else:
            assert op["security"] == [], (method, path)
        if method == "post":
            assert {400, 413, 415} <= statuses, (method, path)
        for status, reply in op["responses"].items():
            if int(status) >= 400 and path != "/readyz":   # (503 there: the readiness report)
                assert set(reply["content"]) == {"application/problem+json"}, (path, status)
    assert with_parameters == 12


def test_a_route_answers_only_documented_statuses_for_these_requests(api, doc):
    """The statuses the routes answer for typical refusals are in the document."""
    cases = [
        ("post", "/v1/sign", "/v1/sign?key=dev-software&nope=1", "portal", 400),
        ("post", "/v1/sign", "/v1/sign?key=dev-software", "auditor", 403),
        ("get", "/v1/audit/events", "/v1/audit/events?limit=-1", "auditor", 400),
        ("get", "/v1/signing-sessions/{session_id}", "/v1/signing-sessions/none", "portal", 404),
        ("get", "/v1/documents/{doc_id}", "/v1/documents/none", "portal", 404),
        ("post", "/v1/extend", "/v1/extend", "portal", 415),
        ("get", "/v1/jobs/{job_id}", "/v1/jobs/none", "portal", 404),
        ("post", "/v1/jobs", "/v1/jobs?key=dev-software", "auditor", 403),
    ]
    for method, path, url, who, status in cases:
        resp = api.client.open(url, method=method.upper(), headers=api.headers(who))
        assert resp.status_code == status, (url, resp.get_data(as_text=True))
        assert str(status) in doc["paths"][path][method]["responses"], (path, status)


def test_sign_and_the_dry_run_document_the_same_parameters(doc):
    """/v1/policy/evaluate takes what /v1/sign takes (reason and location too), plus client;
    both are made from the query models."""
    def names(path):
        return {p["name"] for p in doc["paths"][path]["post"]["parameters"] if p["in"] == "query"}
    assert names("/v1/sign") == set(SignQuery.model_fields)
    assert names("/v1/policy/evaluate") == set(EvaluateQuery.model_fields) == names("/v1/sign") | {"client"}
    assert {"reason", "location", "field", "profile", "attachment_mode"} <= names("/v1/policy/evaluate")


def test_documented_parameters_are_accepted(api):
    """Every parameter the document gives the dry run is one the route accepts, and a name
    it does not give is refused naming it."""
    resp = api.client.post("/v1/policy/evaluate?key=dev-software&level=B-B&reason=Duyệt&"
                           "location=Hà Nội&field=Sig1", data=make_pdf(),
                           headers=api.headers("portal", **{"Content-Type": "application/pdf"}))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    resp = api.client.post("/v1/policy/evaluate?key=dev-software&colour=red",
                           headers=api.headers("portal"))
    assert resp.status_code == 400 and resp.get_json()["parameter"] == "colour"
    assert "colour" in resp.get_json()["detail_vi"] and "colour" in resp.get_json()["detail_en"]


def test_served_document_is_the_generated_one(doc):
    """What /openapi.json serves is what the routes and schemas make (no hand-written copy)."""
    assert doc == openapi_document()
    assert doc["openapi"] == "3.1.0"
    schemas = doc["components"]["schemas"]
    assert {"Problem", "ValidationReport", "SessionCreate", "SessionComplete", "KeyList"} <= set(schemas)
    body = doc["paths"]["/v1/signing-sessions"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/SessionCreate"}


def _conforms(doc, name: str, body) -> None:
    """``body`` is valid against components/schemas/``name`` of the document."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
    errors = [e.message for e in jsonschema_rs.validator_for(schema).iter_errors(body)]
    assert not errors, (name, errors[:3])


def test_answers_conform_to_their_documented_schemas(tmp_path, dev_pki, responders):
    """Real answers (not generated cases) against the response schemas of the document:
    keys, readiness, documents, images, audit records, a problem."""
    a = build_api(tmp_path / "state")
    try:
        doc = a.client.get("/openapi.json").get_json()
        _conforms(doc, "Health", a.client.get("/healthz").get_json())
        _conforms(doc, "Readiness", a.client.get("/readyz").get_json())
        keys = a.client.get("/v1/keys", headers=a.headers("portal")).get_json()
        assert keys["keys"]
        _conforms(doc, "KeyList", keys)
        a.services.clients.create("an", "official", (), RequestContext("t", "tests", "admin"))
        created = a.client.post("/v1/documents", data={
            "file": (io.BytesIO(make_pdf()), "qd.pdf"), "title": "Quyết định", "number": "1/QĐ",
            "assignee": "an"}, headers=a.headers("portal"), content_type="multipart/form-data")
        assert created.status_code == 201, created.get_data(as_text=True)
        _conforms(doc, "Document", created.get_json())
        one = a.client.get(f"/v1/documents/{created.get_json()['id']}", headers=a.headers("portal"))
        _conforms(doc, "Document", one.get_json())
        image = a.client.post("/v1/images", query_string={"name": "seal-doc", "kind": "seal",
                                                          "key": "agency-seal", "diameter_mm": "40"},
                              data=seal_png(), headers=a.headers("admin", **{"Content-Type": "image/png"}))
        assert image.status_code == 201, image.get_data(as_text=True)
        _conforms(doc, "Image", image.get_json())
        images = a.client.get("/v1/images", headers=a.headers("auditor")).get_json()
        assert images["images"]
        _conforms(doc, "ImageList", images)
        events = a.client.get("/v1/audit/events?limit=50", headers=a.headers("auditor")).get_json()
        assert events["events"]
        _conforms(doc, "AuditEvents", events)
        refused = a.client.get("/v1/audit/events?limit=x", headers=a.headers("auditor"))
        assert refused.status_code == 400
        _conforms(doc, "Problem", refused.get_json())
        with pytest.raises(AssertionError):   # the check itself can fail
            _conforms(doc, "Document", {"id": "d"})
    finally:
        a.services.shutdown()

