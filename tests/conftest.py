"""Session fixtures: the real development PKI, SoftHSM2 tokens and loopback responders.

Nothing here is mocked: ``dev_pki`` builds (or reuses) the certomancer PKI and the
SoftHSM2 tokens exactly as ``make pki`` does; ``responders`` serves certomancer's
TSA/OCSP/CRL on 127.0.0.1:9180 (reusing ones that ``make run`` already started).
"""

from __future__ import annotations

import importlib.util
import os
import socket
import threading
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.tools import require_tool

# fixtures engine_kind, pg_url, storage_url: the stores on SQLite and on PostgreSQL
pytest_plugins = ["tests.support.postgres"]

REPO = Path(__file__).resolve().parent.parent
RESPONDER_PORT = 9180


@dataclass(frozen=True)
class DevPki:
    var: Path
    certs: Path
    keys: Path
    secrets: Path
    nssdb: Path
    softhsm_conf: Path
    softhsm_module: str

    def cert(self, label: str) -> Path:
        return self.certs / f"{label}.cert.pem"

    def secret(self, name: str) -> str:
        return (self.secrets / name).read_text().strip()


def _load_module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def dev_pki() -> DevPki:
    """The development PKI and tokens under var/ (built if missing or stale)."""
    for tool in ("softhsm2-util", "pdfsig", "certutil"):
        require_tool(tool)
    devpki = _load_module("signsvc_devpki", REPO / "certs" / "devpki.py")
    devpki.build()
    os.environ["SOFTHSM2_CONF"] = str(devpki.SOFTHSM_CONF)
    os.environ.setdefault("SIGNSVC_DEV_SOFTWARE_PASSPHRASE",
                          (devpki.SECRETS / "dev-software.pass").read_text().strip())
    return DevPki(var=devpki.VAR, certs=devpki.CERTS, keys=devpki.KEYS, secrets=devpki.SECRETS,
                  nssdb=devpki.NSSDB, softhsm_conf=devpki.SOFTHSM_CONF,
                  softhsm_module=devpki.softhsm_module())


def _serves_our_pki(port: int, pki: DevPki) -> bool | None:
    """True if responders on ``port`` serve this checkout's PKI (their CRL verifies under
    our issuing CA), False if they serve another one, None if nothing answers."""
    from cryptography import x509 as cx509

    try:
        crl = urllib.request.urlopen(
            f"http://127.0.0.1:{port}/signsvc-dev/crls/interm/latest.crl", timeout=2).read()
    except OSError:
        return None
    interm = cx509.load_pem_x509_certificate(pki.cert("interm").read_bytes())
    try:
        return cx509.load_der_x509_crl(crl).is_signature_valid(interm.public_key())
    except ValueError:
        return False


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="session")
def responders(dev_pki):
    """certomancer's TSA/OCSP/CRL on 127.0.0.1:9180 for the whole session."""
    ours = _serves_our_pki(RESPONDER_PORT, dev_pki)
    if ours:
        yield f"http://127.0.0.1:{RESPONDER_PORT}"
        return
    assert ours is None and _port_free(RESPONDER_PORT), (
        "127.0.0.1:9180 is taken by responders of another checkout's PKI (or something else); "
        "stop them there with `make stop` / scripts/responders.sh stop")
    from werkzeug.serving import make_server

    app = _load_module("signsvc_responders", REPO / "certs" / "responders.py").make_app(dev_pki.var)
    server = make_server("127.0.0.1", RESPONDER_PORT, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{RESPONDER_PORT}"
    server.shutdown()


# -- the service itself ----------------------------------------------------------------

def make_settings(state_dir: Path, **overrides: str):
    """The development config with state (audit, clients) under ``state_dir``."""
    from signsvc.settings import load_settings

    # no background checkpoints unless a test asks (audit__checkpoint_key=...): a checkpoint
    # record appearing mid-test would shift the records other tests count
    env = {**os.environ, "SIGNSVC_SERVICE__STATE_DIR": str(state_dir),
           "SIGNSVC_AUDIT__PATH": str(state_dir / "audit.sqlite3"),
           "SIGNSVC_AUDIT__CHECKPOINT_KEY": ""}
    env.update({f"SIGNSVC_{k.upper()}": v for k, v in overrides.items()})
    return load_settings(REPO / "config" / "signsvc.toml", environ=env)


@dataclass
class Api:
    """A running app (Flask test client) with one client token per role."""

    app: object
    services: object
    client: object
    tokens: dict
    state_dir: Path

    def headers(self, who: str, **extra: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[who]}", **extra}


def build_api(state_dir: Path, *, with_clients: bool = True, **overrides: str) -> Api:
    from signsvc.app import build_services
    from signsvc.services.context import RequestContext
    from signsvc.web import create_web_app

    services = build_services(make_settings(state_dir, **overrides))
    app = create_web_app(services)
    ctx = RequestContext(request_id="test-setup", actor="tests", role="admin")
    tokens = {}
    for name, role, keys in () if not with_clients else (
        ("portal", "portal", ("agency-seal", "agency-seal-ec", "dev-software")),
        ("portal-limited", "portal", ("dev-software",)),
        ("clerk", "clerk", ("agency-seal",)),
        ("auditor", "auditor", ()),
        ("admin", "admin", ()),
    ):
        _, tokens[name] = services.clients.create(name, role, keys, ctx)
    return Api(app=app, services=services, client=app.test_client(), tokens=tokens,
               state_dir=state_dir)


@pytest.fixture(scope="session")
def api(dev_pki, responders, tmp_path_factory):
    """One service for the session, its state in a temporary folder."""
    a = build_api(tmp_path_factory.mktemp("state"))
    yield a
    a.services.shutdown()
