"""PKCS#11 keys (HSMs, SoftHSM2): one login, a pool of reused sessions, self-healing.

Guarantees:
- the module is loaded and initialised once per process (``Pkcs11Modules``);
- each key logs in once and keeps ``pool_size`` open sessions, each holding its own handle
  to the private key; a session is used by one thread at a time;
- calls into one module never overlap (``Pkcs11Module.calls``): python-pkcs11 initialises
  the module with ``C_Initialize(NULL)``, which in PKCS#11 promises no concurrent calls, and
  SoftHSM2 then runs without locks of its own (concurrent ``C_Sign`` on two sessions of one
  token: ``CKR_GENERAL_ERROR``, which used to turn into 503s under load);
- when the token goes away every request fails with ``TokenUnavailable`` (503) and the
  next request after it comes back reconnects by itself; one reconnection runs at a time
  (the other threads wait for its outcome instead of failing), and after a failed one the
  next try waits ``RECONNECT_INTERVAL``;
- an operation whose session turns out to be gone (e.g. the module was re-initialised
  under it) is retried once on a reopened session (``Pkcs11Key.run``): a lost session
  costs no 503 while the token itself is there;
- no PIN, module path or key label leaves this module in an error a client can see.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pkcs11
from asn1crypto import x509
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11 import exceptions as p11e
from pyhanko.sign.general import SigningError
from pyhanko.sign.pkcs11 import select_pkcs11_signing_params
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signsvc.adapters.software_keys import _certs_from_file
from signsvc.errors import ConfigError, Message, SigningFailed, TokenUnavailable
from signsvc.keys.model import CertificateInfo, KeyInfo, describe_public_key
from signsvc.settings import KeySpec
from signsvc.signing.cms_attributes import FastPadesAttributes

log = logging.getLogger(__name__)

#: errors that mean "the token or its sessions are gone": reconnect, answer 503
TOKEN_GONE = (
    p11e.DeviceRemoved, p11e.TokenNotPresent, p11e.TokenNotRecognised, p11e.SessionHandleInvalid,
    p11e.SessionClosed, p11e.DeviceError, p11e.DeviceMemory, p11e.UserNotLoggedIn,
    p11e.GeneralError, p11e.ObjectHandleInvalid, p11e.KeyHandleInvalid, p11e.NoSuchToken,
)
RECONNECT_INTERVAL = 1.0
ACQUIRE_TIMEOUT = 30.0


def _drain(q: queue.LifoQueue) -> None:
    """Empty ``q`` without blocking."""
    while True:
        try:
            q.get_nowait()
        except queue.Empty:
            return


class SessionLost(TokenUnavailable):
    """The session or its key handle is gone (the token may still be there)."""


class Pkcs11Module:
    """One loaded PKCS#11 library; ``generation`` grows each time it is re-initialised."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lib: Any = None
        self._lock = threading.Lock()
        self.generation = 0
        #: held around every call into the library (see the module docstring); a signature
        #: on SoftHSM2 holds it about 1 ms (RSA-2048), so it does not limit throughput
        self.calls = threading.RLock()

    def lib(self) -> Any:
        with self._lock:
            if self._lib is None:
                self._lib = pkcs11.lib(self.path)
            return self._lib

    def reinitialize(self, seen_generation: int) -> None:
        """Finalize and initialise again, unless someone already did since ``seen_generation``."""
        with self._lock:
            if self.generation != seen_generation or self._lib is None:
                return
            with self.calls, contextlib.suppress(p11e.PKCS11Error):
                self._lib.reinitialize()
            self.generation += 1


_PROCESS_MODULES: dict[str, Pkcs11Module] = {}
_PROCESS_LOCK = threading.Lock()


def module_for(path: str) -> Pkcs11Module:
    """The one ``Pkcs11Module`` of this process for ``path``.

    PKCS#11 initialisation is per process, and python-pkcs11 finalises and unloads the
    module when a ``pkcs11.lib`` object is garbage-collected: two lib objects for one
    module would pull it away from each other's sessions (and can crash the process).
    Everything in signsvc -- and the tests -- goes through this registry.
    """
    with _PROCESS_LOCK:
        if path not in _PROCESS_MODULES:
            _PROCESS_MODULES[path] = Pkcs11Module(path)
        return _PROCESS_MODULES[path]


class Pkcs11Modules:
    """The process's loaded modules, by path (see ``module_for``)."""

    def get(self, path: str) -> Pkcs11Module:
        return module_for(path)


def _config_error(spec: KeySpec, vi: str, en: str) -> ConfigError:
    return ConfigError(Message(f"Khóa '{spec.id}': {vi}", f"Key '{spec.id}': {en}"))


class Pkcs11Key:
    """A key on a PKCS#11 token, opened at start-up and reused."""

    backend = "pkcs11"

    #: pauses before asking the module for the token again when it lists none with the label
    #: (SoftHSM2 skips a token whose files another process is writing at that instant; an
    #: HSM cluster can do the same during a fail-over); a wrong label still fails, ~3 s later
    TOKEN_RETRY_PAUSES = (0.2, 0.4, 0.8, 1.6)

    def _connect_retrying_absent_token(self) -> bytes | None:
        """``_connect``, asked again after each pause of ``TOKEN_RETRY_PAUSES`` while the
        module lists no token with the configured label; any other error at once."""
        for pause in self.TOKEN_RETRY_PAUSES:
            try:
                return self._connect()
            except p11e.NoSuchToken:
                log.warning("key %s: no token labelled %r listed yet; asking again in %.1f s",
                            self._spec.id, self._spec.token_label, pause)
                time.sleep(pause)
        return self._connect()

    def __init__(self, spec: KeySpec, module: Pkcs11Module, pool_size: int = 2) -> None:
        if not spec.module or not spec.module.exists():
            raise _config_error(spec, "không tìm thấy thư viện PKCS#11 đã cấu hình",
                                f"the PKCS#11 module {spec.module} does not exist")
        self._spec = spec
        self._module = module
        self._pool_size = max(1, pool_size)
        #: (session, private key, pool epoch); one queue for the key's life, so that threads
        #: waiting for a session get one of the new pool after a reconnection
        self._idle: queue.LifoQueue[tuple[Any, Any, int]] = queue.LifoQueue()
        self._epoch = 0   # grows with each pool opened
        self._lock = threading.Lock()
        self._generation = -1
        self._sessions: list[Any] = []
        self._last_failure = 0.0
        self._reconnect_lock = threading.Lock()
        self._broken = True
        try:
            cert_der = self._connect_retrying_absent_token()
        except p11e.PinIncorrect:
            raise _config_error(spec, "mã PIN của token không đúng", "the token PIN is wrong") from None
        except p11e.PinLocked:
            raise _config_error(spec, "mã PIN của token đã bị khóa", "the token PIN is locked") from None
        except (p11e.NoSuchToken, p11e.MultipleTokensReturned):
            raise _config_error(spec, "không tìm thấy đúng một token có nhãn đã cấu hình",
                                f"no single token labelled {spec.token_label!r}") from None
        except (p11e.NoSuchKey, p11e.MultipleObjectsReturned):
            raise _config_error(spec, "không tìm thấy đúng một khóa riêng trên token",
                                "no single private key with that label/id on the token") from None
        except p11e.PKCS11Error as exc:
            raise _config_error(spec, f"lỗi PKCS#11 {type(exc).__name__}",
                                f"PKCS#11 error {type(exc).__name__}") from None
        if cert_der is None and spec.cert_pem is None:
            raise _config_error(spec, "không có chứng thư trên token và không cấu hình cert_pem",
                                "no certificate on the token and no cert_pem configured")
        self.certificate = (x509.Certificate.load(cert_der) if cert_der is not None
                            else _certs_from_file(spec.cert_pem.read_bytes())[0])  # type: ignore[union-attr]
        self.chain = tuple(c for p in spec.chain_pem for c in _certs_from_file(p.read_bytes()))
        algorithm, bits, raw_size = describe_public_key(self.certificate)
        self.raw_signature_size = raw_size
        self.info = KeyInfo(id=spec.id, backend="pkcs11", algorithm=algorithm, key_size=bits,
                            kind=spec.kind, description=spec.description,
                            certificate=CertificateInfo.of(self.certificate),
                            rsa_padding=spec.rsa_padding)
        self._signer = PooledPkcs11Signer(self, prefer_pss=spec.rsa_padding == "pss")

    # -- connection management ---------------------------------------------------
    def _find_private_key(self, session: Any) -> Any:
        attrs: dict[Any, Any] = {Attribute.CLASS: ObjectClass.PRIVATE_KEY}
        if self._spec.key_label:
            attrs[Attribute.LABEL] = self._spec.key_label
        if self._spec.key_id:
            attrs[Attribute.ID] = bytes.fromhex(self._spec.key_id)
        found = list(session.get_objects(attrs))
        if len(found) != 1:
            raise p11e.NoSuchKey() if not found else p11e.MultipleObjectsReturned()
        return found[0]

    def _connect(self) -> bytes | None:
        """Open the pool; returns the certificate stored next to the key, if any."""
        spec = self._spec
        lib = self._module.lib()
        generation = self._module.generation
        # sessions of a broken pool are not closed: they are gone, and their handle numbers
        # may already belong to new sessions (of this or another key)
        self._drop_sessions(close=self._generation == generation and not self._broken)
        with self._module.calls:
            token = lib.get_token(token_label=spec.token_label)
            pin = spec.pin.reveal() if spec.pin else None
            sessions = []
            try:
                try:
                    first = token.open(user_pin=pin)
                except p11e.UserAlreadyLoggedIn:
                    first = token.open()
                sessions.append(first)
                while len(sessions) < self._pool_size:
                    sessions.append(token.open())
                key0 = self._find_private_key(first)
                key_id = key0[Attribute.ID]
                mechanisms = set(token.slot.get_mechanisms())
                self._use_raw = (key0.key_type == KeyType.EC and Mechanism.ECDSA_SHA256 not in mechanisms)
                cert_der = None
                certs = list(first.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE,
                                                Attribute.ID: key_id}))
                if certs:
                    cert_der = bytes(certs[0][Attribute.VALUE])
                pairs = [(s, self._find_private_key(s)) for s in sessions]
            except Exception:
                for s in sessions:
                    with contextlib.suppress(Exception):
                        s.close()
                raise
        with self._lock:
            self._epoch += 1
            _drain(self._idle)
            for session, private_key in pairs:
                self._idle.put((session, private_key, self._epoch))
            self._sessions = sessions
            self._generation = generation
            self._broken = False
        return cert_der

    def _drop_sessions(self, close: bool) -> None:
        """Forget the pool. Close its sessions only if the module was not re-initialised
        since they were opened: after C_Initialize, handle numbers are reused, and closing
        a stale handle would close someone else's new session."""
        with self._lock:
            old, self._sessions = self._sessions, []
            _drain(self._idle)
            self._broken = True
        if close:
            with self._module.calls:
                for s in old:
                    with contextlib.suppress(Exception):
                        s.close()

    def _healthy(self) -> bool:
        return not self._broken and self._generation == self._module.generation

    def _ensure_connected(self) -> None:
        """Reconnect a broken pool: first as is, then after re-initialising the module.
        One thread reconnects; the others wait for it and then use its pool."""
        if self._healthy():
            return
        if not self._reconnect_lock.acquire(timeout=ACQUIRE_TIMEOUT):
            raise TokenUnavailable()
        try:
            if self._healthy():
                return   # another thread reconnected while this one waited
            if time.monotonic() - self._last_failure < RECONNECT_INTERVAL:
                raise TokenUnavailable()
            try:
                self._connect()
            except p11e.PKCS11Error:
                self._module.reinitialize(self._module.generation)
                try:
                    self._connect()
                except p11e.PKCS11Error as exc:
                    self._last_failure = time.monotonic()
                    log.warning("pkcs11 key %s still unavailable: %s", self._spec.id,
                                type(exc).__name__)
                    raise TokenUnavailable() from None
            log.info("pkcs11 key %s reconnected", self._spec.id)
        finally:
            self._reconnect_lock.release()

    @contextlib.contextmanager
    def session(self) -> Iterator[tuple[Any, Any]]:
        """A (session, private key) pair for exclusive use; maps token errors to 503."""
        self._ensure_connected()
        generation = self._generation
        try:
            session, private_key, epoch = self._idle.get(timeout=ACQUIRE_TIMEOUT)
        except queue.Empty:
            raise TokenUnavailable() from None

        def give_back() -> None:
            with self._lock:
                if generation == self._generation and epoch == self._epoch:
                    self._idle.put((session, private_key, epoch))
        try:
            yield session, private_key
        except TOKEN_GONE as exc:
            log.warning("pkcs11 key %s: token error %s", self._spec.id, type(exc).__name__)
            with self._lock:
                if epoch == self._epoch:   # not when a newer pool already replaced it
                    self._broken = True
            raise SessionLost() from None
        except p11e.PKCS11Error as exc:
            log.error("pkcs11 key %s: signing error %s", self._spec.id, type(exc).__name__)
            give_back()
            raise SigningFailed() from None
        else:
            give_back()

    # -- SigningKey -------------------------------------------------------------------
    @property
    def signer(self) -> PooledPkcs11Signer:
        return self._signer

    @property
    def module_calls(self) -> threading.RLock:
        """Hold while calling into the key's module (calls never overlap)."""
        return self._module.calls

    @property
    def use_raw_mechanism(self) -> bool:
        return self._use_raw

    def run(self, operation: Callable[[Any], Any]) -> Any:
        """``operation(private_key)`` on a pooled session, calls into the module held; when
        that session turns out to be gone, once more on a reopened one (a signature has no
        side effect on the token). ``TokenUnavailable`` when the token is away."""
        for attempt in (1, 2):
            try:
                with self.session() as (_session, private_key), self._module.calls:
                    return operation(private_key)
            except SessionLost:
                if attempt == 2:
                    raise TokenUnavailable() from None
                log.info("pkcs11 key %s: retrying on a reopened session", self._spec.id)
        raise AssertionError("unreachable")

    def check(self) -> None:
        """Raise ``TokenUnavailable`` unless the key's handle still answers on the token."""
        self.run(lambda private_key: private_key[Attribute.SIGN])

    def close(self) -> None:
        self._drop_sessions(close=self._generation == self._module.generation)


class PooledPkcs11Signer(FastPadesAttributes):
    """pyHanko ``Signer`` over a ``Pkcs11Key``'s session pool (thread-safe)."""

    def __init__(self, key: Pkcs11Key, *, prefer_pss: bool) -> None:
        super().__init__(
            prefer_pss=prefer_pss, signing_cert=key.certificate, embed_roots=False,
            cert_registry=SimpleCertificateStore.from_certs(key.chain))
        self._key = key
        self._prepare_constant_attributes(key.certificate)

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        mech = self.get_signature_mechanism_for_digest(digest_algorithm)
        try:
            op = select_pkcs11_signing_params(mech, digest_algorithm,
                                              use_raw_mechanism=self._key.use_raw_mechanism,
                                              sign_kwargs={})
        except NotImplementedError as exc:
            raise SigningError(str(exc)) from None
        tbs = op.pre_sign_transform(data) if op.pre_sign_transform else data
        signature = self._key.run(lambda private_key: private_key.sign(tbs, **op.sign_kwargs))
        return op.post_sign_transform(signature) if op.post_sign_transform else signature
