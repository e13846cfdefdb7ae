"""Metrics, health and readiness through the application (Flask test client, real keys,
TSA and PKI): who may read /metrics, what the samples say after a signing, a verification,
a policy denial and an unknown path, and /healthz and /readyz answers (503 naming the TSA
when it is down)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import build_api
from tests.integration.test_policy_api import SHIPPED, api_with, edited
from tests.support.pdfs import make_pdf
from tests.support.validate import pyhanko_statuses

HDR = {"Content-Type": "application/pdf"}
REMOTE = {"REMOTE_ADDR": "203.0.113.7"}   # a client that is not on this machine


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """(sample name, sorted labels) -> value of a Prometheus text exposition."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_access_loopback_admin_token_and_off(tmp_path, dev_pki, responders):
    api = build_api(tmp_path / "state")
    try:
        c = api.client
        local = c.get("/metrics")
        assert local.status_code == 200 and local.mimetype == "text/plain"
        assert "signsvc_http_requests_total" in local.get_data(as_text=True)
        # from another machine: the bearer token of a role in [metrics] roles (admin)
        anonymous = c.get("/metrics", environ_base=REMOTE)
        assert anonymous.status_code == 401
        assert anonymous.mimetype == "application/problem+json"
        assert anonymous.get_json()["code"] == "unauthenticated"
        portal = c.get("/metrics", environ_base=REMOTE, headers=api.headers("portal"))
        assert portal.status_code == 403 and portal.get_json()["code"] == "forbidden"
        admin = c.get("/metrics", environ_base=REMOTE, headers=api.headers("admin"))
        assert admin.status_code == 200 and b"signsvc_" in admin.data
        # the refusals are in the audit log
        actions = [r.action for r in api.services.audit.list(limit=1000)]
        assert "auth:token:rejected" in actions and "auth:access:denied" in actions
    finally:
        api.services.shutdown()

    closed = build_api(tmp_path / "closed", METRICS__LOOPBACK="false", METRICS__ROLES='["auditor"]')
    try:
        assert closed.client.get("/metrics").status_code == 401     # loopback no longer enough
        assert closed.client.get("/metrics", headers=closed.headers("admin")).status_code == 403
        assert closed.client.get("/metrics", headers=closed.headers("auditor")).status_code == 200
    finally:
        closed.services.shutdown()

    off = build_api(tmp_path / "off", METRICS__ENABLED="false", with_clients=False)
    try:
        resp = off.client.get("/metrics")
        assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
    finally:
        off.services.shutdown()


def test_samples_after_signing_verifying_a_denial_and_an_unknown_path(tmp_path, dev_pki,
                                                                     responders):
    # the shipped policy, the e-service minimum level refusing instead of warning
    policy = edited(SHIPPED, **{r'(\[rules\."eservice\.minimum-level"\]\nlevel = )"warn"': r'\1"deny"'})
    api = api_with(tmp_path, policy)
    try:
        c = api.client
        signed = c.post("/v1/sign?key=dev-software&level=B-T", data=make_pdf(),
                        headers=api.headers("portal", **HDR))
        assert signed.status_code == 200, signed.get_data(as_text=True)
        (_, status), = pyhanko_statuses(signed.data, dev_pki.cert("root"), [dev_pki.cert("interm")])
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()
        assert status.timestamp_validity is not None
        verified = c.post("/v1/verify", data=signed.data, headers=api.headers("portal", **HDR))
        assert verified.status_code == 200 and verified.get_json()["verdict"] == "valid"
        denied = c.post("/v1/sign?key=dev-software&level=B-T&eservice=level4", data=make_pdf(),
                        headers=api.headers("portal", **HDR))
        assert denied.status_code == 403 and denied.get_json()["rule"] == "eservice.minimum-level"
        assert c.get("/v1/documents/d0c-secret-name", headers=api.headers("portal")).status_code == 404
        assert c.get("/no/such/path/4711").status_code == 404

        text = c.get("/metrics").get_data(as_text=True)
        found = samples(text)
        assert value(found, "signsvc_signing_seconds_count", key="dev-software",
                     backend="software", level="B-T", outcome="ok") == 1
        assert value(found, "signsvc_signing_seconds_count", key="dev-software",
                     backend="software", level="B-T", outcome="denied") == 1
        assert value(found, "signsvc_policy_denials_total", rule="eservice.minimum-level") == 1
        assert value(found, "signsvc_verification_seconds_count", outcome="ok") == 1
        assert value(found, "signsvc_http_requests_total", endpoint="/v1/sign", method="POST",
                     status="200") == 1
        assert value(found, "signsvc_http_requests_total", endpoint="/v1/sign", method="POST",
                     status="403") == 1
        assert value(found, "signsvc_http_requests_total", endpoint="/v1/verify",
                     method="POST", status="200") == 1
        # endpoint labels are URL rules, never the raw path
        assert value(found, "signsvc_http_requests_total", endpoint="/v1/documents/<doc_id>",
                     method="GET", status="404") == 1
        assert value(found, "signsvc_http_requests_total", endpoint="unmatched", method="GET",
                     status="404") == 1
        assert "d0c-secret-name" not in text and "4711" not in text
        # the TSA was asked (B-T signature), audit records appended and timed
        assert value(found, "signsvc_remote_seconds_count", service="tsa", outcome="ok") >= 1
        assert value(found, "signsvc_audit_append_seconds_count", outcome="ok") >= 3
        assert value(found, "signsvc_http_request_seconds_bucket", endpoint="/v1/sign",
                     method="POST", le="+Inf") == 2
    finally:
        api.services.shutdown()


def test_health_and_readiness_503_when_the_tsa_is_down(tmp_path, dev_pki, responders):
    api = build_api(tmp_path / "state", with_clients=False,
                    TIMESTAMP__URLS='["http://127.0.0.1:9/tsa"]', TIMESTAMP__RETRIES="0",
                    TIMESTAMP__TIMEOUT_SECONDS="2", SERVICE__INSTANCE_ID="node-a.example:8081")
    try:
        health = api.client.get("/healthz")
        assert health.status_code == 200
        assert health.get_json() == {"status": "ok", "instance": "node-a.example:8081",
                                     "database": "sqlite"}
        ready = api.client.get("/readyz")
        assert ready.status_code == 503
        body = ready.get_json()
        assert body["status"] == "not-ready"
        assert body["checks"]["tsa"] == "timestamp-unavailable"
        assert body["checks"]["database"] == "ok" and body["checks"]["audit"] == "ok"
        assert body["checks"]["key:agency-seal"] == "ok"
        assert body["audit_chain"]["broken"] is None
        found = samples(api.client.get("/metrics").get_data(as_text=True))
        assert value(found, "signsvc_remote_failures_total", service="tsa") >= 1
    finally:
        api.services.shutdown()


def test_health_and_readiness_on_postgresql_and_when_it_refuses(tmp_path, dev_pki, responders,
                                                                pg_url):
    import psycopg

    name = pg_url.rsplit("/", 1)[1]
    admin = pg_url.rsplit("/", 1)[0] + "/postgres"
    api = build_api(tmp_path / "state", with_clients=False, DATABASE__URL=f'"{pg_url}"')
    try:
        health = api.client.get("/healthz").get_json()
        assert health["database"] == "postgresql" and health["status"] == "ok"
        ready = api.client.get("/readyz")
        assert ready.status_code == 200, ready.get_json()
        assert ready.get_json()["checks"]["database"] == "ok"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
        try:
            down = api.client.get("/readyz")
            assert down.status_code == 503
            checks = down.get_json()["checks"]
            assert checks["database"] == "database-unavailable"
            assert checks["audit"] == "audit-unavailable"
            assert checks["key:dev-software"] == "ok"
            # liveness does not depend on the database
            assert api.client.get("/healthz").status_code == 200
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        assert api.client.get("/readyz").status_code == 200
    finally:
        api.services.shutdown()
