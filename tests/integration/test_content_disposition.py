"""Headers that carry user text: Vietnamese document numbers and titles in
``Content-Disposition`` (RFC 6266, ``filename*=UTF-8''…`` per RFC 5987 plus an ASCII
fallback), and free text from the policy in ``X-Policy-*``.

Issue 10: "Tải văn bản đã ký" answered a bare "Internal Server Error" for a number like
``125/QĐ-UBND``: the raw number went into the header and gunicorn refuses any header that
is not ISO-8859-1. The Flask test client does not check headers, so the downloads are
tried through a real ``signsvc serve`` (gunicorn) too.
"""

from __future__ import annotations

import hashlib
import http.cookiejar
import io
import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.http import parse_options_header

from signsvc.web.headers import ascii_fallback, content_disposition, header_text
from tests.conftest import REPO
from tests.e2e.test_browser_signing import free_port
from tests.support.pdfs import make_pdf

SIGNSVC = str(REPO / ".venv" / "bin" / "signsvc")

NAMES = [  # (user text, the name the browser must save, its ASCII fallback)
    ("125/QĐ-UBND.pdf", "125-QĐ-UBND.pdf", "125-QD-UBND.pdf"),
    ("Quyết định số 12/2026/QĐ-UBND về việc phê duyệt.pdf",
     "Quyết định số 12-2026-QĐ-UBND về việc phê duyệt.pdf",
     "Quyet-dinh-so-12-2026-QD-UBND-ve-viec-phe-duyet.pdf"),
    ('Tờ trình "khẩn"\r\nX-Evil: 1.pdf', "Tờ trình khẩn X-Evil: 1.pdf", "To-trinh-khan-X-Evil-1.pdf"),
    ("../../etc/passwd", "etc-passwd", "etc-passwd"),
    ("Đơn đề nghị cấp giấy phép xây dựng.pdf", "Đơn đề nghị cấp giấy phép xây dựng.pdf",
     "Don-de-nghi-cap-giay-phep-xay-dung.pdf"),
]


def _saved_name(value: str) -> tuple[str, str]:
    """(the name a browser saves: filename* when present, the plain filename) as parsed by
    werkzeug, which implements RFC 2231/5987."""
    kind, options = parse_options_header(value)
    assert kind == "attachment"
    plain = re.search(r'filename="([^"]*)"', value).group(1)
    return options["filename"], plain


@pytest.mark.parametrize("raw,saved,fallback", NAMES, ids=[n[2] for n in NAMES])
def test_helper_gives_rfc6266_values(raw, saved, fallback):
    value = content_disposition(raw)
    value.encode("ascii")                       # every server and client accepts it
    assert "\r" not in value and "\n" not in value
    assert _saved_name(value) == (saved, fallback)
    assert "/" not in fallback and '"' not in fallback
    assert ascii_fallback(saved) == fallback


def test_empty_names_and_custom_headers():
    assert _saved_name(content_disposition("")) == ("document", "document")
    assert _saved_name(content_disposition("///.pdf")) == ("document.pdf", "document.pdf")
    assert header_text("2026.11-dev") == "2026.11-dev"
    encoded = header_text("2026.12 – bản thử")
    encoded.encode("ascii")
    assert urllib.parse.unquote(encoded) == "2026.12 – bản thử"


def test_official_download_with_vietnamese_number_test_client(api):
    """The officials' page download and the API's signed-revision header (test client)."""
    from signsvc.services.context import RequestContext

    setup = RequestContext("cd", "tests", "admin")
    name = f"cd-{uuid.uuid4().hex[:6]}"
    api.services.clients.create(name, "official", (), setup)
    api.services.login.set_password(setup, name, "mật-khẩu-cd-123456")
    data = make_pdf(text="Quyet dinh 125")
    doc = api.client.post("/v1/documents", data={
        "file": (io.BytesIO(data), "qd.pdf"), "title": "Quyết định phê duyệt",
        "number": "125/QĐ-UBND", "assignee": name},
        headers=api.headers("portal"), content_type="multipart/form-data").get_json()
    browser = api.app.test_client()
    page = browser.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = browser.post("/login", data={"csrf_token": csrf, "name": name,
                                        "password": "mật-khẩu-cd-123456"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    resp = browser.get(f"/documents/{doc['id']}/download")
    assert resp.status_code == 200 and resp.data == data
    assert _saved_name(resp.headers["Content-Disposition"]) == ("125-QĐ-UBND.pdf", "125-QD-UBND.pdf")


# -- a real gunicorn -----------------------------------------------------------------------

@dataclass
class Served:
    """``signsvc serve`` (gunicorn, one worker) on a free port with its own state folder."""

    base: str
    env: dict
    proc: subprocess.Popen
    log: Path
    tokens: dict = field(default_factory=dict)

    def cli(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run([SIGNSVC, *args], env=self.env, cwd=REPO, input=stdin,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def client(self, name: str, role: str, keys: str | None = None) -> str:
        extra = ("--keys", keys) if keys else ()
        self.tokens[name] = self.cli("clients", "create", name, "--role", role, *extra).splitlines()[-1]
        return self.tokens[name]

    def call(self, method: str, path: str, who: str | None = None, data: bytes | None = None,
             headers: dict | None = None, opener=None):
        """(status, headers, body); HTTP errors are answers too."""
        hdrs = dict(headers or {})
        if who:
            hdrs["Authorization"] = f"Bearer {self.tokens[who]}"
        req = urllib.request.Request(self.base + path, data=data, headers=hdrs, method=method)
        try:
            with (opener or urllib.request.build_opener()).open(req, timeout=120) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read()


def multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body (UTF-8 text fields) and its content type."""
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for k, v in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    for k, (filename, data) in files.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{filename}"\r\n'
                  "Content-Type: application/pdf\r\n\r\n".encode())
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def start_served(tmp_path: Path, **settings: str) -> Served:
    """Start ``signsvc serve`` as an operator would, and wait (bounded) for /healthz."""
    state = tmp_path / "state"
    state.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SIGNSVC_SERVICE__STATE_DIR": str(state),
           "SIGNSVC_AUDIT__PATH": str(state / "audit.sqlite3"), "SIGNSVC_AUDIT__CHECKPOINT_KEY": "",
           **{f"SIGNSVC_{k.upper()}": v for k, v in settings.items()}}
    port = free_port()
    log = tmp_path / "serve.log"
    proc = subprocess.Popen([SIGNSVC, "serve", "--port", str(port), "--workers", "1"], env=env,
                            cwd=REPO, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    served = Served(f"http://127.0.0.1:{port}", env, proc, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            if served.call("GET", "/healthz")[0] == 200:
                return served
        except OSError:
            pass
        time.sleep(0.2)
    stop_served(served)
    raise AssertionError(f"signsvc serve did not answer /healthz:\n{log.read_text()}")


def stop_served(served: Served) -> None:
    if served.proc.poll() is None:
        os.killpg(served.proc.pid, 15)
        try:
            served.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(served.proc.pid, 9)
            served.proc.wait(timeout=10)


def page_login(served: Served, name: str, password: str):
    """An opener with the page session cookie of ``name`` (logged in through /login)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    status, _, body = served.call("GET", "/login", opener=opener)
    assert status == 200
    csrf = re.search(rb'name="csrf_token" value="([^"]+)"', body).group(1).decode()
    form = urllib.parse.urlencode({"csrf_token": csrf, "name": name, "password": password}).encode()
    status, _, body = served.call("POST", "/login", data=form, opener=opener, headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and b'id="logout"' in body, body[:500]
    return opener


@pytest.fixture
def served(tmp_path, dev_pki, responders):
    policy = tmp_path / "policy.toml"
    shipped = (REPO / "config" / "policy.toml").read_text()
    version = re.search(r'^version = "([^"]+)"', shipped, re.M).group(1)
    policy.write_text(shipped.replace(f'version = "{version}"', 'version = "2026.12 – bản thử"'))
    s = start_served(tmp_path, POLICY__PATH=str(policy))
    yield s
    stop_served(s)


def test_downloads_through_gunicorn(served):
    served.client("portal", "portal", "dev-software")
    served.client("kt", "auditor")
    served.client("an", "official")
    served.cli("clients", "set-password", "an", stdin="mật-khẩu-an-123456\n")
    data = make_pdf(2, text="Quyet dinh 125/QD-UBND")
    body, ctype = multipart({"title": "Quyết định về việc phê duyệt đề án", "number": "125/QĐ-UBND",
                             "assignee": "an"}, {"file": ("Quyết định 125.pdf", data)})
    status, _, answer = served.call("POST", "/v1/documents", "portal", body, {"Content-Type": ctype})
    assert status == 201, answer
    doc = json.loads(answer)
    assert doc["number"] == "125/QĐ-UBND"
    # the official's "Tải văn bản đã ký" (download) on the page
    opener = page_login(served, "an", "mật-khẩu-an-123456")
    status, headers, got = served.call("GET", f"/documents/{doc['id']}/download", opener=opener)
    assert status == 200, got[:300]
    assert got == data and hashlib.sha256(got).hexdigest() == doc["sha256"]
    assert _saved_name(headers["Content-Disposition"]) == ("125-QĐ-UBND.pdf", "125-QD-UBND.pdf")
    # signing under a policy whose version is Vietnamese text: X-Policy-Version survives
    status, headers, signed = served.call("POST", "/v1/sign?key=dev-software&level=B-B", "portal",
                                          data, {"Content-Type": "application/pdf"})
    assert status == 200, signed[:300]
    assert urllib.parse.unquote(headers["X-Policy-Version"]) == "2026.12 – bản thử"
    assert _saved_name(headers["Content-Disposition"])[0] == "signed.pdf"
    # the signed PDF report and the audit export, both attachments
    status, headers, report = served.call("POST", "/v1/verify", "kt", signed,
                                          {"Content-Type": "application/pdf", "Accept": "application/pdf"})
    assert status == 200 and report.startswith(b"%PDF")
    assert _saved_name(headers["Content-Disposition"])[0].startswith("bao-cao-")
    status, _, verified = served.call("POST", "/v1/verify", "kt", signed,
                                      {"Content-Type": "application/pdf"})
    assert status == 200 and json.loads(verified)["verdict"] == "valid"
