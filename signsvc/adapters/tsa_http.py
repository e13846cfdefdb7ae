"""The TSA client's HTTP transport (RFC 3161 over HTTP, aiohttp) and the factory the
composition root calls.

``FailoverTimeStamper`` is ``signsvc.signing.tsa.CheckedTimeStamper`` (failover, retries,
deadlines, every answer checked) with ``post`` over HTTP. Guarantees of ``post``: the
request is one POST of the DER ``TimeStampReq`` with RFC 3161's content type; the answer
is refused unless it is HTTP 200 with content type ``application/timestamp-reply`` and at
most ``MAX_RESPONSE_BYTES``; aiohttp's ``total`` timeout covers connecting, sending and
reading the whole body; every aiohttp failure is turned into ``TsaUnreachable`` here.

Connections: on the thread's kept event loop (``signsvc.signing.event_loops``, which
signing runs on) the thread's session is reused, its connections kept alive between
requests (idle ones closed after 4 s, sooner than TSAs usually drop them), so a B-T
signature costs one round trip when the TSA keeps connections. On any other loop
(``asyncio.run``) a session is made for the call and closed with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Sequence

import aiohttp
from asn1crypto import tsp, x509
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.common_utils import set_tsp_headers

from signsvc.services import metrics
from signsvc.signing import event_loops
from signsvc.signing.tsa import CheckedTimeStamper, TsaOptions, TsaUnreachable

#: a TSA answer larger than this is refused (a token with its chain is a few KiB)
MAX_RESPONSE_BYTES = 256 * 1024


class FailoverTimeStamper(CheckedTimeStamper):
    """The checked, failing-over TSA client over HTTP (see the module docstring)."""

    def __init__(self, options: TsaOptions, trust_roots: Sequence[x509.Certificate] = (),
                 intermediates: Sequence[x509.Certificate] = ()) -> None:
        super().__init__(options, trust_roots, intermediates)
        self._kept = threading.local()    # this thread's kept-alive aiohttp session
        self._sessions: list[tuple[asyncio.AbstractEventLoop, aiohttp.ClientSession]] = []
        self._sessions_lock = threading.Lock()

    def close(self) -> None:
        """Close every kept session whose loop is idle (the calling thread's, and those of
        threads that are between calls). A service that is shut down before the process
        exits (tests, a CLI command) leaves no open session behind to be collected; the
        ones of loops that are running or gone are left to ``event_loops``' exit hook."""
        with self._sessions_lock:
            kept, self._sessions = self._sessions, []
        for loop, session in kept:
            if not session.closed and not loop.is_closed() and not loop.is_running():
                with contextlib.suppress(Exception):
                    loop.run_until_complete(session.close())

    async def post(self, url: str, req: tsp.TimeStampReq, budget: float) -> tsp.TimeStampResp:
        """The transport (see ``CheckedTimeStamper.post``), timed: ``signsvc_remote_seconds
        {service="tsa"}``, outcome ``ok`` when an answer that parses came back in time."""
        start, outcome = time.perf_counter(), metrics.FAILURE
        try:
            resp = await self._post_http(url, req, budget)
            outcome = metrics.OK
            return resp
        finally:
            metrics.current().observe_remote("tsa", outcome, time.perf_counter() - start)

    async def _post_http(self, url: str, req: tsp.TimeStampReq, budget: float) -> tsp.TimeStampResp:
        try:
            body = await self._exchange(url, req, budget)
        except aiohttp.ClientError as exc:
            if isinstance(exc, TimeoutError):   # aiohttp's ServerTimeoutError is both
                raise TimeoutError(str(exc)) from exc
            raise TsaUnreachable(f"{type(exc).__name__}: {exc}") from exc
        resp = tsp.TimeStampResp.load(body)
        _ = resp.native  # parse fully now: a malformed answer fails here (ValueError)
        return resp

    async def _exchange(self, url: str, req: tsp.TimeStampReq, budget: float) -> bytes:
        """The body of the TSA's answer to ``req``, read whole within ``budget``."""
        timeout = aiohttp.ClientTimeout(total=budget)
        headers = set_tsp_headers({})
        async with contextlib.AsyncExitStack() as stack:
            session = self._kept_session()
            if session is None:
                session = await stack.enter_async_context(aiohttp.ClientSession(timeout=timeout))
            async with session.post(url, data=req.dump(), headers=headers,
                                    timeout=timeout) as response:
                if response.status != 200:
                    raise TsaUnreachable(f"HTTP {response.status}")
                ctype = response.headers.get("Content-Type", "").split(";")[0].strip()
                if ctype != "application/timestamp-reply":
                    raise TsaUnreachable(f"content type {ctype!r}")
                body = b""
                # the whole answer, however it is split (read(n) returns what has arrived)
                while chunk := await response.content.read(64 * 1024):
                    body += chunk
                    if len(body) > MAX_RESPONSE_BYTES:
                        raise TsaUnreachable("response too large")
        return body

    def _kept_session(self) -> aiohttp.ClientSession | None:
        """This thread's session on its kept event loop (see the module docstring); None
        on any other loop: the caller makes a session for the call."""
        if not event_loops.is_kept(asyncio.get_running_loop()):
            return None
        session: aiohttp.ClientSession | None = getattr(self._kept, "session", None)
        if session is None or session.closed:
            session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(keepalive_timeout=4))
            self._kept.session = session
            event_loops.close_at_exit(session.close)
            with self._sessions_lock:
                loop = asyncio.get_running_loop()
                self._sessions = [(lp, s) for lp, s in self._sessions
                                  if not s.closed and not lp.is_closed()]
                self._sessions.append((loop, session))
        return session


def make_timestamper(urls: Sequence[str], timeout: float, *, retries: int = 1,
                     backoff_seconds: float = 0.5, max_clock_skew_seconds: float = 300.0,
                     trust_roots: Sequence[x509.Certificate] = (),
                     intermediates: Sequence[x509.Certificate] = ()) -> TimeStamper | None:
    """The TSA client over every configured URL in order (failover, retries with backoff),
    or None when none is configured. Each response's status, nonce, imprint, signature,
    certificate and genTime are checked before use (``signsvc.signing.tsa``).
    """
    if not urls:
        return None
    return FailoverTimeStamper(TsaOptions(
        urls=tuple(urls), timeout_seconds=max(0.1, timeout), retries=retries,
        backoff_seconds=backoff_seconds, max_clock_skew_seconds=max_clock_skew_seconds),
        trust_roots, intermediates)
