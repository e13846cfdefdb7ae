"""Metrics and logs of the real server (``signsvc serve``: gunicorn, 2 workers): /metrics adds
up the samples of both workers (a signing served by one, a verification by the other, read
from either), JSON log lines carry the request id and the instance, /metrics behind a proxy
needs the admin's token, and /readyz answers 503 naming the key whose token went away
(the token error counted)."""

from __future__ import annotations

import json
import os
import platform
import shutil
import time
import urllib.error
import urllib.request

from tests.integration.test_observability_app import samples, value
from tests.support.pdfs import make_pdf
from tests.support.server import Server, running_server
from tests.support.validate import pyhanko_statuses


def call(srv: Server, path: str, rid: str, *, data: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, bytes, dict]:
    req = urllib.request.Request(srv.base + path, data=data, method="POST" if data else "GET",
                                 headers={"X-Request-Id": rid, **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def json_lines(srv: Server) -> list[dict]:
    return [json.loads(line) for line in srv.output().splitlines() if line.startswith("{")]


def access_line(srv: Server, rid: str, timeout: float = 10) -> dict:
    """The JSON access line of the request ``rid`` (written just after its answer)."""
    end = time.monotonic() + timeout
    while True:
        found = [r for r in json_lines(srv) if r.get("message") == "access"
                 and r.get("request_id") == rid]
        if found or time.monotonic() > end:
            assert len(found) == 1, (rid, srv.output()[-2000:])
            return found[0]
        time.sleep(0.1)


def apart(signed_by: dict[str, int], verified_by: dict[str, int]) -> bool:
    """Whether a signing and a verification were served by different worker processes."""
    return any(s != v for s in signed_by.values() for v in verified_by.values())


def create_client(srv: Server, name: str, role: str, keys: str = "") -> str:
    args = ["clients", "create", name, "--role", role] + (["--keys", keys] if keys else [])
    done = srv.cli(*args)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1].strip()


def test_metrics_of_both_workers_json_logs_and_a_key_going_away(tmp_path, dev_pki, responders):
    tokens = tmp_path / "tokens"
    shutil.copytree(dev_pki.softhsm_conf.parent / "tokens", tokens)
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n"
                    "log.level = ERROR\n")
    env = {"SOFTHSM2_CONF": str(conf), "SIGNSVC_PKCS11__SOFTHSM2_CONF": str(conf),
           "SIGNSVC_LOGGING__FORMAT": "json", "SIGNSVC_SERVICE__PROXY_HOPS": "1",
           "SIGNSVC_AUDIT__CHECKPOINT_KEY": ""}
    with running_server(tmp_path, env=env, workers=2) as srv:
        instance = f"{platform.node()}:{srv.port}"
        portal = create_client(srv, "portal", "portal", "dev-software,agency-seal")
        admin = create_client(srv, "ops", "admin")
        auth = {"Authorization": f"Bearer {portal}", "Content-Type": "application/pdf"}

        status, body, _ = call(srv, "/healthz", "h10-health-0001")
        assert status == 200
        assert json.loads(body) == {"status": "ok", "instance": instance, "database": "sqlite"}

        # signings and verifications until one of each was served by different workers
        signed_by: dict[str, int] = {}
        verified_by: dict[str, int] = {}
        for i in range(20):
            rid = f"h10-sign-{i:04d}"
            status, signed, headers = call(srv, "/v1/sign?key=dev-software&level=B-B", rid,
                                           data=make_pdf(1, text=f"metrics {i}"), headers=auth)
            assert status == 200, signed[:500]
            assert headers["X-Request-Id"] == rid
            (_, st), = pyhanko_statuses(signed, dev_pki.cert("root"), [dev_pki.cert("interm")])
            assert st.intact and st.valid and st.trusted, st.pretty_print_details()
            line = access_line(srv, rid)
            assert (line["method"], line["path"], line["status"]) == ("POST", "/v1/sign", 200)
            assert line["instance"] == instance and "key=" not in json.dumps(line)
            signed_by[rid] = line["pid"]
            rid = f"h10-verify-{i:04d}"
            status, report, _ = call(srv, "/v1/verify", rid, data=signed, headers=auth)
            assert status == 200 and json.loads(report)["verdict"] == "valid"
            verified_by[rid] = access_line(srv, rid)["pid"]
            if apart(signed_by, verified_by):
                break
        assert apart(signed_by, verified_by), "no verification served by another worker"
        workers = set(signed_by.values()) | set(verified_by.values())
        assert len(workers) == 2

        # every scrape, whichever worker answers it, counts all of them
        scraped_by = set()
        for i in range(6):
            rid = f"h10-metrics-{i:04d}"
            status, text, headers = call(srv, "/metrics", rid)
            assert status == 200 and headers["Content-Type"].startswith("text/plain")
            found = samples(text.decode())
            assert value(found, "signsvc_signing_seconds_count", key="dev-software",
                         backend="software", level="B-B", outcome="ok") == len(signed_by)
            assert value(found, "signsvc_verification_seconds_count", outcome="ok") == len(verified_by)
            assert value(found, "signsvc_http_requests_total", endpoint="/v1/sign",
                         method="POST", status="200") == len(signed_by)
            assert value(found, "signsvc_http_requests_total", endpoint="/v1/verify",
                         method="POST", status="200") == len(verified_by)
            scraped_by.add(access_line(srv, rid)["pid"])
        assert scraped_by <= workers

        # behind the proxy (proxy_hops = 1) a client elsewhere needs the admin's token
        away = {"X-Forwarded-For": "203.0.113.9"}
        status, body, _ = call(srv, "/metrics", "h10-remote-0001", headers=away)
        assert status == 401 and json.loads(body)["code"] == "unauthenticated"
        status, body, _ = call(srv, "/metrics", "h10-remote-0002",
                               headers={**away, "Authorization": f"Bearer {portal}"})
        assert status == 403
        status, body, _ = call(srv, "/metrics", "h10-remote-0003",
                               headers={**away, "Authorization": f"Bearer {admin}"})
        assert status == 200 and b"signsvc_signing_seconds" in body

        # the agency seal's token goes away: not ready, naming the key; signing with it 503
        status, body, _ = call(srv, "/readyz", "h10-ready-0001")
        assert status == 200, body
        ready = json.loads(body)
        assert ready["checks"]["database"] == ready["checks"]["tsa"] == "ok"
        shutil.move(tokens, str(tokens) + ".away")
        try:
            for i in range(2):
                status, body, _ = call(srv, "/readyz", f"h10-ready-gone-{i}")
                assert status == 503, body
                checks = json.loads(body)["checks"]
                assert checks["key:agency-seal"] == "token-unavailable"
                assert checks["key:dev-software"] == "ok" and checks["audit"] == "ok"
            status, body, _ = call(srv, "/v1/sign?key=agency-seal&level=B-B", "h10-sign-gone",
                                   data=make_pdf(), headers=auth)
            assert status == 503 and json.loads(body)["code"] == "token-unavailable"
            status, text, _ = call(srv, "/metrics", "h10-metrics-gone")
            found = samples(text.decode())
            assert value(found, "signsvc_token_errors_total", key="agency-seal",
                         backend="pkcs11") == 1
            assert value(found, "signsvc_signing_seconds_count", key="agency-seal",
                         backend="pkcs11", level="B-B", outcome="failure") == 1
        finally:
            shutil.move(str(tokens) + ".away", tokens)

        # JSON lines: every one parses (checked above), carries the instance; no PIN anywhere
        lines = json_lines(srv)
        assert lines and all(r["instance"] == instance for r in lines)
        assert all({"time", "level", "logger", "pid", "message", "request_id"} <= set(r)
                   for r in lines)
        assert dev_pki.secret("signsvc-dev.pin") not in srv.output()
    # the worker sample files lived in the state folder's run/metrics
    assert (srv.state / "run" / "metrics").is_dir()
    assert any(p.name.startswith("histogram_") for p in (srv.state / "run" / "metrics").iterdir())
    assert os.environ.get("PROMETHEUS_MULTIPROC_DIR") is None
