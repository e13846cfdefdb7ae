"""The official's token(s) through PKCS#11: list certificates, sign one hash.

Guarantees:
- PKCS#11 modules are the ones in the admin's config, each loaded once at start-up;
  nothing a request carries selects a module, a slot or a key other than by certificate;
- tokens are found by label on every call, so a token inserted after start-up is found;
- ``sign`` logs in with the PIN it is given, signs once with a raw mechanism (never a
  hashing one: the input already is a hash) and closes (and logs out of) the session
  before returning, whatever happens; the PIN is not kept, logged or put in an error;
- the key used is the private key with the CKA_ID of a token certificate equal to the
  requested one (same DER, or the same public key); the signature is verified against
  the requested certificate's public key before it is returned;
- every failure is a ``ProtocolError`` with one of the protocol's slugs.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pkcs11
from asn1crypto import algos, core
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from pkcs11 import MGF, Attribute, KeyType, Mechanism, ObjectClass
from pkcs11 import exceptions as p11e

from signsvc.agent.config import TokenConfig
from signsvc.agent.protocol import (
    HASH_SIZES,
    KEY_ALGORITHM_FOR,
    CertificateEntry,
    ProtocolError,
    SignRequest,
)

log = logging.getLogger(__name__)

_PKCS11_HASH = {"sha256": (Mechanism.SHA256, MGF.SHA256),
                "sha384": (Mechanism.SHA384, MGF.SHA384),
                "sha512": (Mechanism.SHA512, MGF.SHA512)}
_PYCA_HASH: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}

#: token or session gone (unplugged, reinitialised)
_TOKEN_GONE = (p11e.NoSuchToken, p11e.TokenNotPresent, p11e.TokenNotRecognised,
               p11e.DeviceRemoved, p11e.SlotIDInvalid, p11e.SessionHandleInvalid,
               p11e.SessionClosed, p11e.DeviceError)
_PIN_WRONG = (p11e.PinIncorrect, p11e.PinInvalid, p11e.PinLenRange)
_PIN_BLOCKED = (p11e.PinLocked, p11e.PinExpired)
_BAD_INPUT = (p11e.DataLenRange, p11e.DataInvalid, p11e.MechanismParamInvalid)


def _close_all_sessions(module_path: str, slot_id: int) -> None:
    """``C_CloseAllSessions(slot_id)`` in the already loaded ``module_path``: closes (and so
    logs out) every session this process holds on the slot, including one that
    python-pkcs11 leaves open when ``C_Login`` fails inside ``Token.open``."""
    lib = ctypes.CDLL(module_path)  # the same, already initialised, library instance
    get_function_list = lib.C_GetFunctionList
    get_function_list.restype = ctypes.c_ulong
    get_function_list.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
    table = ctypes.c_void_p()
    if get_function_list(ctypes.byref(table)) != 0 or not table.value:
        raise OSError("C_GetFunctionList failed")
    # CK_FUNCTION_LIST: CK_VERSION (2 bytes; structures are packed to 1 byte on Windows,
    # naturally aligned elsewhere), then function pointers; C_CloseAllSessions is the 15th.
    first = 2 if os.name == "nt" else ctypes.sizeof(ctypes.c_void_p)
    address = ctypes.c_void_p.from_address(table.value + first + 14 * ctypes.sizeof(ctypes.c_void_p))
    if not address.value:
        raise OSError("C_CloseAllSessions missing from the function list")
    close_all = ctypes.CFUNCTYPE(ctypes.c_ulong, ctypes.c_ulong)(address.value)
    close_all(slot_id)


def digest_info(hash_algorithm: str, digest: bytes) -> bytes:
    """DER ``DigestInfo`` (RFC 8017 §9.2) for ``digest`` with the hash algorithm's
    parameters written as an explicit ASN.1 NULL, as PKCS#1 v1.5 verifiers expect."""
    if len(digest) != HASH_SIZES[hash_algorithm]:
        raise ValueError(f"a {hash_algorithm} digest is {HASH_SIZES[hash_algorithm]} bytes")
    return algos.DigestInfo({
        "digest_algorithm": algos.DigestAlgorithm({"algorithm": hash_algorithm,
                                                   "parameters": core.Null()}),
        "digest": digest,
    }).dump(force=True)


def max_pss_salt_length(modulus_bits: int, hash_algorithm: str) -> int:
    """The largest PSS salt for an RSA key of ``modulus_bits`` (RFC 8017 §9.1.1)."""
    em_len = (modulus_bits - 1 + 7) // 8
    return em_len - HASH_SIZES[hash_algorithm] - 2


@dataclass(frozen=True)
class TokenCertificate:
    """A certificate found on a token, with the CKA_ID that pairs it with its key."""

    token: TokenConfig
    key_id: bytes
    der: bytes
    cert: x509.Certificate

    @property
    def key_algorithm(self) -> str:
        return _key_algorithm(self.cert)

    def entry(self) -> CertificateEntry:
        return CertificateEntry(certificate=self.der, subject=self.cert.subject.rfc4514_string(),
                                serial=format(self.cert.serial_number, "x"),
                                key_algorithm=self.key_algorithm, token_label=self.token.label)


def _key_algorithm(cert: x509.Certificate) -> str:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "rsa"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ec"
    return "other"


def _spki(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)


def _ec_point(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(serialization.Encoding.X962,
                                          serialization.PublicFormat.UncompressedPoint)


def _attr(obj: Any, attribute: Attribute) -> Any:
    try:
        return obj[attribute]
    except (p11e.AttributeTypeInvalid, p11e.AttributeSensitive, KeyError):
        return None


def _key_object_matches(obj: Any, cert: x509.Certificate) -> bool:
    """True if the public or private key object ``obj`` holds the certificate's key
    (RSA: same modulus; EC: same point, raw or wrapped in an OCTET STRING; an EC
    private key, which exposes no point, matches by key type)."""
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if _attr(obj, Attribute.KEY_TYPE) != KeyType.RSA:
            return False
        modulus = _attr(obj, Attribute.MODULUS)
        return modulus is not None and int.from_bytes(modulus, "big") == key.public_numbers().n
    if isinstance(key, ec.EllipticCurvePublicKey):
        if _attr(obj, Attribute.KEY_TYPE) != KeyType.EC:
            return False
        point = _attr(obj, Attribute.EC_POINT)
        if point is None:
            return _attr(obj, Attribute.CLASS) == ObjectClass.PRIVATE_KEY
        point = bytes(point)
        expected = _ec_point(cert)
        if point == expected:
            return True
        with contextlib.suppress(ValueError, TypeError):
            return core.OctetString.load(point).native == expected
        return False
    return False


def pin_hints(flags: Any) -> dict[str, bool]:
    """The PIN hints (``protocol.PIN_HINTS``) that token ``flags`` (a ``TokenFlag``) carry."""
    return {name: True for name, flag in (("pin_count_low", pkcs11.TokenFlag.USER_PIN_COUNT_LOW),
                                          ("pin_final_try", pkcs11.TokenFlag.USER_PIN_FINAL_TRY))
            if flags & flag}


class Tokens:
    """The configured tokens; one lock per token serialises every use of it."""

    def __init__(self, tokens: tuple[TokenConfig, ...]) -> None:
        self._tokens = tokens
        self._libs: dict[str, Any] = {}
        self._locks = {t: threading.Lock() for t in tokens}
        for t in tokens:
            if t.module not in self._libs:
                self._libs[t.module] = pkcs11.lib(t.module)

    # -- helpers -------------------------------------------------------------------
    def _token(self, tc: TokenConfig) -> Any:
        try:
            return self._libs[tc.module].get_token(token_label=tc.label)
        except p11e.MultipleTokensReturned:
            raise ProtocolError("token-failed", "several tokens carry the same label") from None

    def _pin_hints(self, tc: TokenConfig) -> dict[str, bool]:
        """What the token says now about its user PIN (fresh C_GetTokenInfo): few tries left,
        one try left; nothing when it says nothing or cannot be asked."""
        try:
            return pin_hints(self._token(tc).flags)
        except (p11e.PKCS11Error, ProtocolError, AttributeError):
            return {}

    @contextlib.contextmanager
    def _session(self, tc: TokenConfig, pin: str | None = None) -> Iterator[Any]:
        """An open session (logged in when ``pin`` is given). On exit, whatever happened
        (a wrong PIN included), no session of this process remains on the token's slot."""
        token = self._token(tc)
        try:
            session = token.open(user_pin=pin)
            try:
                yield session
            finally:
                with contextlib.suppress(p11e.PKCS11Error):
                    session.close()
        finally:
            if pin is not None:
                try:
                    _close_all_sessions(tc.module, token.slot.slot_id)
                except (OSError, AttributeError) as exc:
                    log.warning("token %r: C_CloseAllSessions failed (%s)", tc.label, exc)

    def _certificates_on(self, tc: TokenConfig, session: Any) -> list[TokenCertificate]:
        found = []
        for obj in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}):
            der, key_id = _attr(obj, Attribute.VALUE), _attr(obj, Attribute.ID)
            if not der or not key_id:
                continue
            try:
                cert = x509.load_der_x509_certificate(bytes(der))
            except ValueError:
                log.warning("token %r holds a certificate that cannot be parsed; skipped", tc.label)
                continue
            if _key_algorithm(cert) in ("rsa", "ec"):
                found.append(TokenCertificate(tc, bytes(key_id), bytes(der), cert))
        return found

    def _has_key(self, session: Any, tc_cert: TokenCertificate) -> bool:
        """Whether a key object with the certificate's CKA_ID holds its key. Without a
        login only public objects are visible: a token that shows no key object at all
        (every key private, no public key objects) is given the benefit of the doubt and
        the key is checked when signing."""
        any_key = False
        for cls in (ObjectClass.PUBLIC_KEY, ObjectClass.PRIVATE_KEY):
            for obj in session.get_objects({Attribute.CLASS: cls}):
                any_key = True
                if (_attr(obj, Attribute.ID) == tc_cert.key_id
                        and _key_object_matches(obj, tc_cert.cert)):
                    return True
        return not any_key

    def _present(self) -> Iterator[TokenConfig]:
        """Each configured token that is inserted (absent ones are skipped)."""
        for tc in self._tokens:
            lib = self._libs[tc.module]
            try:
                labels = {s.get_token().label for s in lib.get_slots(token_present=True)}
            except _TOKEN_GONE:
                continue
            if tc.label in labels:
                yield tc

    # -- public API ----------------------------------------------------------------
    def certificates(self) -> list[TokenCertificate]:
        """Every certificate on an inserted configured token that has a matching key
        (see ``_has_key``). Raises ``token-not-present`` if no configured token is in."""
        present = False
        result: list[TokenCertificate] = []
        for tc in self._present():
            with self._locks[tc]:
                try:
                    with self._session(tc) as session:
                        certs = self._certificates_on(tc, session)
                        result.extend(c for c in certs if self._has_key(session, c))
                        present = True
                except _TOKEN_GONE:
                    continue
                except p11e.PKCS11Error as exc:
                    log.warning("token %r: cannot list certificates (%s)", tc.label,
                                type(exc).__name__)
        if not present:
            raise ProtocolError("token-not-present")
        return result

    def find(self, certificate_der: bytes) -> TokenCertificate:
        """The token certificate equal to ``certificate_der`` (same DER first, else the
        same public key). Raises ``bad-request`` if it is not a certificate,
        ``certificate-not-found`` or ``token-not-present``."""
        try:
            wanted = x509.load_der_x509_certificate(certificate_der)
        except ValueError:
            raise ProtocolError("bad-request", "certificate is not a DER X.509 certificate") from None
        certs = self.certificates()
        for c in certs:
            if c.der == certificate_der:
                return c
        spki = _spki(wanted)
        for c in certs:
            if _spki(c.cert) == spki:
                return c
        raise ProtocolError("certificate-not-found")

    def sign(self, found: TokenCertificate, request: SignRequest, pin: str) -> bytes:
        """Log in with ``pin``, sign ``request.hash`` with the key paired with ``found``,
        close the session; returns the raw signature (RSA: the signature block; ECDSA:
        r‖s as the token gives it), verified against ``request.certificate``."""
        wanted = check_request(request)
        mechanism, param, data = _mechanism(request, wanted)
        tc = found.token
        with self._locks[tc]:
            try:
                with self._session(tc, pin) as session:
                    keys = [k for k in session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY,
                                                            Attribute.ID: found.key_id})
                            if _key_object_matches(k, wanted)]
                    if len(keys) != 1:
                        raise ProtocolError("certificate-not-found",
                                            "no single private key for this certificate")
                    signature = bytes(keys[0].sign(data, mechanism=mechanism,
                                                   mechanism_param=param))
            except ProtocolError:
                raise
            except _PIN_WRONG:
                raise ProtocolError("pin-incorrect", hints=self._pin_hints(tc)) from None
            except _PIN_BLOCKED:
                raise ProtocolError("pin-locked") from None
            except _TOKEN_GONE:
                raise ProtocolError("token-not-present") from None
            except _BAD_INPUT as exc:
                raise ProtocolError("bad-request", f"the token refused the input "
                                    f"({type(exc).__name__})") from None
            except p11e.PKCS11Error as exc:
                log.warning("token %r: signing failed (%s)", tc.label, type(exc).__name__)
                raise ProtocolError("token-failed", type(exc).__name__) from None
        if not verify_raw_signature(wanted, request, signature):
            log.error("token %r: the signature does not verify under the certificate", tc.label)
            raise ProtocolError("token-failed", "the token's key does not match the certificate")
        return signature


def check_request(request: SignRequest) -> x509.Certificate:
    """The request's certificate, after checking that the signature algorithm fits its key
    and that a PSS salt fits its modulus; raises ``ProtocolError('bad-request')``. Done
    before the PIN is asked for, so a request that cannot succeed prompts nobody."""
    try:
        wanted = x509.load_der_x509_certificate(request.certificate)
    except ValueError:
        raise ProtocolError("bad-request", "certificate is not a DER X.509 certificate") from None
    if KEY_ALGORITHM_FOR[request.signature_algorithm] != _key_algorithm(wanted):
        raise ProtocolError("bad-request", f"{request.signature_algorithm} does not fit "
                            f"a {_key_algorithm(wanted)} key")
    key = wanted.public_key()
    if (request.signature_algorithm == "rsassa_pss" and isinstance(key, rsa.RSAPublicKey)
            and (request.pss_salt_length or 0) > max_pss_salt_length(key.key_size,
                                                                     request.hash_algorithm)):
        raise ProtocolError("bad-request", "pss_salt_length is too large for this key")
    return wanted


def _mechanism(request: SignRequest, cert: x509.Certificate) -> tuple[Mechanism, Any, bytes]:
    """The raw PKCS#11 mechanism, its parameter and the data to give the token."""
    if request.signature_algorithm == "rsassa_pkcs1v15":
        return Mechanism.RSA_PKCS, None, digest_info(request.hash_algorithm, request.hash)
    if request.signature_algorithm == "rsassa_pss":
        salt = request.pss_salt_length
        hash_mech, mgf = _PKCS11_HASH[request.hash_algorithm]
        return Mechanism.RSA_PKCS_PSS, (hash_mech, mgf, salt), request.hash
    return Mechanism.ECDSA, None, request.hash


def raw_ecdsa_to_der(signature: bytes) -> bytes:
    """DER ``ECDSA-Sig-Value`` from a raw ``r‖s`` signature (two equal-length halves)."""
    if not signature or len(signature) % 2:
        raise ValueError("a raw ECDSA signature has two equal halves")
    half = len(signature) // 2
    return utils.encode_dss_signature(int.from_bytes(signature[:half], "big"),
                                      int.from_bytes(signature[half:], "big"))


def verify_raw_signature(cert: x509.Certificate, request: SignRequest, signature: bytes) -> bool:
    """True if ``signature`` (as ``sign`` returns it) is valid over ``request.hash``
    under ``cert``'s public key with the request's algorithm."""
    key = cert.public_key()
    prehashed = utils.Prehashed(_PYCA_HASH[request.hash_algorithm]())
    try:
        if request.signature_algorithm == "ecdsa":
            assert isinstance(key, ec.EllipticCurvePublicKey)
            key.verify(raw_ecdsa_to_der(signature), request.hash, ec.ECDSA(prehashed))
        elif request.signature_algorithm == "rsassa_pss":
            assert isinstance(key, rsa.RSAPublicKey) and request.pss_salt_length is not None
            pss = padding.PSS(mgf=padding.MGF1(_PYCA_HASH[request.hash_algorithm]()),
                              salt_length=request.pss_salt_length)
            key.verify(signature, request.hash, pss, prehashed)
        else:
            assert isinstance(key, rsa.RSAPublicKey)
            key.verify(signature, request.hash, padding.PKCS1v15(), prehashed)
    except (InvalidSignature, ValueError):
        return False
    return True
