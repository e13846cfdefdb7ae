#!/usr/bin/env python3
"""Screenshots of the main pages, as officials and auditors see them, for the README.

Starts ``signsvc serve`` (gunicorn) on a fresh state folder and a real ``signsvc-agent`` in
front of the development SoftHSM2 token, makes the accounts with the command line, then
walks the pages in headless Debian Chromium at 1366×768 and 390×844 and writes the first
screen of each page to ``docs/screenshots/NAME-WIDTHxHEIGHT.png`` (Vietnamese pages; the
English switch is in each page's header). Nothing is mocked: the official signs with the
token through the page, the auditor uploads a signed and a tampered PDF.

Run (development PKI and responders as for the tests):

    set -a && . var/dev.env && set +a && .venv/bin/python scripts/screenshots.py [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.conftest import RESPONDER_PORT, DevPki, _load_module, _serves_our_pki  # noqa: E402
from tests.e2e.test_browser_signing import CHROMIUM_ARGS, start_agent  # noqa: E402
from tests.integration.test_content_disposition import multipart  # noqa: E402
from tests.support.pdfs import make_pdf  # noqa: E402
from tests.support.server import free_port, running_server  # noqa: E402

VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
PASSWORDS = {"an": "mật-khẩu-cán-bộ-an-1", "kt": "mật-khẩu-kiểm-toán-1"}


def dev_pki() -> DevPki:
    """The development PKI and tokens under var/ (built if missing), as the tests load it."""
    import os

    devpki = _load_module("signsvc_devpki", REPO / "certs" / "devpki.py")
    devpki.build()
    os.environ["SOFTHSM2_CONF"] = str(devpki.SOFTHSM_CONF)
    os.environ.setdefault("SIGNSVC_DEV_SOFTWARE_PASSPHRASE",
                          (devpki.SECRETS / "dev-software.pass").read_text().strip())
    return DevPki(var=devpki.VAR, certs=devpki.CERTS, keys=devpki.KEYS, secrets=devpki.SECRETS,
                  nssdb=devpki.NSSDB, softhsm_conf=devpki.SOFTHSM_CONF,
                  softhsm_module=devpki.softhsm_module())


def ensure_responders(pki: DevPki):
    """The TSA/OCSP/CRL responders on 127.0.0.1:9180: the running ones if they serve this
    PKI, else started here (a server to shut down at the end, or None)."""
    ours = _serves_our_pki(RESPONDER_PORT, pki)
    if ours:
        return None
    if ours is False:
        raise SystemExit("127.0.0.1:9180 serves another checkout's PKI; stop it first")
    from werkzeug.serving import make_server

    app = _load_module("signsvc_responders", REPO / "certs" / "responders.py").make_app(pki.var)
    server = make_server("127.0.0.1", RESPONDER_PORT, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Site:
    """The running service, its accounts and documents."""

    def __init__(self, server, pki: DevPki, work: Path) -> None:
        self.server, self.base, self.work = server, server.base, work
        self.tokens: dict[str, str] = {}
        self.docs: dict[str, dict] = {}
        self.files: dict[str, Path] = {}
        for name, role, keys in (("portal", "portal", "dev-software"), ("kt", "auditor", None),
                                 ("an", "official", None)):
            extra = ["--keys", keys] if keys else []
            self.tokens[name] = self._cli("clients", "create", name, "--role", role, *extra).splitlines()[-1]
        for name, password in PASSWORDS.items():
            self._cli("clients", "set-password", name, stdin=password + "\n")
        self._cli("clients", "register-cert", "an", str(pki.cert("official-an")))
        for key, title, number, text in (
                ("decision", "Quyết định phê duyệt kế hoạch cải cách hành chính năm 2027",
                 "125/QĐ-UBND", "QUYET DINH 125"),
                ("letter", "Công văn về việc tổ chức hội nghị tổng kết", "12/CV-UBND", "CONG VAN 12")):
            body, ctype = multipart({"title": title, "number": number, "assignee": "an"},
                                    {"file": (f"{key}.pdf", make_pdf(2, text=text))})
            self.docs[key] = json.loads(self._call("POST", "/v1/documents", body, ctype))
        signed = self._call("POST", "/v1/sign?key=dev-software&level=B-T",
                            make_pdf(1, text="HOP DONG - SO TIEN 1.000.000 VND"), "application/pdf")
        at = signed.index(b"1.000.000")
        self.files["signed"] = self._write("hop-dong-da-ky.pdf", signed)
        self.files["tampered"] = self._write("hop-dong-bi-sua.pdf", signed[:at] + b"9" + signed[at + 1:])

    def _write(self, name: str, data: bytes) -> Path:
        path = self.work / name
        path.write_bytes(data)
        return path

    def _cli(self, *args: str, stdin: str | None = None) -> str:
        import subprocess

        from tests.support.server import SIGNSVC

        done = subprocess.run([SIGNSVC, *args], env=self.server.env, cwd=REPO, input=stdin,
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise SystemExit(f"signsvc {' '.join(args[:2])} failed: {done.stderr}")
        return done.stdout

    def _call(self, method: str, path: str, data: bytes, ctype: str) -> bytes:
        import urllib.request

        req = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.tokens['portal']}", "Content-Type": ctype})
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.read()


def shoot(page, out: Path, name: str, size: str) -> None:
    vp = page.viewport_size
    path = out / f"{name}-{vp['width']}x{vp['height']}.png"
    page.screenshot(path=str(path))
    print(f"{size:8} {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")


def login(page, base: str, name: str, then: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORDS[name])
    page.click("#submit")
    page.wait_for_url(f"{base}{then}**")


def wait_preview(page) -> None:
    page.wait_for_function("() => { const i = document.getElementById('preview');"
                           " return i && i.complete && i.naturalWidth > 100; }", timeout=30000)


def official_pages(browser, site: Site, out: Path, size: str, vp: dict, sign: bool) -> None:
    page = browser.new_context(viewport=vp, locale="vi-VN", accept_downloads=True).new_page()
    base = site.base
    page.goto(f"{base}/login")
    shoot(page, out, "login", size)
    page.fill("#name", "an")
    page.fill("#password", "sai-mat-khau")
    page.click("#submit")
    page.wait_for_selector("#error")
    shoot(page, out, "login-wrong-password", size)
    login(page, base, "an", "/documents")
    doc = site.docs["decision"]
    if sign:   # once: the official signs 125/QĐ-UBND with the token through the page
        page.goto(f"{base}/documents/{doc['id']}")
        wait_preview(page)
        page.check("#place-none")
        page.click("#sign")
        page.wait_for_selector("#download", timeout=90000)
        shoot(page, out, "document-signed-result", size)
    page.goto(f"{base}/documents")
    shoot(page, out, "documents", size)
    page.goto(f"{base}/documents/{site.docs['letter']['id']}")
    wait_preview(page)
    shoot(page, out, "document", size)
    page.goto(f"{base}/documents/{doc['id']}")
    wait_preview(page)
    # the signed document's history (every version: who signed, when, level, verdict now,
    # download) is below its preview: the screen that shows it
    page.evaluate("document.getElementById('history').scrollIntoView({block: 'start'})")
    shoot(page, out, "document-history", size)
    page.goto(f"{base}/help/agent")
    shoot(page, out, "agent-help", size)
    page.goto(f"{base}/documents/khong-co-van-ban-nay")
    shoot(page, out, "error-not-found", size)
    page.context.close()


def auditor_pages(browser, site: Site, out: Path, size: str, vp: dict) -> None:
    page = browser.new_context(viewport=vp, locale="vi-VN").new_page()
    base = site.base
    login(page, base, "kt", "/auditor/verify")
    shoot(page, out, "auditor-verify", size)
    for name in ("signed", "tampered"):
        page.goto(f"{base}/auditor/verify")
        page.set_input_files("#file", str(site.files[name]))
        page.click("#verify")
        page.wait_for_selector("#verdict", timeout=60000)
        shoot(page, out, f"auditor-report-{name}", size)
    page.goto(f"{base}/auditor/audit")
    shoot(page, out, "auditor-audit-log", size)
    page.goto(f"{base}/auditor/audit/documents/{site.docs['decision']['sha256']}")
    shoot(page, out, "auditor-document-history", size)
    page.context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    chromium = shutil.which("chromium")
    if not chromium:
        raise SystemExit("chromium is not installed (scripts/install.sh installs it)")
    pki = dev_pki()
    responders = ensure_responders(pki)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="signsvc-shots-") as tmp:
        work = Path(tmp)
        agent_port = free_port()
        env = {"SIGNSVC_PAGES__AGENT_URL": f"http://127.0.0.1:{agent_port}",
               "SIGNSVC_AUDIT__PATH": str(work / "state" / "audit.sqlite3"),
               "SIGNSVC_AUDIT__CHECKPOINT_KEY": ""}
        agent = None
        try:
            with running_server(work, env=env) as server:
                site = Site(server, pki, work)
                agent = start_agent(work / "agent", agent_port, server.base, pki)
                with sync_playwright() as p:
                    browser = p.chromium.launch(executable_path=chromium, headless=True,
                                                args=CHROMIUM_ARGS)
                    for i, (size, vp) in enumerate(VIEWPORTS.items()):
                        official_pages(browser, site, args.out, size, vp, sign=(i == 0))
                        auditor_pages(browser, site, args.out, size, vp)
                    browser.close()
        finally:
            if agent is not None:
                agent.terminate()
                agent.wait(timeout=10)
            if responders is not None:
                responders.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
