"""TSA responses are checked before use: a token with a wrong nonce or a wrong message
imprint (really signed by the test TSA, for a tampered request) is rejected, that TSA is not
retried, and the next TSA is tried; a replayed token is rejected too."""

from __future__ import annotations

import asyncio
import hashlib
import urllib.request

import pytest
from asn1crypto import tsp
from pyhanko.sign.timestamps.common_utils import TimestampRequestError

from signsvc.adapters.tsa_http import FailoverTimeStamper
from signsvc.signing.tsa import TsaOptions
from tests.conftest import build_api
from tests.support.loopback import serve
from tests.support.pdfs import make_pdf
from tests.support.validate import load_cert

TSA_PATH = "/signsvc-dev/tsa/tsa"
REPLY = "application/timestamp-reply"


def _real_tsa(body: bytes) -> bytes:
    req = urllib.request.Request(f"http://127.0.0.1:9180{TSA_PATH}", data=body, method="POST",
                                 headers={"Content-Type": "application/timestamp-query"})
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(req, timeout=10) as resp:
        return resp.read()


def _wrong_nonce(body: bytes) -> bytes:
    req = tsp.TimeStampReq.load(body)
    req["nonce"] = req["nonce"].native + 1
    return _real_tsa(req.dump())


def _wrong_imprint(body: bytes) -> bytes:
    req = tsp.TimeStampReq.load(body)
    imprint = req["message_imprint"]
    req["message_imprint"] = {"hash_algorithm": imprint["hash_algorithm"],
                              "hashed_message": hashlib.sha256(b"another document").digest()}
    return _real_tsa(req.dump())


_replayed: list[bytes] = []


def _replay(body: bytes) -> bytes:
    """The first answer it got, for every later request."""
    if not _replayed:
        _replayed.append(_real_tsa(body))
    return _replayed[0]


def _tampering(tamper):
    return serve(lambda method, path, body: (200, REPLY, tamper(body)))


def _stamper(dev_pki, *urls: str) -> FailoverTimeStamper:
    return FailoverTimeStamper(TsaOptions(urls=urls, retries=2, backoff_seconds=0.01),
                               [load_cert(dev_pki.cert("root"))], [load_cert(dev_pki.cert("interm"))])


@pytest.mark.parametrize("tamper, reason", [(_wrong_nonce, "nonce mismatch"),
                                            (_wrong_imprint, "message imprint mismatch")],
                         ids=["nonce", "imprint"])
def test_tampered_token_rejected_and_next_tsa_used(responders, dev_pki, tamper, reason):
    digest = hashlib.sha256(b"the document").digest()
    with _tampering(tamper) as bad:
        stamper = _stamper(dev_pki, bad.url, f"{responders}{TSA_PATH}")
        token = asyncio.run(stamper.async_timestamp(digest, "sha256"))
        assert stamper.last_attempts == [(bad.url, f"rejected: {reason}"), (f"{responders}{TSA_PATH}", "ok")]
        assert len(bad.requests) == 1                    # a TSA that answers wrongly is not retried
        tst = token["content"]["encap_content_info"]["content"].parsed
        assert tst["message_imprint"]["hashed_message"].native == digest

        alone = _stamper(dev_pki, bad.url)
        with pytest.raises(TimestampRequestError, match=reason):
            asyncio.run(alone.async_timestamp(digest, "sha256"))


def test_replayed_token_rejected(responders, dev_pki):
    _replayed.clear()
    with _tampering(_replay) as bad:
        stamper = _stamper(dev_pki, bad.url)
        asyncio.run(stamper.async_timestamp(hashlib.sha256(b"first").digest(), "sha256"))
        with pytest.raises(TimestampRequestError, match="nonce mismatch"):
            asyncio.run(stamper.async_timestamp(hashlib.sha256(b"second").digest(), "sha256"))


def test_signing_fails_over_from_a_tampering_tsa(responders, dev_pki, tmp_path):
    with _tampering(_wrong_nonce) as bad:
        api = build_api(tmp_path, timestamp__urls=f'["{bad.url}/tsa", "{responders}{TSA_PATH}"]')
        try:
            resp = api.client.post("/v1/sign", query_string={"key": "agency-seal", "level": "B-T"},
                                   data=make_pdf(), headers=api.headers(
                                       "portal", **{"Content-Type": "application/pdf"}))
            assert resp.status_code == 200, resp.get_json()
            assert resp.headers["X-Signature-Level"] == "B-T"
            assert bad.count("/tsa") >= 1
        finally:
            api.services.shutdown()
        api = build_api(tmp_path / "only-bad", timestamp__urls=f'["{bad.url}/tsa"]')
        try:
            resp = api.client.post("/v1/sign", query_string={"key": "agency-seal", "level": "B-T"},
                                   data=make_pdf(), headers=api.headers(
                                       "portal", **{"Content-Type": "application/pdf"}))
            assert resp.status_code == 503 and resp.get_json()["code"] == "timestamp-unavailable"
        finally:
            api.services.shutdown()


def test_the_tsa_certificate_path_is_built_once_and_validity_still_checked_at_gen_time(
        responders, dev_pki, monkeypatch):
    """Each token's certificate is checked, but its path to the trust anchors is built once
    per TSA client (it cost 0.7 ms of the 1.4 ms CPU of a response check); a genTime outside
    the certificate's validity is still refused, and an untrusted TSA is refused every time."""
    import signsvc.signing.tsa as tsa_module

    built = []
    real_validator = tsa_module.CertificateValidator

    def counting(cert, **kwargs):
        built.append(cert.sha256)
        return real_validator(cert, **kwargs)
    monkeypatch.setattr(tsa_module, "CertificateValidator", counting)
    stamper = _stamper(dev_pki, f"{responders}{TSA_PATH}")
    tokens = []
    for i in range(3):
        digest = hashlib.sha256(f"document {i}".encode()).digest()
        token = asyncio.run(stamper.async_timestamp(digest, "sha256"))
        tst = token["content"]["encap_content_info"]["content"].parsed
        assert tst["message_imprint"]["hashed_message"].native == digest
        tokens.append(token)
    assert len(built) == 1
    signed = tokens[0]["content"]
    cert = next(c.chosen for c in signed["certificates"]
                if c.chosen.extended_key_usage_value is not None
                and c.chosen.extended_key_usage_value.native == ["time_stamping"])
    from datetime import timedelta
    late = cert.not_valid_after + timedelta(days=1)
    with pytest.raises(tsa_module.TsaResponseRejected, match="not valid at genTime"):
        asyncio.run(stamper._check_certificate(cert, late))

    untrusted = FailoverTimeStamper(TsaOptions(urls=(f"{responders}{TSA_PATH}",), retries=0),
                                    [load_cert(dev_pki.cert("official-an"))])
    for _ in range(2):
        with pytest.raises(TimestampRequestError, match="certificate not trusted"):
            asyncio.run(untrusted.async_timestamp(hashlib.sha256(b"x").digest(), "sha256"))
    assert len(built) == 3


def test_unreachable_and_erring_tsas_fail_over_without_library_exceptions(responders, dev_pki):
    """The HTTP transport (adapters/tsa_http.py) turns every failure of the client library
    into the domain's ``TsaUnreachable``: a TSA refusing connections and one answering
    HTTP 500 are each tried (with their retries), then the next TSA gives the token; alone,
    they give ``TimestampRequestError`` naming both reasons, never an aiohttp exception."""
    import socket

    from signsvc.signing.tsa import TsaUnreachable

    with socket.socket() as probe:          # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/tsa"
    digest = hashlib.sha256(b"the document").digest()
    with serve(lambda method, path, body: (500, "text/plain", b"down")) as erring:
        stamper = _stamper(dev_pki, closed, erring.url, f"{responders}{TSA_PATH}")
        token = asyncio.run(stamper.async_timestamp(digest, "sha256"))
        tst = token["content"]["encap_content_info"]["content"].parsed
        assert tst["message_imprint"]["hashed_message"].native == digest
        outcomes = [outcome for _, outcome in stamper.last_attempts]
        assert [url for url, _ in stamper.last_attempts] == [closed] * 3 + [erring.url] * 3 + [
            f"{responders}{TSA_PATH}"]
        assert all(o.startswith("failed: ClientConnectorError") for o in outcomes[:3]), outcomes
        assert outcomes[3:] == ["failed: HTTP 500"] * 3 + ["ok"]
        assert len(erring.requests) == 3

        alone = _stamper(dev_pki, closed, erring.url)
        with pytest.raises(TimestampRequestError) as caught:
            asyncio.run(alone.async_timestamp(digest, "sha256"))
        assert f"{closed}: ClientConnectorError" in str(caught.value)
        assert f"{erring.url}: HTTP 500" in str(caught.value)
        with pytest.raises(TsaUnreachable, match="HTTP 500"):
            asyncio.run(alone.post(erring.url, alone.request_cms(digest, "sha256")[1], 5.0))
