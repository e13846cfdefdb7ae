"""Every outbound fetch has a TOTAL deadline: a responder or TSA that drips its answer one
byte at a time (so no single read ever times out) is given up on after ``timeout_seconds``
per attempt, and never later than the request's deadline (``signsvc.deadline.within``).

Each call runs in a thread with a generous outer limit, so a regression fails the test
instead of hanging it."""

from __future__ import annotations

import asyncio
import hashlib

import pytest
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko_certvalidator import errors as cv_errors
from pyhanko_certvalidator.authority import AuthorityWithCert

from signsvc import deadline
from signsvc.adapters.revocation_fetchers import ResilientFetcherBackend
from signsvc.adapters.tsa_http import FailoverTimeStamper
from signsvc.signing.tsa import TsaOptions
from tests.support.drip import dripping_server, timed
from tests.support.validate import load_cert

OUTER_LIMIT = 20.0


def _crl(cert, *, timeout: float, retries: int = 0):
    fetchers = ResilientFetcherBackend(None, timeout_seconds=timeout, retries=retries,
                                       backoff_seconds=0.2).get_fetchers()
    return asyncio.run(fetchers.crl_fetcher.fetch(cert))


def _ocsp(cert, issuer, *, timeout: float):
    fetchers = ResilientFetcherBackend(None, timeout_seconds=timeout, retries=0).get_fetchers()
    return asyncio.run(fetchers.ocsp_fetcher.fetch(cert, AuthorityWithCert(issuer)))


@pytest.mark.parametrize("in_headers", [False, True], ids=["body", "status-line"])
def test_crl_fetch_through_dripping_proxy_ends_at_its_total_timeout(dev_pki, monkeypatch, in_headers):
    cert = load_cert(dev_pki.cert("agency-seal"))
    with dripping_server(interval=0.1, in_headers=in_headers) as drip:
        monkeypatch.setenv("http_proxy", drip.url)
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.delenv("NO_PROXY", raising=False)
        outcome, seconds = timed(lambda: _crl(cert, timeout=1.5, retries=1), OUTER_LIMIT)
        assert seconds is not None, "the CRL fetch from a dripping responder never ended"
        assert isinstance(outcome, cv_errors.CRLFetchError), outcome
        assert "1.5 s" in str(outcome)        # it was the total deadline that cut it
        # two attempts of 1.5 s and a 0.2 s back-off, while bytes kept coming
        assert 3.0 <= seconds < 5.0, seconds
        assert len(drip.requests) == 2 and drip.bytes_sent > 20


def test_ocsp_fetch_ends_at_the_requests_deadline(dev_pki, monkeypatch):
    cert, issuer = load_cert(dev_pki.cert("agency-seal")), load_cert(dev_pki.cert("interm"))
    with dripping_server(interval=0.1) as drip:
        monkeypatch.setenv("http_proxy", drip.url)
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.delenv("NO_PROXY", raising=False)

        def fetch():
            with deadline.within(1.0):
                return _ocsp(cert, issuer, timeout=30.0)   # the per-fetch budget is larger

        outcome, seconds = timed(fetch, OUTER_LIMIT)
        assert seconds is not None, "the OCSP fetch from a dripping responder never ended"
        assert isinstance(outcome, cv_errors.OCSPFetchError), outcome
        assert seconds < 2.0, seconds
        assert drip.requests and b"POST" in drip.requests[0]


def test_no_fetch_after_the_deadline(dev_pki, monkeypatch):
    cert = load_cert(dev_pki.cert("agency-seal"))
    with dripping_server(interval=0.1) as drip:
        monkeypatch.setenv("http_proxy", drip.url)

        def fetch():
            with deadline.within(0.05):
                asyncio.run(asyncio.sleep(0.1))
                return _crl(cert, timeout=30.0, retries=3)

        outcome, seconds = timed(fetch, OUTER_LIMIT)
        assert isinstance(outcome, cv_errors.CRLFetchError) and seconds < 1.0, (outcome, seconds)
        assert drip.requests == []


def _timestamp(options: TsaOptions):
    stamper = FailoverTimeStamper(options)
    digest = hashlib.sha256(b"document").digest()
    return asyncio.run(stamper.async_timestamp(digest, "sha256")), stamper


@pytest.mark.parametrize("in_headers", [False, True], ids=["body", "status-line"])
def test_dripping_tsa_is_given_up_on_at_its_total_timeout(in_headers):
    with dripping_server(interval=0.1, in_headers=in_headers,
                         content_type="application/timestamp-reply") as drip:
        options = TsaOptions(urls=(f"{drip.url}/tsa",), timeout_seconds=1.5, retries=1,
                             backoff_seconds=0.2)
        outcome, seconds = timed(lambda: _timestamp(options), OUTER_LIMIT)
        assert seconds is not None, "the timestamp request to a dripping TSA never ended"
        assert isinstance(outcome, TimestampRequestError), outcome
        assert 3.0 <= seconds < 5.0, seconds
        assert len(drip.requests) == 2 and drip.bytes_sent > 20


def test_tsa_failover_stops_at_the_requests_deadline():
    with dripping_server(interval=0.1, content_type="application/timestamp-reply") as drip:
        options = TsaOptions(urls=(f"{drip.url}/a", f"{drip.url}/b"), timeout_seconds=30.0,
                             retries=2, backoff_seconds=0.2)

        def stamp():
            with deadline.within(1.0):
                return _timestamp(options)

        outcome, seconds = timed(stamp, OUTER_LIMIT)
        assert seconds is not None, "the timestamp request to a dripping TSA never ended"
        assert isinstance(outcome, TimestampRequestError), outcome
        assert "deadline" in str(outcome)
        assert seconds < 2.0, seconds
        assert len(drip.requests) == 1          # nothing tried after the deadline


def _slow_network(proxy: str) -> dict[str, str]:
    """The server's environment: every outbound fetch through a dripping proxy, a 4 s
    request deadline and fetch budgets far beyond it (30 s x 4 attempts)."""
    return {"http_proxy": proxy, "HTTP_PROXY": proxy, "no_proxy": "", "NO_PROXY": "",
            "SIGNSVC_SERVICE__SIGNING_TIMEOUT_SECONDS": "4",
            "SIGNSVC_REVOCATION__TIMEOUT_SECONDS": "30", "SIGNSVC_REVOCATION__RETRIES": "3"}


def _client_token(srv, role: str) -> str:
    proc = srv.cli("clients", "create", role, "--role", role, "--keys", "dev-software")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]


# -- through the real server: the request's deadline ([service] signing_timeout_seconds) --

def test_b_lt_signing_with_a_dripping_responder_ends_at_the_deadline_503_audited(
        dev_pki, responders, tmp_path):
    """OCSP/CRL reach a responder that drips (through ``http_proxy``, as a slow network
    would): B-LT signing answers 503 ``signing-timeout`` at the 4 s deadline (the fetch
    budget alone would allow 30 s per attempt), with exactly one audit record."""
    import json
    import sqlite3
    import time
    import urllib.error
    import urllib.request

    from tests.support.pdfs import make_pdf
    from tests.support.server import running_server

    with (dripping_server(interval=0.2) as drip,
          running_server(tmp_path, env=_slow_network(drip.url), workers=1, threads=4) as srv):
        token = _client_token(srv, "portal")
        req = urllib.request.Request(
            f"{srv.base}/v1/sign?key=dev-software&level=B-LT", data=make_pdf(), method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/pdf"})
        start = time.monotonic()
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with pytest.raises(urllib.error.HTTPError) as caught:
            opener.open(req, timeout=60)
        elapsed = time.monotonic() - start
        answer = caught.value
        body = json.loads(answer.read())
        assert answer.code == 503 and body["code"] == "signing-timeout", body
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert body["detail_vi"].startswith("Không ký xong") and body["detail_en"]
        assert 4.0 <= elapsed < 6.0, elapsed
        assert drip.requests, "the revocation fetch did not reach the dripping responder"
        request_id = answer.headers["X-Request-Id"]
        with sqlite3.connect(srv.state / "audit.sqlite3") as db:
            rows = db.execute("SELECT action, outcome, error_code, key_id, level FROM "
                              "audit_events WHERE request_id = ?", (request_id,)).fetchall()
        assert rows == [("signing:document:failed", "failure", "signing-timeout",
                         "dev-software", "B-LT")]
        # the service is not stuck: a health check answers at once
        t = time.monotonic()
        with opener.open(f"{srv.base}/healthz", timeout=5) as resp:
            assert resp.status == 200 and time.monotonic() - t < 1.0


def test_extend_with_a_dripping_responder_ends_at_the_deadline_503_audited(
        api, dev_pki, responders, tmp_path):
    """/v1/extend has the same overall deadline as signing: with OCSP/CRL behind a dripping
    network it answers 503 ``signing-timeout`` at the deadline, audited once, nothing returned."""
    import json
    import sqlite3
    import time
    import urllib.error
    import urllib.request

    from tests.support.pdfs import make_pdf
    from tests.support.server import running_server

    signed = api.client.post("/v1/sign", query_string={"key": "dev-software", "level": "B-B"},
                             data=make_pdf(), headers=api.headers("portal", **{"Content-Type": "application/pdf"}))
    assert signed.status_code == 200, signed.get_data(as_text=True)
    with (dripping_server(interval=0.2) as drip,
          running_server(tmp_path, env=_slow_network(drip.url), workers=1, threads=4) as srv):
        token = _client_token(srv, "clerk")
        req = urllib.request.Request(
            f"{srv.base}/v1/extend?level=B-LTA", data=signed.data, method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/pdf"})
        start = time.monotonic()
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with pytest.raises(urllib.error.HTTPError) as caught:
            opener.open(req, timeout=60)
        elapsed = time.monotonic() - start
        body = json.loads(caught.value.read())
        assert caught.value.code == 503 and body["code"] == "signing-timeout", body
        assert 4.0 <= elapsed < 6.5, elapsed
        assert drip.requests, "the fetch did not reach the dripping network"
        with sqlite3.connect(srv.state / "audit.sqlite3") as db:
            rows = db.execute("SELECT action, outcome, error_code, level FROM audit_events "
                              "WHERE request_id = ?", (caught.value.headers["X-Request-Id"],)).fetchall()
        assert rows == [("signing:document:extend_failed", "failure", "signing-timeout", "B-LTA")]
