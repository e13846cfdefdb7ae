"""The OCSP/CRL cache in the service database (signsvc.adapters.revocation_cache_sql):
served only while thisUpdate <= now < nextUpdate, fetched again once past nextUpdate,
never stored without nextUpdate; CRLs accepted in PEM as well as DER.

The fetchers reach the certomancer responders through a loopback HTTP proxy
(``http_proxy``) that counts the requests and can rewrite the answers."""

from __future__ import annotations

import asyncio
import sqlite3
import urllib.request

import pytest
from asn1crypto import crl, pem
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator import errors as cv_errors

from signsvc.adapters.revocation_cache_sql import SqlRevocationCache, crl_window
from signsvc.adapters.revocation_fetchers import ResilientFetcherBackend, decode_crl
from tests.support.loopback import serve
from tests.support.validate import load_cert

CRL_PATH = "/signsvc-dev/crls/interm/latest.crl"


def _upstream(url: str, body: bytes | None) -> tuple[int, str, bytes]:
    """The real responder's answer for a proxied request."""
    req = urllib.request.Request(url, data=body, method="POST" if body else "GET",
                                 headers={"Content-Type": "application/ocsp-request"} if body else {})
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(req, timeout=10) as resp:
        return resp.status, resp.headers.get("Content-Type", ""), resp.read()


def _proxy(crl_body=None, ocsp: bool = True):
    """A proxy to the responders; ``crl_body(der) -> bytes`` rewrites CRLs; OCSP answers
    503 when ``ocsp`` is False (so the CRL alone decides)."""
    def handler(method, path, body):
        if CRL_PATH in path or "/crls/" in path:
            status, ctype, data = _upstream(path, None)
            return status, ctype, crl_body(data) if crl_body else data
        if "/ocsp/" in path and not ocsp:
            return 503, "text/plain", b"down"
        return _upstream(path, body or None)
    return serve(handler)


def _fetch_crls(cache, cert):
    fetchers = ResilientFetcherBackend(cache, retries=0).get_fetchers()
    return asyncio.run(fetchers.crl_fetcher.fetch(cert))


@pytest.fixture
def cache(tmp_path):
    c = SqlRevocationCache(tmp_path / "signsvc.sqlite3")
    yield c
    c.close()


def test_crl_served_from_cache_until_next_update_then_fetched_again(responders, dev_pki, cache,
                                                                   tmp_path, monkeypatch):
    cert = load_cert(dev_pki.cert("agency-seal"))
    with _proxy() as proxy:
        monkeypatch.setenv("http_proxy", proxy.url)
        (first,) = _fetch_crls(cache, cert)
        assert proxy.count(CRL_PATH) == 1 and cache.count() == 1
        _this_update, next_update = crl_window(first)
        assert next_update is not None
        (again,) = _fetch_crls(cache, cert)          # a new context: served from the cache
        assert proxy.count(CRL_PATH) == 1 and again.dump() == first.dump()
        # the row is now past its nextUpdate (as it will be in a week): fetched again
        with sqlite3.connect(tmp_path / "signsvc.sqlite3") as db:
            db.execute("UPDATE revocation_cache SET next_update=?, this_update=? WHERE kind='crl'",
                       ("2000-01-02T00:00:00+00:00", "2000-01-01T00:00:00+00:00"))
        assert cache.get("crl", f"http://127.0.0.1:9180{CRL_PATH}") is None
        _fetch_crls(cache, cert)
        assert proxy.count(CRL_PATH) == 2
        # ... and the fresh copy replaced the stale row
        assert cache.count() == 1
        assert cache.get("crl", f"http://127.0.0.1:9180{CRL_PATH}") is not None


def _without_next_update(der: bytes, key_path) -> bytes:
    """The responder's CRL re-issued without nextUpdate, signed by the issuing CA's key."""
    original = crl.CertificateList.load(der)
    tbs = crl.TbsCertList.load(original["tbs_cert_list"].dump())
    tbs["next_update"] = None
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if isinstance(key, rsa.RSAPrivateKey):
        sig = key.sign(tbs.dump(), padding.PKCS1v15(), hashes.SHA256())
        alg = "sha256_rsa"
    else:
        sig = key.sign(tbs.dump(), ec.ECDSA(hashes.SHA256()))
        alg = "sha256_ecdsa"
    tbs["signature"] = {"algorithm": alg}
    return crl.CertificateList({"tbs_cert_list": tbs, "signature_algorithm": {"algorithm": alg},
                                "signature": sig}).dump()


def test_crl_without_next_update_is_never_cached(responders, dev_pki, cache, monkeypatch):
    cert = load_cert(dev_pki.cert("agency-seal"))
    rewrite = lambda der: _without_next_update(der, dev_pki.keys / "interm.key.pem")  # noqa: E731
    with _proxy(crl_body=rewrite) as proxy:
        monkeypatch.setenv("http_proxy", proxy.url)
        (got,) = _fetch_crls(cache, cert)
        assert crl_window(got)[1] is None           # really no nextUpdate
        assert cache.count() == 0
        _fetch_crls(cache, cert)                     # so a later context fetches it again
        assert proxy.count(CRL_PATH) == 2 and cache.count() == 0


def _pem(der: bytes) -> bytes:
    return pem.armor("X509 CRL", der)


def test_pem_crl_is_accepted_and_decides(responders, dev_pki, cache, monkeypatch):
    """Served in PEM only (OCSP down): the good signer validates, the revoked one is
    found revoked, and the cache holds the CRL in DER."""
    root, interm = load_cert(dev_pki.cert("root")), load_cert(dev_pki.cert("interm"))
    served = []

    def as_pem(der):
        served.append(der)
        return _pem(der)

    with _proxy(crl_body=as_pem, ocsp=False) as proxy:
        monkeypatch.setenv("http_proxy", proxy.url)

        def validate(label):
            vc = ValidationContext(trust_roots=[root], other_certs=[interm], allow_fetching=True,
                                   revocation_mode="hard-fail",
                                   fetcher_backend=ResilientFetcherBackend(cache, retries=0))
            return asyncio.run(CertificateValidator(load_cert(dev_pki.cert(label)), validation_context=vc)
                               .async_validate_usage(set()))

        validate("agency-seal")
        assert proxy.count(CRL_PATH) == 1 and proxy.count("/ocsp/") >= 1
        cached = cache.get("crl", f"http://127.0.0.1:9180{CRL_PATH}")
        assert cached is not None and cached in served   # what was served in PEM, stored as DER
        with pytest.raises(cv_errors.RevokedError):
            validate("revoked-signer")


def test_decode_crl_accepts_der_and_pem_only(responders):
    _, _, der = _upstream(f"http://127.0.0.1:9180{CRL_PATH}", None)
    assert decode_crl(der).dump() == decode_crl(_pem(der)).dump() == der
    with pytest.raises(ValueError):
        decode_crl(b"<html>not a CRL</html>")
