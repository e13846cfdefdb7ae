"""signsvc-agent for real: a subprocess on a free loopback port, the officials' SoftHSM2
tokens, the PIN from the environment (headless test mode), raw HTTP requests."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

from tests.conftest import REPO

AGENT = str(REPO / ".venv" / "bin" / "signsvc-agent")
PAGE = "https://dichvucong.example.gov.vn"
EVIL = "https://evil.example"
PIN_VAR = "SIGNSVC_TEST_AGENT_PIN"
DOC = {"title": "Quyết định cấp phép xây dựng", "number": "123/QĐ-UBND", "sha256": "ab" * 32}
HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(path: Path, port: int, labels: list[str], module: str, *, host: str | None = None,
                 pin: str = f'mode = "env"\nenv_var = "{PIN_VAR}"\nunsafe_headless = true\n',
                 extra_server: str = "") -> Path:
    lines = ["[server]"]
    if host is not None:
        lines.append(f'host = "{host}"')
    lines += [f"port = {port}", f'allowed_origins = ["{PAGE}"]', extra_server]
    for label in labels:
        lines += ["[[tokens]]", f'module = "{module}"', f'label = "{label}"']
    lines += ["[pin]", pin]
    path.write_text("\n".join(lines))
    return path


@dataclass
class Agent:
    port: int
    proc: subprocess.Popen
    log: Path

    def call(self, method: str, path: str, body: object = None, *, origin: str | None = PAGE,
             host: str | None = None, headers: dict | None = None, raw: bytes | None = None):
        """One request with exactly the given Origin and Host; returns (status, headers, json)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host or f"127.0.0.1:{self.port}")
        if origin is not None:
            conn.putheader("Origin", origin)
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        hdrs = dict(headers or {})
        if data is not None:
            hdrs.setdefault("Content-Type", "application/json")
            hdrs.setdefault("Content-Length", str(len(data)))
        for k, v in hdrs.items():
            conn.putheader(k, v)
        conn.endheaders()
        if data is not None:
            conn.send(data)
        resp = conn.getresponse()
        payload = resp.read()
        conn.close()
        return resp.status, resp.headers, (json.loads(payload) if payload else None)


def start_agent(config: Path, port: int, pin: str | None, log: Path) -> Agent:
    env = {**os.environ}
    env.pop(PIN_VAR, None)
    if pin is not None:
        env[PIN_VAR] = pin
    out = log.open("wb")
    proc = subprocess.Popen([AGENT, "--config", str(config)], env=env, stdout=out,
                            stderr=subprocess.STDOUT, cwd=REPO)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"agent exited: {log.read_text()}")
        if "listening on" in log.read_text():
            return Agent(port, proc, log)
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"agent did not start: {log.read_text()}")


def stop(agent: Agent) -> None:
    agent.proc.terminate()
    assert agent.proc.wait(timeout=10) == 0


@pytest.fixture(scope="module")
def agents(dev_pki, tmp_path_factory):
    """``both``: tokens of An and Bình, An's PIN; ``binh``: Bình's token and PIN;
    ``absent``: a token label no token carries."""
    tmp = tmp_path_factory.mktemp("agent")
    mod = dev_pki.softhsm_module
    specs = {"both": (["official-an", "official-binh"], dev_pki.secret("official-an.pin")),
             "binh": (["official-binh"], dev_pki.secret("official-binh.pin")),
             "absent": (["no-such-token"], "0000")}
    running = {}
    try:
        for name, (labels, pin) in specs.items():
            port = free_port()
            cfg = write_config(tmp / f"{name}.toml", port, labels, mod)
            running[name] = start_agent(cfg, port, pin, tmp / f"{name}.log")
        yield running
    finally:
        for a in running.values():
            stop(a)
    secrets = {dev_pki.secret("official-an.pin"), dev_pki.secret("official-binh.pin")}
    for a in running.values():
        text = a.log.read_text()
        assert "UNSAFE headless mode" in text
        assert not any(s in text for s in secrets), "a PIN reached the agent's log"


def cert_der(dev_pki, label: str) -> bytes:
    cert = x509.load_pem_x509_certificate(dev_pki.cert(label).read_bytes())
    return cert.public_bytes(serialization.Encoding.DER)


def sign_body(der: bytes, digest: bytes, hash_algorithm: str, algorithm: str, **extra) -> dict:
    return {"hash": base64.b64encode(digest).decode(), "hash_algorithm": hash_algorithm,
            "signature_algorithm": algorithm, "certificate": base64.b64encode(der).decode(),
            "document": DOC, **extra}


# -- listing ---------------------------------------------------------------------------

def test_certificates_lists_both_officials(agents, dev_pki):
    status, _headers, body = agents["both"].call("GET", "/certificates")
    assert status == 200, body
    by_label = {c["token_label"]: c for c in body["certificates"]}
    assert set(by_label) == {"official-an", "official-binh"}
    for label, algo in (("official-an", "rsa"), ("official-binh", "ec")):
        entry = by_label[label]
        der = base64.b64decode(entry["certificate"])
        assert der == cert_der(dev_pki, label)
        cert = x509.load_der_x509_certificate(der)
        assert entry["key_algorithm"] == algo
        assert entry["serial"] == format(cert.serial_number, "x")
        assert entry["subject"] == cert.subject.rfc4514_string()
    assert "Nguyễn Văn An" in by_label["official-an"]["subject"]


def test_absent_token_is_503(agents):
    status, _, body = agents["absent"].call("GET", "/certificates")
    assert (status, body["error"]) == (503, "token-not-present")
    assert body["message_vi"] and body["message_en"]


# -- signatures that verify --------------------------------------------------------------

@pytest.mark.parametrize("hash_algorithm,algorithm,salt", [
    ("sha256", "rsassa_pkcs1v15", None),
    ("sha512", "rsassa_pkcs1v15", None),
    ("sha256", "rsassa_pss", None),
    ("sha384", "rsassa_pss", 20),
])
def test_rsa_signatures_verify(agents, dev_pki, hash_algorithm, algorithm, salt):
    der = cert_der(dev_pki, "official-an")
    digest = hashlib.new(hash_algorithm, f"signed attributes {algorithm}".encode()).digest()
    extra = {} if salt is None else {"pss_salt_length": salt}
    status, _, body = agents["both"].call(
        "POST", "/sign", sign_body(der, digest, hash_algorithm, algorithm, **extra))
    assert status == 200, body
    signature = base64.b64decode(body["signature"])
    key = x509.load_der_x509_certificate(der).public_key()
    h = HASHES[hash_algorithm]()
    if algorithm == "rsassa_pss":
        pad = padding.PSS(mgf=padding.MGF1(HASHES[hash_algorithm]()),
                          salt_length=salt if salt is not None else h.digest_size)
    else:
        pad = padding.PKCS1v15()
    key.verify(signature, digest, pad, utils.Prehashed(h))


@pytest.mark.parametrize("hash_algorithm", ["sha256", "sha384"])
def test_ecdsa_signature_is_raw_r_s_and_verifies(agents, dev_pki, hash_algorithm):
    der = cert_der(dev_pki, "official-binh")
    digest = hashlib.new(hash_algorithm, b"signed attributes ecdsa").digest()
    status, _, body = agents["binh"].call("POST", "/sign",
                                          sign_body(der, digest, hash_algorithm, "ecdsa"))
    assert status == 200, body
    raw = base64.b64decode(body["signature"])
    assert len(raw) == 64  # P-256: r and s, 32 bytes each, no DER
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    key = x509.load_der_x509_certificate(der).public_key()
    key.verify(utils.encode_dss_signature(r, s), digest,
               ec.ECDSA(utils.Prehashed(HASHES[hash_algorithm]())))


def test_signature_algorithm_must_fit_the_key(agents, dev_pki):
    der = cert_der(dev_pki, "official-binh")
    digest = hashlib.sha256(b"x").digest()
    status, _, body = agents["binh"].call("POST", "/sign",
                                          sign_body(der, digest, "sha256", "rsassa_pkcs1v15"))
    assert (status, body["error"]) == (400, "bad-request")  # RSA padding for an EC key
    der = cert_der(dev_pki, "official-an")
    status, _, body = agents["both"].call("POST", "/sign", sign_body(
        der, digest, "sha256", "rsassa_pss", pss_salt_length=223))  # 2048-bit: at most 222
    assert (status, body["error"]) == (400, "bad-request")
    status, _, body = agents["both"].call("POST", "/sign", sign_body(
        der, digest, "sha256", "rsassa_pss", pss_salt_length=222))
    assert status == 200, body


# -- refusals ---------------------------------------------------------------------------

def test_foreign_origin_is_refused_before_any_token_access(agents):
    unknown = base64.b64encode(b"not even a certificate").decode()
    body = {"hash": base64.b64encode(b"\0" * 32).decode(), "hash_algorithm": "sha256",
            "signature_algorithm": "ecdsa", "certificate": unknown, "document": DOC}
    status, headers, answer = agents["both"].call("POST", "/sign", body, origin=EVIL)
    assert (status, answer["error"]) == (403, "origin-not-allowed")  # not 400/404
    assert "Access-Control-Allow-Origin" not in headers
    # the absent token would answer 503; a foreign Origin gets 403 first
    status, _, answer = agents["absent"].call("GET", "/certificates", origin=EVIL)
    assert (status, answer["error"]) == (403, "origin-not-allowed")
    # and a look-alike origin is foreign too
    for origin in (PAGE + ".evil.example", PAGE + "/", "null", PAGE.upper()):
        assert agents["both"].call("GET", "/certificates", origin=origin)[0] == 403, origin


def test_foreign_origin_preflight_is_refused(agents):
    status, headers, answer = agents["both"].call(
        "OPTIONS", "/sign", origin=EVIL,
        headers={"Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"})
    assert (status, answer["error"]) == (403, "origin-not-allowed")
    assert "Access-Control-Allow-Origin" not in headers


def test_missing_origin_is_refused(agents):
    status, _, answer = agents["both"].call("GET", "/certificates", origin=None)
    assert (status, answer["error"]) == (403, "origin-not-allowed")


def test_rebinding_host_is_refused(agents):
    a = agents["both"]
    for host in (f"evil.example:{a.port}", "127.0.0.1", f"127.0.0.1:{a.port + 1}"):
        status, _headers, answer = a.call("GET", "/certificates", host=host)
        assert (status, answer["error"]) == (403, "host-not-allowed"), host
    assert a.call("GET", "/certificates", host=f"localhost:{a.port}")[0] == 200


def test_cors_echoes_only_the_allowed_origin(agents):
    status, headers, _ = agents["both"].call("GET", "/certificates")
    assert status == 200
    assert headers.get_all("Access-Control-Allow-Origin") == [PAGE]
    assert "Origin" in headers["Vary"]
    status, headers, body = agents["both"].call(
        "OPTIONS", "/sign", headers={"Access-Control-Request-Method": "POST",
                                     "Access-Control-Request-Headers": "content-type",
                                     "Access-Control-Request-Private-Network": "true"})
    assert status == 204 and body is None
    assert headers.get_all("Access-Control-Allow-Origin") == [PAGE]
    assert headers["Access-Control-Allow-Methods"] == "POST"
    assert headers["Access-Control-Allow-Headers"].lower() == "content-type"
    assert headers["Access-Control-Allow-Private-Network"] == "true"
    assert "Origin" in headers["Vary"]


def test_wrong_pin_is_401_and_the_token_still_signs_afterwards(agents, dev_pki):
    der = cert_der(dev_pki, "official-binh")  # the "both" agent holds An's PIN
    digest = hashlib.sha256(b"wrong pin").digest()
    status, _, answer = agents["both"].call("POST", "/sign", sign_body(der, digest, "sha256", "ecdsa"))
    assert (status, answer["error"]) == (401, "pin-incorrect")
    status, _, answer = agents["binh"].call("POST", "/sign", sign_body(der, digest, "sha256", "ecdsa"))
    assert status == 200, answer


def test_unknown_certificate_is_404(agents, dev_pki):
    der = cert_der(dev_pki, "agency-seal")  # a real certificate, on another token
    status, _, answer = agents["both"].call(
        "POST", "/sign", sign_body(der, hashlib.sha256(b"x").digest(), "sha256", "rsassa_pss"))
    assert (status, answer["error"]) == (404, "certificate-not-found")


@pytest.mark.parametrize("digest,hash_algorithm", [
    (b"\1" * 20, "sha256"), (b"\1" * 32, "sha384"), (b"\1" * 64, "sha256")])
def test_hash_of_the_wrong_length_is_400(agents, dev_pki, digest, hash_algorithm):
    der = cert_der(dev_pki, "official-an")
    status, _, answer = agents["both"].call(
        "POST", "/sign", sign_body(der, digest, hash_algorithm, "rsassa_pkcs1v15"))
    assert (status, answer["error"]) == (400, "bad-request")


def test_malformed_requests_are_400_or_413(agents, dev_pki):
    a = agents["both"]
    der = cert_der(dev_pki, "official-an")
    good = sign_body(der, hashlib.sha256(b"x").digest(), "sha256", "rsassa_pkcs1v15")
    status, _, answer = a.call("POST", "/sign", good, headers={"Content-Type": "text/plain"})
    assert (status, answer["error"]) == (400, "bad-request")
    status, _, answer = a.call("POST", "/sign", raw=b"{not json")
    assert (status, answer["error"]) == (400, "bad-request")
    big = json.dumps({**good, "document": {**DOC, "title": "x" * 70000}}).encode()
    status, _, answer = a.call("POST", "/sign", raw=big)
    assert (status, answer["error"]) == (413, "bad-request")
    for field, value in (("hash_algorithm", "sha1"), ("signature_algorithm", "rsa_sha256"),
                         ("module", "/tmp/evil.so"), ("pss_salt_length", 32)):
        status, _, answer = a.call("POST", "/sign", {**good, field: value})
        assert (status, answer["error"]) == (400, "bad-request"), field
    status, _, answer = a.call("GET", "/sign")
    assert (status, answer["error"]) == (404, "not-found")


# -- start-up refusals ------------------------------------------------------------------

def _start_fails(config: Path) -> str:
    proc = subprocess.run([AGENT, "--config", str(config)], capture_output=True, text=True,
                          timeout=30, cwd=REPO, env={**os.environ, PIN_VAR: "1234"})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    return proc.stderr


def test_agent_refuses_to_bind_anything_but_loopback(dev_pki, tmp_path):
    port = free_port()
    cfg = write_config(tmp_path / "a.toml", port, ["official-an"], dev_pki.softhsm_module,
                       host="0.0.0.0")
    err = _start_fails(cfg)
    assert "server.host" in err and "127.0.0.1" in err
    with socket.socket() as s:  # nothing listens on that port
        assert s.connect_ex(("127.0.0.1", port)) != 0


def test_env_pin_mode_without_unsafe_headless_refuses_to_start(dev_pki, tmp_path):
    cfg = write_config(tmp_path / "a.toml", free_port(), ["official-an"], dev_pki.softhsm_module,
                       pin=f'mode = "env"\nenv_var = "{PIN_VAR}"\n')
    err = _start_fails(cfg)
    assert "unsafe_headless" in err


def test_restarts_at_once_on_the_same_port(dev_pki, tmp_path):
    """An official closes the agent after signing and starts it again: it must listen at
    once (the served connections leave the port in TIME_WAIT), while a second agent on a
    port that is still listening is refused."""
    port = free_port()
    cfg = write_config(tmp_path / "a.toml", port, ["official-binh"], dev_pki.softhsm_module)
    first = start_agent(cfg, port, dev_pki.secret("official-binh.pin"), tmp_path / "1.log")
    try:
        for _ in range(3):
            assert first.call("GET", "/certificates")[0] == 200
        with pytest.raises(AssertionError, match="agent exited"):
            start_agent(cfg, port, dev_pki.secret("official-binh.pin"), tmp_path / "dup.log")
    finally:
        stop(first)
    again = start_agent(cfg, port, dev_pki.secret("official-binh.pin"), tmp_path / "2.log")
    try:
        assert again.call("GET", "/certificates")[0] == 200
    finally:
        stop(again)
