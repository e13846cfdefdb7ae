"""Verification reuses what does not change between calls (issue 13): the revocation data
in the database cache the signing side keeps (until nextUpdate, shared by every worker that
opens the same database), the trust setup, and the calling thread's kept event loop.

The fetchers reach the certomancer responders through a loopback HTTP proxy
(``http_proxy``) that counts the requests: a second verification of the same document,
in the same validator or in another one over the same database, fetches nothing and
gives the same report."""

from __future__ import annotations

import io
import urllib.request
from dataclasses import replace

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers, timestamps

from signsvc.adapters.revocation_cache_sql import SqlRevocationCache
from signsvc.adapters.revocation_fetchers import ResilientFetcherBackend
from signsvc.signing import event_loops
from signsvc.validation import PdfValidator, load_trust_anchors
from signsvc.validation.context import TrustSetup
from tests.support import attack_pdfs as A
from tests.support.loopback import serve
from tests.support.pdfs import make_pdf

TSA_URL = "http://127.0.0.1:9180/signsvc-dev/tsa/tsa"


def upstream(url: str, body: bytes | None) -> tuple[int, str, bytes]:
    """The real responder's answer for a proxied request (absolute URL)."""
    req = urllib.request.Request(url, data=body, method="POST" if body else "GET",
                                 headers={"Content-Type": "application/ocsp-request"} if body else {})
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(req, timeout=10) as resp:
        return resp.status, resp.headers.get("Content-Type", ""), resp.read()


@pytest.fixture
def signed_bt(responders) -> bytes:
    """A B-T signature by the development software key (its chain declares OCSP and CRLs)."""
    w = IncrementalPdfFileWriter(io.BytesIO(make_pdf(1)))
    meta = signers.PdfSignatureMetadata(field_name="Signature1")
    return signers.PdfSigner(meta, signer=A.signer(),
                             timestamper=timestamps.HTTPTimeStamper(TSA_URL)).sign_pdf(w).getvalue()


@pytest.fixture
def trust(dev_pki):
    return load_trust_anchors("signsvc-dev (TEST ONLY)", [dev_pki.cert("root")],
                              [dev_pki.cert("interm")], allow_sha1_roots=False)


def _validator(trust, db) -> PdfValidator:
    """As ``build_services`` wires it: the signing side's cached, loop-free fetchers."""
    return PdfValidator(trust, policy_sha256="ab" * 32, allow_fetching=True, revocation_mode="hard-fail",
                        fetcher_backend=ResilientFetcherBackend(SqlRevocationCache(db), retries=0))


def _same(a, b) -> bool:
    """Equal reports but for the moments of checking (now, at each call)."""
    def timeless(r):
        return replace(r, validated_at=None,
                       signatures=tuple(replace(s, validation_time=None) for s in r.signatures))
    return timeless(a) == timeless(b)


def test_second_verification_fetches_nothing_and_reuses_loop_and_trust(
        trust, signed_bt, tmp_path, monkeypatch):
    built = []
    original_build = TrustSetup.build
    monkeypatch.setattr(TrustSetup, "build",
                        classmethod(lambda cls, *a, **kw: built.append(1) or original_build(*a, **kw)))
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    with serve(lambda method, path, body: upstream(path, body or None)) as proxy:
        monkeypatch.setenv("http_proxy", proxy.url)
        validator = _validator(trust, tmp_path / "signsvc.sqlite3")
        assert len(built) == 1  # the trust setup (anchors, intermediates), once per validator
        first = validator.validate(signed_bt)
        fetched = len(proxy.requests)
        loop = event_loops.thread_loop()
        second = validator.validate(signed_bt)

        # the first call really checked revocation online; the second asked nothing
        assert first.verdict == "valid" and first.signatures[0].revocation == "good"
        assert proxy.count("/ocsp/") >= 1 and fetched >= 1
        assert len(proxy.requests) == fetched
        assert _same(first, second)
        # same kept event loop, still open; no trust setup rebuilt per call
        assert event_loops.thread_loop() is loop and not loop.is_closed()
        assert len(built) == 1

        # another worker (another validator over the same database) fetches nothing either
        other = _validator(trust, tmp_path / "signsvc.sqlite3")
        third = other.validate(signed_bt)
        assert len(proxy.requests) == fetched
        assert _same(first, third)


def test_without_cache_each_verification_fetches_again(trust, signed_bt, tmp_path, monkeypatch):
    """The counter above can see fetches: without the cache every call asks the responders."""
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    with serve(lambda method, path, body: upstream(path, body or None)) as proxy:
        monkeypatch.setenv("http_proxy", proxy.url)
        validator = PdfValidator(trust, policy_sha256="ab" * 32, allow_fetching=True,
                                 revocation_mode="hard-fail",
                                 fetcher_backend=ResilientFetcherBackend(None, retries=0))
        first = validator.validate(signed_bt)
        once = proxy.count("/ocsp/")
        second = validator.validate(signed_bt)
        assert once >= 1 and proxy.count("/ocsp/") == 2 * once
        assert first.verdict == "valid" and _same(first, second)
