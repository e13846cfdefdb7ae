"""OCSP and CRL fetching that holds up, with a cache in the service database
(``signsvc.adapters.revocation_cache_sql``).

Guarantees:

- A cached OCSP response or CRL is served only while it is current (see the cache);
  what is fetched is cached until its ``nextUpdate``.
- Each fetch attempt has a TOTAL deadline (``timeout_seconds``: connect, headers and
  body together, however slowly a responder drips bytes), never later than the request's
  deadline (``signsvc.deadline``); ``retries`` extra attempts with exponential backoff
  (sleeps cut by the deadline too); every URL of the certificate is tried (OCSP AIA, CRL
  distribution points). Once the request's deadline has passed nothing more is fetched.
- CRLs are accepted in DER and in PEM (some Vietnamese CAs serve PEM); answers larger
  than ``MAX_CRL_BYTES``/``MAX_OCSP_BYTES`` are refused.
- OCSP answers are checked by certvalidator (status, nonce) before they are cached; an
  unusable answer is a fetch failure, which a hard-fail validation turns into
  "revocation unavailable".
- The fetchers run blocking I/O in worker threads and keep no event-loop-bound state, so
  one validation context may be used across ``asyncio.run`` calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import http.client
import logging
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncGenerator, Callable, Iterable
from typing import Any

from asn1crypto import cms, crl, ocsp, pem, x509
from pyhanko_certvalidator import errors
from pyhanko_certvalidator.authority import Authority
from pyhanko_certvalidator.fetchers.api import (
    CertificateFetcher,
    CRLFetcher,
    FetcherBackend,
    Fetchers,
    OCSPFetcher,
)
from pyhanko_certvalidator.fetchers.common_utils import (
    enumerate_delivery_point_urls,
    format_ocsp_request,
    gather_aia_issuer_urls,
    process_ocsp_response_data,
    unpack_cert_content,
)
from pyhanko_certvalidator.util import get_ocsp_urls, get_relevant_crl_dps, issuer_serial

from signsvc import deadline
from signsvc.adapters.revocation_cache_sql import (
    SqlRevocationCache,
    crl_window,
    ocsp_window,
)
from signsvc.services import metrics

log = logging.getLogger(__name__)

MAX_CRL_BYTES = 20 * 1024 * 1024
MAX_OCSP_BYTES = 256 * 1024
MAX_CERT_BYTES = 256 * 1024
USER_AGENT = "signsvc"


def decode_crl(data: bytes) -> crl.CertificateList:
    """A CRL from DER or PEM bytes; ``ValueError`` for anything else."""
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    parsed = crl.CertificateList.load(data)
    parsed.native  # parse fully: garbage fails here  # noqa: B018
    return parsed



class _Watchdog:
    """Shuts down the sockets of one fetch when its total time is up, so a blocking read
    returns at once however the peer drips bytes (urllib's timeout is per read)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.fired = False
        self._dups: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket) -> None:
        """Watch ``sock`` (through a duplicate descriptor: TLS wrapping detaches the original)."""
        dup = socket.socket(fileno=os.dup(sock.fileno()))
        with self._lock:
            self._dups.append(dup)
            if self.fired:
                with contextlib.suppress(OSError):
                    dup.shutdown(socket.SHUT_RDWR)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            for dup in self._dups:
                with contextlib.suppress(OSError):
                    dup.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()
        with self._lock:
            for dup in self._dups:
                dup.close()
            self._dups.clear()


def _watched(base: type[http.client.HTTPConnection], dog: _Watchdog):
    """``base`` whose every new socket is watched by ``dog``."""
    class Connection(base):  # type: ignore[valid-type,misc]
        _create_connection: Callable[..., Any]   # http.client's socket factory

        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            create = self._create_connection

            def create_watched(*a, **kw):
                sock = create(*a, **kw)
                dog.watch(sock)
                return sock
            self._create_connection = create_watched
    return Connection


class _WatchedHttp(urllib.request.HTTPHandler):
    def __init__(self, dog: _Watchdog) -> None:
        super().__init__()
        self._dog = dog

    def http_open(self, req):
        return self.do_open(_watched(http.client.HTTPConnection, self._dog), req)


class _WatchedHttps(urllib.request.HTTPSHandler):
    def __init__(self, dog: _Watchdog) -> None:
        super().__init__()
        self._dog = dog

    def https_open(self, req):
        return self.do_open(_watched(http.client.HTTPSConnection, self._dog), req,
                            context=self._context)  # type: ignore[attr-defined]  # set by HTTPSHandler


class _Http:
    """Blocking GET/POST with a total deadline per attempt, retries and backoff, run in a
    worker thread."""

    def __init__(self, timeout: float, retries: int, backoff: float) -> None:
        self.timeout, self.retries, self.backoff = timeout, retries, backoff

    def _once(self, url: str, body: bytes | None, headers: dict, limit: int,
              budget: float) -> tuple[bytes, str | None]:
        """One attempt that ends within ``budget`` seconds, answer or ``TimeoutError``."""
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"unsupported URL scheme: {url[:40]}")
        req = urllib.request.Request(url, data=body, headers={"User-Agent": USER_AGENT, **headers},
                                     method="POST" if body is not None else "GET")
        with _Watchdog(budget) as dog:
            # a fresh opener reads the proxy settings (http_proxy/no_proxy) of the moment
            opener = urllib.request.build_opener(_WatchedHttp(dog), _WatchedHttps(dog))
            try:
                with opener.open(req, timeout=budget) as resp:
                    data = resp.read(limit + 1)
                    ctype = resp.headers.get("Content-Type")
            except Exception:
                if dog.fired:
                    raise TimeoutError(f"no complete answer within {budget:.1f} s") from None
                raise
            if dog.fired:  # a read cut short by the watchdog may look like a short answer
                raise TimeoutError(f"no complete answer within {budget:.1f} s")
        if len(data) > limit:
            raise ValueError("answer too large")
        return data, ctype

    async def fetch(self, url: str, body: bytes | None, headers: dict, limit: int) -> tuple[bytes, str | None]:
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            try:
                if attempt:
                    await asyncio.sleep(deadline.remaining(self.backoff * 2 ** (attempt - 1)))
                budget = deadline.remaining(self.timeout)
                return await asyncio.to_thread(self._once, url, body, headers, limit, budget)
            except deadline.DeadlineExceeded as exc:
                last = exc
                break
            except (OSError, urllib.error.URLError, http.client.HTTPException, ValueError) as exc:
                last = exc
                log.info("fetch %s failed (attempt %d): %s", url, attempt + 1, exc)
        raise OSError(f"{url}: {last}")


#: what the request's CertID is made of (serial, issuer name DER, issuer key DER; SHA-1
#: always) -> cache key (SHA-256 of that CertID): a cache hit then builds no OCSP request
#: (with its random nonce) -- 2.5% of a verifying worker's samples; bounded, per process
_OCSP_KEYS: dict[tuple[int, bytes, bytes], str] = {}
_OCSP_KEYS_MAX = 4096


def _certid_parts(cert, authority: Authority) -> tuple[int, bytes, bytes]:
    serial = cert.serial_number if isinstance(cert, x509.Certificate) \
        else cert["ac_info"]["serial_number"].native
    return serial, authority.name.dump(), authority.public_key.dump()


def _remember_ocsp_key(parts: tuple[int, bytes, bytes], request: ocsp.OCSPRequest) -> str:
    key = hashlib.sha256(request["tbs_request"]["request_list"][0]["req_cert"].dump()).hexdigest()
    if len(_OCSP_KEYS) >= _OCSP_KEYS_MAX:
        _OCSP_KEYS.clear()
    _OCSP_KEYS[parts] = key
    return key


class CachingOCSPFetcher(OCSPFetcher):
    def __init__(self, http: _Http, cache: SqlRevocationCache | None) -> None:
        self._http, self._cache = http, cache
        self._results: dict[tuple[bytes, bytes], ocsp.OCSPResponse] = {}

    async def fetch(self, cert: x509.Certificate | cms.AttributeCertificateV2,
                    authority: Authority) -> ocsp.OCSPResponse:
        tag = (issuer_serial(cert), authority.hashable)
        if tag in self._results:
            return self._results[tag]
        parts = _certid_parts(cert, authority)
        key = _OCSP_KEYS.get(parts)
        request = None
        if key is None:
            request = format_ocsp_request(cert, authority, certid_hash_algo="sha1", request_nonces=True)
            key = _remember_ocsp_key(parts, request)
        if self._cache is not None and (der := self._cache.get("ocsp", key)) is not None:
            resp = ocsp.OCSPResponse.load(der)
            self._results[tag] = resp
            return resp
        if request is None:
            request = format_ocsp_request(cert, authority, certid_hash_algo="sha1", request_nonces=True)
        urls = get_ocsp_urls(cert)
        if not urls:
            raise errors.OCSPFetchError("No URLs to fetch OCSP responses from")
        failures = []
        for url in urls:
            start = time.perf_counter()
            try:
                data, _ = await self._http.fetch(
                    url, request.dump(), {"Content-Type": "application/ocsp-request",
                                          "Accept": "application/ocsp-response"}, MAX_OCSP_BYTES)
                resp = process_ocsp_response_data(data, ocsp_request=request, ocsp_url=url)
            except (OSError, errors.OCSPValidationError) as exc:
                metrics.current().observe_remote("ocsp", metrics.FAILURE, time.perf_counter() - start)
                failures.append(f"{url}: {exc}")
                continue
            metrics.current().observe_remote("ocsp", metrics.OK, time.perf_counter() - start)
            if self._cache is not None:
                self._cache.put("ocsp", key, url, resp.dump(), *ocsp_window(resp))
            self._results[tag] = resp
            return resp
        raise errors.OCSPFetchError("; ".join(failures))

    def fetched_responses(self) -> Iterable[ocsp.OCSPResponse]:
        return list(self._results.values())

    def fetched_responses_for_cert(self, cert: x509.Certificate) -> Iterable[ocsp.OCSPResponse]:
        target = issuer_serial(cert)
        return [r for (subj, _), r in self._results.items() if subj == target]


class CachingCRLFetcher(CRLFetcher):
    def __init__(self, http: _Http, cache: SqlRevocationCache | None) -> None:
        self._http, self._cache = http, cache
        self._by_cert: dict[bytes, list[crl.CertificateList]] = {}

    async def _one(self, url: str) -> crl.CertificateList:
        if self._cache is not None and (der := self._cache.get("crl", url)) is not None:
            return crl.CertificateList.load(der)
        start, outcome = time.perf_counter(), metrics.FAILURE
        try:
            data, _ = await self._http.fetch(url, None, {"Accept": "application/pkix-crl"},
                                             MAX_CRL_BYTES)
            parsed = decode_crl(data)
            outcome = metrics.OK
        finally:
            metrics.current().observe_remote("crl", outcome, time.perf_counter() - start)
        if self._cache is not None:
            self._cache.put("crl", url, url, parsed.dump(), *crl_window(parsed))
        return parsed

    async def fetch(self, cert: x509.Certificate | cms.AttributeCertificateV2, *, use_deltas=True):
        iss = issuer_serial(cert)
        if iss in self._by_cert:
            return self._by_cert[iss]
        results, failures = [], []
        for dp in get_relevant_crl_dps(cert, use_deltas=use_deltas) or ():
            for url in enumerate_delivery_point_urls(dp):
                try:
                    results.append(await self._one(url))
                    break  # one good copy per distribution point
                except (OSError, ValueError) as exc:
                    failures.append(f"{url}: {exc}")
        if failures and not results:
            raise errors.CRLFetchError("; ".join(failures))
        self._by_cert[iss] = results
        return results

    def fetched_crls(self) -> Iterable[crl.CertificateList]:
        return [c for lst in self._by_cert.values() for c in lst]

    def fetched_crls_for_cert(self, cert) -> Iterable[crl.CertificateList]:
        """``KeyError`` when not fetched yet (certvalidator then calls ``fetch``)."""
        return self._by_cert[issuer_serial(cert)]


class AiaCertificateFetcher(CertificateFetcher):
    """caIssuers fetching (not cached: issuers are also configured as intermediates)."""

    def __init__(self, http: _Http) -> None:
        self._http = http
        self._certs: dict[bytes, x509.Certificate] = {}

    async def _from(self, urls) -> AsyncGenerator[x509.Certificate, None]:
        for url in urls:
            try:
                data, ctype = await self._http.fetch(url, None, {}, MAX_CERT_BYTES)
                certs = list(unpack_cert_content(data, ctype, url, permit_pem=True))
            except (OSError, ValueError) as exc:
                raise errors.CertificateFetchError(f"{url}: {exc}") from None
            for c in certs:
                self._certs[c.issuer_serial] = c
                yield c

    def fetch_cert_issuers(self, cert):
        return self._from(list(gather_aia_issuer_urls(cert)))

    def fetch_crl_issuers(self, certificate_list):
        return self._from([u for u in (certificate_list.issuer_cert_urls or ()) if u.startswith("http")])

    def fetched_certs(self) -> Iterable[x509.Certificate]:
        return list(self._certs.values())


class ResilientFetcherBackend(FetcherBackend):
    """Fresh fetchers per validation context, sharing the cache (may be None)."""

    def __init__(self, cache: SqlRevocationCache | None, *, timeout_seconds: float = 10.0,
                 retries: int = 1, backoff_seconds: float = 0.5) -> None:
        self.cache = cache
        self._http = _Http(timeout_seconds, retries, backoff_seconds)

    def get_fetchers(self) -> Fetchers:
        return Fetchers(ocsp_fetcher=CachingOCSPFetcher(self._http, self.cache),
                        crl_fetcher=CachingCRLFetcher(self._http, self.cache),
                        cert_fetcher=AiaCertificateFetcher(self._http))

    async def close(self) -> None:
        """Nothing to release: no session outlives a request."""
