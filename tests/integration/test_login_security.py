"""Logins and page sessions (issue 11, section 5), through the Flask app and the CLI:
throttling before the password hash (429 + Retry-After, audited, capped, per address),
logout that ends the session, role changes and revoked accounts applied at the next
request, and the clerk's TOTP second factor with the person and session in the audit log."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import time

import pyotp
import pytest

import signsvc.services.login_service as login_module
from signsvc.services.context import RequestContext
from tests.conftest import REPO, build_api

PASSWORD = "mật-khẩu-đăng-nhập-2026"
SETUP = RequestContext("login-tests", "tests", "admin")
COOKIE = "signsvc_session"
SIGNSVC = str(REPO / ".venv" / "bin" / "signsvc")


def make_site(state, backoff: str, cap: str):
    """A service with the given back-off and cap and a spraying limit of 8 failures per
    address; an official, an auditor and a clerk with passwords."""
    api = build_api(state, pages__login_backoff_seconds=backoff,
                    pages__login_max_backoff_seconds=cap, pages__login_address_free_failures="8")
    for name, role, keys in (("cb-an", "official", ()), ("kt-lan", "auditor", ()),
                             ("vt-hoa", "clerk", ("agency-seal",))):
        api.services.clients.create(name, role, keys, SETUP)
        api.services.login.set_password(SETUP, name, PASSWORD)
    return api


@pytest.fixture
def site(tmp_path, dev_pki, responders):
    """Back-off 2 s, doubled, capped at 4 s (tests that wait for it)."""
    api = make_site(tmp_path / "state", "2.0", "4.0")
    yield api
    api.services.shutdown()


@pytest.fixture
def slow_site(tmp_path, dev_pki, responders):
    """Back-off 60 s, capped at 120 s (tests that must not see it end on a loaded machine)."""
    api = make_site(tmp_path / "state", "60.0", "120.0")
    yield api
    api.services.shutdown()


def browser(api, address: str = "127.0.0.1"):
    client = api.app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def post_login(client, name: str, password: str, **headers):
    token = csrf_of(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token},
                       headers=headers)


def records(api, action: str):
    return [r for r in api.services.audit.list(limit=100000) if r.action == action]


@pytest.fixture
def scrypt_calls(monkeypatch):
    """Counts the password hashes the login service computes."""
    calls = []
    real = login_module.check_password

    def counting(password, encoded):
        calls.append(1)
        return real(password, encoded)

    monkeypatch.setattr(login_module, "check_password", counting)
    return calls


def test_six_wrong_passwords_back_off_before_the_hash_and_are_audited(site, scrypt_calls):
    client = browser(site, "10.1.1.1")
    for _ in range(5):
        resp = post_login(client, "cb-an", "sai-mật-khẩu-1234")
        assert resp.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu" in resp.get_data(as_text=True)
    assert len(scrypt_calls) == 5
    sixth = post_login(client, "cb-an", "sai-mật-khẩu-1234")
    assert sixth.status_code == 429
    wait = int(sixth.headers["Retry-After"])
    assert 1 <= wait <= 2                                   # the first back-off: 2 s
    page = sixth.get_data(as_text=True)
    assert "Đăng nhập sai quá nhiều lần" in page and 'id="password"' in page  # Vietnamese form
    right = post_login(client, "cb-an", PASSWORD)          # the right password is refused too
    assert right.status_code == 429 and "Retry-After" in right.headers
    api_style = post_login(client, "cb-an", PASSWORD, Accept="application/json")
    assert api_style.status_code == 429 and api_style.mimetype == "application/problem+json"
    problem = api_style.get_json()
    assert problem["code"] == "too-many-attempts" and problem["detail_vi"].startswith("Đăng nhập sai")
    assert int(api_style.headers["Retry-After"]) == problem["retry_after"]
    assert len(scrypt_calls) == 5                           # no hash while backing off
    throttled = records(site, "auth:login:throttled")
    assert len(throttled) == 3
    assert all(r.outcome == "denied" and r.error_code == "too-many-attempts" and
               r.details["name"] == "cb-an" and r.client_address == "10.1.1.1" for r in throttled)
    assert len(records(site, "auth:login:failed")) == 5
    time.sleep(wait + 0.1)
    ok = post_login(client, "cb-an", PASSWORD)
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/documents")
    assert client.get("/documents").status_code == 200


def test_an_attackers_address_does_not_lock_the_official_out(site):
    attacker = browser(site, "203.0.113.9")
    for _ in range(5):
        assert post_login(attacker, "cb-an", "đoán-mật-khẩu-0000").status_code == 401
    waits = []
    for _ in range(2):                  # keep guessing at the pace the back-off allows
        refused = post_login(attacker, "cb-an", "đoán-mật-khẩu-0000")
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
        time.sleep(waits[-1] + 0.1)
        assert post_login(attacker, "cb-an", "đoán-mật-khẩu-0000").status_code == 401
    refused = post_login(attacker, "cb-an", PASSWORD)
    assert refused.status_code == 429
    waits.append(int(refused.headers["Retry-After"]))
    assert waits[0] <= 2 and 3 <= waits[1] <= 4 and 3 <= waits[2] <= 4   # doubled, then capped
    # the official at her own desk is not blocked by the attacker's failures
    official = browser(site, "10.20.0.5")
    ok = post_login(official, "cb-an", PASSWORD)
    assert ok.status_code == 302 and official.get("/documents").status_code == 200
    # spraying many accounts from one address is limited per address
    sprayer = browser(site, "198.51.100.7")
    codes = [post_login(sprayer, f"user-{i}", "mật-khẩu-đoán-9999").status_code for i in range(9)]
    assert codes == [401] * 8 + [429]
    assert post_login(sprayer, "kt-lan", PASSWORD).status_code == 429


def test_the_cookie_replayed_after_logout_opens_nothing(site):
    client = browser(site)
    assert post_login(client, "cb-an", PASSWORD).status_code == 302
    html = client.get("/documents").get_data(as_text=True)
    stolen = client.get_cookie(COOKIE).value
    resp = client.post("/logout", data={"csrf_token": csrf_of(html)})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    replay = browser(site)
    replay.set_cookie(COOKIE, stolen)
    page = replay.get("/documents")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    replay.set_cookie(COOKIE, stolen)
    api_call = replay.post("/pages/api/sessions", json={"document_id": "x"},
                           headers={"X-CSRF-Token": csrf_of(html)})
    assert api_call.status_code == 401 and api_call.mimetype == "application/problem+json"
    rejected = records(site, "auth:session:rejected")
    assert rejected and all(r.details["reason"] == "logged-out" for r in rejected)
    ended = records(site, "auth:session:ended")
    assert len(ended) == 1 and ended[0].actor == "cb-an"
    # the cookie holds an opaque id only: no role, no keys
    assert b"official" not in stolen.encode() and "cb-an" not in stolen


def test_a_role_change_applies_at_the_next_request(site):
    official = browser(site)
    assert post_login(official, "cb-an", PASSWORD).status_code == 302
    assert official.get("/documents").status_code == 200
    # an administrator takes the role away (as the clients table records it)
    with sqlite3.connect(site.state_dir / "signsvc.sqlite3") as db:
        db.execute("UPDATE clients SET role = 'portal' WHERE name = 'cb-an'")
    resp = official.get("/documents")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    (rec,) = records(site, "auth:session:rejected")
    assert rec.details["reason"] == "role" and rec.details["name"] == "cb-an"


def test_a_disabled_account_is_refused_at_once(site):
    auditor = browser(site)
    assert post_login(auditor, "kt-lan", PASSWORD).status_code == 302
    assert auditor.get("/auditor/audit").status_code == 200
    site.services.clients.disable(SETUP, "kt-lan")
    resp = auditor.get("/auditor/audit")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert post_login(browser(site), "kt-lan", PASSWORD).status_code == 401
    (rec,) = records(site, "clients:client:disabled")
    assert rec.outcome == "success" and rec.details["name"] == "kt-lan"
    # a disabled API client's token is refused too
    site.services.clients.disable(SETUP, "portal")
    assert site.client.get("/v1/keys", headers=site.headers("portal")).status_code == 401


def test_the_clerk_needs_a_totp_code(site):
    client = browser(site)
    refused = post_login(client, "vt-hoa", PASSWORD)     # password only: no page session
    assert refused.status_code == 401 and "TOTP" in refused.get_data(as_text=True)
    assert client.get("/documents").status_code == 302
    secret, uri = site.services.login.enroll_totp(SETUP, "vt-hoa")
    assert uri.startswith("otpauth://totp/") and secret in uri
    step1 = post_login(client, "vt-hoa", PASSWORD)
    assert step1.status_code == 302 and "/login/totp" in step1.headers["Location"]
    assert client.get("/documents").status_code == 302   # not logged in before the code
    form = client.get("/login/totp").get_data(as_text=True)
    assert "Xác thực hai yếu tố" in form
    wrong = client.post("/login/totp", data={"code": "000000" if pyotp.TOTP(secret).now() != "000000"
                                             else "111111", "csrf_token": csrf_of(form)})
    assert wrong.status_code == 401 and "Mã xác thực (TOTP) không đúng" in wrong.get_data(as_text=True)
    code = pyotp.TOTP(secret).now()
    ok = client.post("/login/totp", data={"code": code, "csrf_token": csrf_of(wrong.get_data(as_text=True))})
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/documents")
    html = client.get("/documents").get_data(as_text=True)
    assert "vt-hoa" in html
    (login,) = records(site, "auth:login:succeeded")[-1:]
    assert login.actor == "vt-hoa" and login.details["second_factor"] == "totp"
    # every record of the page session names the person and the session
    client.post("/pages/api/sessions", json={"document_id": "khong-co"},
                headers={"X-CSRF-Token": csrf_of(html)})
    (attempt,) = records(site, "signing:session:rejected")
    assert attempt.actor == "vt-hoa" and attempt.role == "clerk"
    assert attempt.details["session"] == login.details["session"]
    # the same code cannot be used twice
    again = browser(site)
    assert post_login(again, "vt-hoa", PASSWORD).status_code == 302
    form = again.get("/login/totp").get_data(as_text=True)
    replay = again.post("/login/totp", data={"code": code, "csrf_token": csrf_of(form)})
    assert replay.status_code == 401
    assert records(site, "auth:totp:failed")[-1].details["reason"] == "replayed"
    # the secret is in no audit record and not in the clear in the database
    dump = "".join(repr(r) for r in site.services.audit.list(limit=100000))
    assert secret not in dump
    assert secret.encode() not in (site.state_dir / "signsvc.sqlite3").read_bytes()


def test_cli_enrols_totp_changes_roles_and_disables(site, tmp_path):
    env = {**os.environ, "SIGNSVC_SERVICE__STATE_DIR": str(site.state_dir),
           "SIGNSVC_AUDIT__PATH": str(site.state_dir / "audit.sqlite3"), "SIGNSVC_AUDIT__CHECKPOINT_KEY": '""'}
    official = browser(site)
    assert post_login(official, "cb-an", PASSWORD).status_code == 302
    out = subprocess.run([SIGNSVC, "clients", "totp", "enroll", "cb-an"], env=env, cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    secret = re.search(r"^secret: ([A-Z2-7]+)$", out.stdout, re.M).group(1)
    assert f"otpauth://totp/signsvc:cb-an?secret={secret}" in out.stdout
    # enrolling ends the official's sessions; from now on the official gives a code too
    assert official.get("/documents").status_code == 302
    step1 = post_login(official, "cb-an", PASSWORD)
    assert "/login/totp" in step1.headers["Location"]
    form = official.get("/login/totp").get_data(as_text=True)
    ok = official.post("/login/totp", data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_of(form)})
    assert ok.status_code == 302 and official.get("/documents").status_code == 200
    out = subprocess.run([SIGNSVC, "clients", "set-role", "cb-an", "clerk"], env=env, cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "clerk" in out.stdout
    (rec,) = records(site, "clients:client:role-changed")
    assert rec.details["old_role"] == "official" and rec.details["client_role"] == "clerk"
    out = subprocess.run([SIGNSVC, "clients", "disable", "cb-an"], env=env, cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0
    assert official.get("/documents").status_code == 302
    audit_file = (site.state_dir / "audit.sqlite3").read_bytes()
    assert secret.encode() not in audit_file


def test_parallel_guesses_and_other_workers_share_the_counters(slow_site, scrypt_calls):
    """12 guesses at once from one address: 5 are checked, 7 refused without a hash; a second
    store on the same database (another worker) sees the back-off."""
    from concurrent.futures import ThreadPoolExecutor

    from signsvc.adapters.logins_sql import SqlLoginStore
    from signsvc.clients.login import ThrottleRule, throttle_counters

    clients = [browser(slow_site, "192.0.2.44") for _ in range(12)]
    tokens = [csrf_of(c.get("/login").get_data(as_text=True)) for c in clients]

    def guess(i: int) -> int:
        return clients[i].post("/login", data={"name": "cb-an", "password": f"đoán-{i:04d}-mật-khẩu",
                                               "csrf_token": tokens[i]}).status_code

    with ThreadPoolExecutor(12) as pool:
        codes = sorted(pool.map(guess, range(12)))
    assert codes == [401] * 5 + [429] * 7 and len(scrypt_calls) == 5
    other_worker = SqlLoginStore(slow_site.state_dir / "signsvc.sqlite3", slow_site.state_dir / "totp-key")
    rule = ThrottleRule(5, 60.0, 120.0)
    assert other_worker.attempt(throttle_counters("cb-an", "192.0.2.44", rule, rule), time.time()) > 0
