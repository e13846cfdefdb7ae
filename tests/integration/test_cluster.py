"""``make cluster`` as a user runs it: ``scripts/cluster.sh run`` in the background on free
ports (nginx in front of two ``signsvc serve`` instances, one PostgreSQL database, shared
state folder and SoftHSM2 token), then ``scripts/cluster.sh stop``.

Signatures through nginx are spread over both instances and each validates; a browser
signing session started on one instance completes on the other; ``kill -9`` of one instance
under load loses no audit record and the other keeps serving; stop leaves no process and
frees the ports. nginx and PostgreSQL must be installed: these tests fail, never skip.
The responders on 127.0.0.1:9180 are shared: reused, never stopped here."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import REPO
from tests.integration.test_signing_sessions import cert_b64, token_sign
from tests.support.pdfs import make_pdf
from tests.support.policies import without_rate_limits
from tests.support.postgres import drop_database, fresh_database
from tests.support.server import SIGNSVC, free_port
from tests.support.tools import require_tool
from tests.support.validate import pyhanko_statuses

SCRIPT = REPO / "scripts" / "cluster.sh"
PDF = {"Content-Type": "application/pdf"}


@dataclass
class Cluster:
    port: int
    instances: tuple[int, int]
    env: dict[str, str]
    dirs: Path
    log: Path
    process: subprocess.Popen
    db_url: str
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def run_dir(self) -> Path:
        return self.dirs / "run"

    @property
    def access_log(self) -> Path:
        return self.dirs / "cluster" / "nginx" / "access.log"

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """``signsvc`` with ``SIGNSVC_CONFIG=config/signsvc.cluster.toml`` (and the test's
        state folder and database)."""
        return subprocess.run([SIGNSVC, *args], env=self.env, cwd=REPO, capture_output=True,
                              text=True, timeout=120)

    def client(self, name: str, role: str, keys: str | None = None) -> str:
        args = ["clients", "create", name, "--role", role] + (["--keys", keys] if keys else [])
        made = self.cli(*args)
        assert made.returncode == 0, made.stderr
        return made.stdout.strip().splitlines()[-1]

    def stop(self) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", str(SCRIPT), "stop"], env=self.env, cwd=REPO,
                              capture_output=True, text=True, timeout=120)


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def cluster(dev_pki, responders, tmp_path_factory):
    require_tool("nginx")
    db_url, db_name = fresh_database("cluster")     # fails (not skips) without PostgreSQL
    tmp = tmp_path_factory.mktemp("cluster")
    port, a, b = free_port(), free_port(), free_port()
    # the shipped policy with the rate limits lifted: the load below must not meet them on
    # a fast machine (exact limits across instances: tests/integration/test_postgres_service.py)
    policy = without_rate_limits(tmp / "policy.toml")
    env = {**os.environ,
           "SIGNSVC_CONFIG": str(REPO / "config" / "signsvc.cluster.toml"),
           "CLUSTER_PORT": str(port), "CLUSTER_INSTANCE_PORTS": f"{a} {b}",
           "CLUSTER_DIR": str(tmp / "cluster"), "CLUSTER_RUN_DIR": str(tmp / "run"),
           "CLUSTER_WORKERS": "1", "CLUSTER_THREADS": "4",
           "SIGNSVC_SERVICE__STATE_DIR": str(tmp / "state"),
           "SIGNSVC_POLICY__PATH": str(policy),
           "SIGNSVC_DATABASE__URL": f'"{db_url}"'}
    log = tmp / "cluster.log"
    started = time.monotonic()
    with open(log, "wb") as out:
        proc = subprocess.Popen(["bash", str(SCRIPT), "run"], env=env, cwd=REPO, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    c = Cluster(port=port, instances=(a, b), env=env, dirs=tmp, log=log, process=proc,
                db_url=db_url)
    try:
        while "cluster: ready in" not in log.read_text(errors="replace"):
            assert proc.poll() is None, f"cluster.sh exited {proc.returncode}:\n{log.read_text()}"
            assert time.monotonic() - started < 240, f"not ready in 240 s:\n{log.read_text()}"
            time.sleep(0.2)
        c.tokens["portal"] = c.client("cluster-portal", "portal", "agency-seal,dev-software")
        yield c
    finally:
        if proc.poll() is None:
            c.stop()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        drop_database(db_name)


def _sign(c: Cluster, text: str, *, key: str = "agency-seal", level: str = "B-T",
          request_id: str | None = None, timeout: float = 120) -> requests.Response:
    headers = {**PDF, "Authorization": f"Bearer {c.tokens['portal']}"}
    if request_id:
        headers["X-Request-Id"] = request_id
    return requests.post(f"{c.base}/v1/sign", params={"key": key, "level": level},
                         data=make_pdf(1, text=text), headers=headers, timeout=timeout)


def _served_by(c: Cluster) -> dict[str, int]:
    """request id -> the instance port nginx sent it to (nginx's access log)."""
    out = {}
    for line in c.access_log.read_text().splitlines():
        m = re.search(r"upstream=127\.0\.0\.1:(\d+) .*request_id=(\S+)$", line)
        if m:
            out[m.group(2)] = int(m.group(1))
    return out


def _csrf(page: requests.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text[:300]
    return found.group(1)


def _audit_records(c: Cluster) -> dict[int, Any]:
    from signsvc.adapters.audit_sql import SqlAuditStore
    from signsvc.adapters.db.engine import url_engine

    store = SqlAuditStore(url_engine(c.db_url))
    try:
        records = store.records()
    finally:
        store.close()
    assert [r.sequence for r in records] == list(range(1, len(records) + 1))  # no gap
    return {r.sequence: r for r in records}


def _audit_verifies(c: Cluster) -> None:
    checked = c.cli("audit", "verify")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_signatures_through_nginx_use_both_instances_and_validate(cluster, dev_pki):
    c = cluster
    answers = []
    for i in range(6):
        rid = f"cluster-sign-{i:04d}"
        resp = _sign(c, f"cluster document {i}", request_id=rid)
        assert resp.status_code == 200, resp.text[:300]
        assert resp.headers["X-Request-Id"] == rid          # passed through nginx
        answers.append((rid, resp))
    served = _served_by(c)
    assert {served[rid] for rid, _ in answers} == set(c.instances), served
    records = _audit_records(c)
    for rid, resp in answers:
        (_, st), = pyhanko_statuses(resp.content, dev_pki.cert("root"), [dev_pki.cert("interm")])
        assert st.intact and st.valid and st.trusted, st.pretty_print_details()
        record = records[int(resp.headers["X-Audit-Sequence"])]
        assert record.request_id == rid
        assert record.output_sha256 == hashlib.sha256(resp.content).hexdigest()
        verified = requests.post(f"{c.base}/v1/verify", data=resp.content, timeout=120,
                                 headers={**PDF, "Authorization": f"Bearer {c.tokens['portal']}"})
        assert verified.status_code == 200, verified.text[:300]
        assert verified.json()["verdict"] == "valid", verified.json()
    _audit_verifies(c)
    # each instance has its own pid file (the gunicorn master's) and control socket
    for p in c.instances:
        pid = int((c.run_dir / f"signsvc-{p}.pid").read_text())
        os.kill(pid, 0)
        assert (c.run_dir / f"signsvc-{p}.ctl").is_socket()
    health = [requests.get(f"http://127.0.0.1:{p}/healthz", timeout=5).json() for p in c.instances]
    if all("instance" in h for h in health):
        assert health[0]["instance"] != health[1]["instance"]

    # a policy reload reaches every instance (SIGHUP to each master; same masters after)
    masters = [int((c.run_dir / f"signsvc-{p}.pid").read_text()) for p in c.instances]
    reloaded = subprocess.run(["bash", str(SCRIPT), "reload"], env=c.env, cwd=REPO,
                              capture_output=True, text=True, timeout=120)
    assert reloaded.returncode == 0, reloaded.stdout + reloaded.stderr
    for p, pid in zip(c.instances, masters):
        assert f"instance {p} (pid {pid}): policy reload requested" in reloaded.stdout
    time.sleep(2)
    for p, pid in zip(c.instances, masters):
        end = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{p}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < end, f"instance {p} not healthy after the reload"
            time.sleep(0.2)
        assert int((c.run_dir / f"signsvc-{p}.pid").read_text()) == pid


def test_nginx_front_limits_and_errors(cluster):
    c = cluster
    # a body over max_document_bytes + 64 KiB is refused by nginx before any instance reads it
    conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=15)
    try:
        conn.putrequest("POST", "/v1/sign?key=agency-seal&level=B-T")
        conn.putheader("Content-Type", "application/pdf")
        conn.putheader("Content-Length", str(25664 * 1024 + 1))
        conn.putheader("X-Request-Id", "cluster-too-large-1")
        conn.endheaders()
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    assert resp.status == 413
    problem = json.loads(body)
    assert (resp.getheader("Content-Type") or "").startswith("application/problem+json")
    assert problem["code"] == "document-too-large" and problem["instance"] == "cluster-too-large-1"
    # a request id signsvc would refuse is replaced by nginx's own, as signsvc would
    odd = requests.get(f"{c.base}/healthz", headers={"X-Request-Id": 'x"; drop'}, timeout=5)
    assert odd.status_code == 200 and re.fullmatch(r"[0-9a-f]{32}", odd.headers["X-Request-Id"])
    site = (c.dirs / "cluster" / "nginx" / "site.conf").read_text()
    # a POST that reached an instance is never re-sent (no non_idempotent), nor on its 5xx
    assert re.findall(r"^\s*proxy_next_upstream .*$", site, re.M) == \
        ["    proxy_next_upstream error timeout;"]
    assert re.search(r"proxy_read_timeout 90s;", site)   # signing deadline 60 s + 30 s
    assert re.search(r"location = /v1/jobs \{\s*client_max_body_size 105664k;", site)


def test_session_started_on_one_instance_completes_on_the_other(cluster, dev_pki):
    """The official's page login made on instance A holds on B (logout on B ends it on A);
    the three-step browser signing: document filed and session prepared on A, the
    official's signature completed on B; valid; used once on either."""
    c = cluster
    a, b = (f"http://127.0.0.1:{p}" for p in c.instances)
    official = c.client("cluster-an", "official")
    registered = c.cli("clients", "register-cert", "cluster-an", str(dev_pki.cert("official-an")))
    assert registered.returncode == 0, registered.stderr
    portal = {"Authorization": f"Bearer {c.tokens['portal']}"}
    doc = requests.post(f"{a}/v1/documents", headers=portal, timeout=60,
                        files={"file": ("d.pdf", make_pdf(2), "application/pdf")},
                        data={"title": "Quyết định cấp phép", "number": "7/QĐ-UBND",
                              "assignee": "cluster-an"})
    assert doc.status_code == 201, doc.text[:300]
    # the official's page login made on A is valid on B (page sessions in the database,
    # cookies signed with the shared state folder's secret); logged out on B, out on A too
    password = "Cluster-pages-2026!"
    set_pw = subprocess.run([SIGNSVC, "clients", "set-password", "cluster-an"], env=c.env,
                            cwd=REPO, input=password + "\n", capture_output=True, text=True,
                            timeout=120)
    assert set_pw.returncode == 0, set_pw.stderr
    browser = requests.Session()
    login = browser.post(f"{a}/login", allow_redirects=False, timeout=60, data={
        "name": "cluster-an", "password": password, "csrf_token": _csrf(browser.get(f"{a}/login"))})
    assert login.status_code in (302, 303), login.text[:300]
    listed = browser.get(f"{b}/documents", allow_redirects=False, timeout=60)
    assert listed.status_code == 200 and "7/QĐ-UBND" in listed.text, listed.text[:300]
    out = browser.post(f"{b}/logout", data={"csrf_token": _csrf(listed)}, allow_redirects=False,
                       timeout=60)
    assert out.status_code in (302, 303)
    assert browser.get(f"{a}/documents", allow_redirects=False, timeout=60).status_code in (302, 303)

    them = {"Authorization": f"Bearer {official}"}
    started = requests.post(f"{a}/v1/signing-sessions", headers=them, timeout=60, json={
        "document_id": doc.json()["id"], "certificate": cert_b64(dev_pki, "official-an"),
        "level": "B-B", "rsa_padding": "pss"})
    assert started.status_code == 201, started.text[:300]
    session = started.json()
    signature = token_sign(dev_pki, "official-an", session)
    done = requests.post(f"{b}/v1/signing-sessions/{session['id']}/signature", headers=them,
                         json={"signature": signature}, timeout=120)
    assert done.status_code == 200, done.text[:300]
    (_, st), = pyhanko_statuses(done.content, dev_pki.cert("root"), [dev_pki.cert("interm")])
    assert st.intact and st.valid and st.trusted, st.pretty_print_details()
    again = requests.post(f"{a}/v1/signing-sessions/{session['id']}/signature", headers=them,
                          json={"signature": signature}, timeout=120)
    assert again.status_code >= 400          # used once, whichever instance is asked
    content = requests.get(f"{c.base}/v1/documents/{doc.json()['id']}/content", headers=portal,
                           timeout=60)
    assert content.status_code == 200 and content.content == done.content


def test_kill_9_of_one_instance_under_load(cluster, dev_pki):
    """Signing through nginx from 3 clients; the first instance's master is killed with
    SIGKILL (its worker dies with it). Every answered signature has its audit record (same
    output hash), the chain verifies, and the other instance serves every later request."""
    c = cluster
    results: list[tuple[int, requests.Response]] = []
    lock, stop = threading.Lock(), threading.Event()

    def load(n: int) -> None:
        i = 0
        while not stop.is_set():
            resp = _sign(c, f"load {n}-{i}", key="dev-software", level="B-B")
            with lock:
                results.append((resp.status_code, resp))
            i += 1

    threads = [threading.Thread(target=load, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    try:
        end = time.monotonic() + 60
        while len(results) < 6 and time.monotonic() < end:
            time.sleep(0.05)
        victim = int((c.run_dir / f"signsvc-{c.instances[0]}.pid").read_text())
        os.kill(victim, signal.SIGKILL)
        killed_at = len(results)
        time.sleep(4)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=180)
    assert killed_at >= 6 and len(results) > killed_at, len(results)
    statuses = {s for s, _ in results}
    assert statuses <= {200, 503}, statuses
    for status, resp in results:
        if status == 503:        # nginx's own answer when the instance died mid-request
            assert resp.headers["Content-Type"].startswith("application/problem+json")
            assert b"%PDF" not in resp.content
    records = _audit_records(c)
    for status, resp in results:
        if status == 200:
            record = records[int(resp.headers["X-Audit-Sequence"])]
            assert record.output_sha256 == hashlib.sha256(resp.content).hexdigest()
    # the survivor takes every request now (nginx passes on refused connections, POST too)
    after = [_sign(c, f"after the kill {i}", key="dev-software", level="B-B") for i in range(4)]
    assert [r.status_code for r in after] == [200] * 4, [r.text[:200] for r in after]
    served = _served_by(c)
    assert {served[r.headers["X-Request-Id"]] for r in after} == {c.instances[1]}
    for r in after:
        (_, st), = pyhanko_statuses(r.content, dev_pki.cert("root"), [dev_pki.cert("interm")])
        assert st.intact and st.valid and st.trusted
    _audit_verifies(c)
    assert c.process.poll() is None          # the cluster keeps running on one instance
    assert f"instance {c.instances[0]}" in c.log.read_text()


def test_cluster_stop_leaves_no_process_and_frees_the_ports(cluster):
    c = cluster
    pids = [int(p.read_text()) for p in c.run_dir.glob("*.pid")]
    assert pids, list(c.run_dir.iterdir())
    stopped = c.stop()
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    c.process.wait(timeout=60)
    assert not [pid for pid in [*pids, c.process.pid] if _alive(pid)]
    # nor any gunicorn worker or nginx worker of this cluster (their command lines name its dirs)
    left = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if str(c.dirs) in (proc / "cmdline").read_text(errors="replace") \
                    and _alive(int(proc.name)):
                left.append(proc.name)
        except OSError:
            pass
    assert not left, left
    assert not any(_port_open(p) for p in (c.port, *c.instances))
    assert not list(c.run_dir.glob("*.pid")) and not list(c.run_dir.glob("*.ctl"))


def test_compose_runs_the_same_nginx_template(tmp_path):
    """compose.yaml: PostgreSQL, two signsvc instances on one database and state volume, and
    nginx on config/nginx.cluster.conf -- the file scripts/cluster.sh renders -- with every
    placeholder given a value that agrees with signsvc's defaults; rendered with those
    values, nginx accepts it; docker-compose validates the file against the Compose schema."""
    import yaml  # type: ignore[import-untyped]  # PyYAML (via certomancer) ships no stubs

    from signsvc.settings import load_settings

    nginx = require_tool("nginx")
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "signsvc-1", "signsvc-2", "nginx"} <= set(services)
    one, two = services["signsvc-1"], services["signsvc-2"]
    assert one["image"] == two["image"] and one["environment"] == two["environment"]
    assert "postgresql://" in one["environment"]["SIGNSVC_DATABASE__URL"]
    assert "signsvc-state:/var/lib/signsvc" in one["volumes"] == two["volumes"]
    pidfile = one["command"][one["command"].index("--pidfile") + 1]
    assert not pidfile.startswith("/var/lib/signsvc")   # not in the shared state volume

    front = services["nginx"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in front["volumes"]}
    template = mounts["/etc/nginx/templates/default.conf.template"]
    assert (REPO / template).resolve() == REPO / "config" / "nginx.cluster.conf"
    assert "config/nginx.cluster.conf" in SCRIPT.read_text()
    text = (REPO / template).read_text()
    env = front["environment"]
    placeholders = set(re.findall(r"\$\{(SIGNSVC_[A-Z_]+)\}", text))
    assert placeholders == {k for k in env if k.startswith("SIGNSVC_")}
    settings = load_settings(REPO / "config" / "signsvc.cluster.toml")
    svc, jobs = settings.service, settings.jobs
    assert env["SIGNSVC_CLIENT_MAX_BODY_SIZE"] == f"{svc.max_document_bytes // 1024 + 64}k"
    assert env["SIGNSVC_BATCH_MAX_BODY_SIZE"] == \
        f"{svc.batch_max_bytes // 1024 + 64 * (svc.batch_max_files + 1)}k"
    assert env["SIGNSVC_PROXY_READ_TIMEOUT"] == f"{int(svc.signing_timeout_seconds) + 30}s"
    assert env["SIGNSVC_JOBS_MAX_BODY_SIZE"] == \
        f"{jobs.max_total_bytes // 1024 + 64 * (jobs.max_files + 1)}k"
    assert re.findall(r"server (signsvc-\d):8080 max_fails=", env["SIGNSVC_UPSTREAM_SERVERS"]) \
        == ["signsvc-1", "signsvc-2"]

    # the compose values rendered (local listen line, upstream names resolvable here)
    (tmp_path / "listen.conf").write_text("listen 127.0.0.1:1;\n")
    values = {**env, "SIGNSVC_NGINX_LISTEN_CONF": str(tmp_path / "listen.conf"),
              "SIGNSVC_NGINX_ACCESS_LOG": str(tmp_path / "access.log"),
              "SIGNSVC_UPSTREAM_SERVERS": re.sub(r"signsvc-\d", "127.0.0.1",
                                                 env["SIGNSVC_UPSTREAM_SERVERS"])}
    for name in placeholders:
        text = text.replace("${" + name + "}", values[name])
    (tmp_path / "site.conf").write_text(text)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log; events {{}}\n"
        f"http {{ client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;\n"
        f"include {tmp_path}/site.conf; }}\n")
    check = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
                            "-c", str(tmp_path / "nginx.conf")],
                           capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr
    # the Compose schema: Debian 12's docker-compose 1.29 (no daemon needed) validates every
    # key, type and reference; it predates the top-level ``name`` of compose v2, the one line
    # left out for it
    checked = tmp_path / "compose.yaml"
    lines = (REPO / "compose.yaml").read_text().splitlines(keepends=True)
    assert sum(line.startswith("name:") for line in lines) == 1
    checked.write_text("".join(line for line in lines if not line.startswith("name:")))
    config = subprocess.run([require_tool("docker-compose"), "-f", str(checked),
                             "--project-directory", str(REPO), "config"],
                            capture_output=True, text=True, timeout=60, cwd=REPO)
    assert config.returncode == 0, config.stderr
    resolved = yaml.safe_load(config.stdout)["services"]
    assert [p["published"] for p in resolved["nginx"]["ports"]] == [443]   # nginx alone
    assert not any(resolved[n].get("ports") for n in ("postgres", "signsvc-1", "signsvc-2"))
    assert {n: c["condition"] for n, c in resolved["nginx"]["depends_on"].items()} == \
        {"signsvc-1": "service_healthy", "signsvc-2": "service_healthy"}
