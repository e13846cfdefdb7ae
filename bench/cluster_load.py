"""Signatures per second through nginx with one and with two signsvc instances (issue 16).

Starts the production shape twice with `scripts/cluster.sh run` (what `make cluster` runs),
each time on free ports, its own state folder and a fresh database in the throwaway
PostgreSQL (scripts/postgres.sh): first with one instance (CLUSTER_INSTANCE_PORTS="A"),
then with two ("A B"), nginx in front. In each it signs one document through nginx and
validates it (pyHanko), then N concurrent clients, each on its own kept-alive connection,
POST /v1/sign back to back through nginx for a bounded time (bench/http_load.py's drive,
the shipped policy with its rate limits lifted). It prints per shape the signatures per
second, p50/p99, errors and the instances' worker CPU per signature, then the ratio.

    make bench-cluster
    .venv/bin/python bench/cluster_load.py --clients 8 --duration 10 --key agency-seal --level B-T

The machine is shared: a second instance on the same cores adds availability, not
throughput; the ratio says what it costs or gains here.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from http_load import Cell, bench_policy, drive  # noqa: E402

from tests.support.pdfs import make_pdf  # noqa: E402
from tests.support.postgres import drop_database, fresh_database  # noqa: E402
from tests.support.server import free_port  # noqa: E402
from tests.support.validate import pyhanko_statuses  # noqa: E402

SIGNSVC = str(REPO / ".venv" / "bin" / "signsvc")
SCRIPT = REPO / "scripts" / "cluster.sh"
PKI = REPO / "var" / "pki" / "certs"


class Front:
    """A running `scripts/cluster.sh run` with ``instances`` instances; what ``drive`` needs
    (``port``: nginx's; ``worker_pids``: the gunicorn workers of every instance)."""

    def __init__(self, instances: int, workers: int, threads: int, keep: bool) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix=f"signsvc-cluster-load-{instances}-"))
        self.keep = keep
        self.port = free_port()
        self.instance_ports = [free_port() for _ in range(instances)]
        policy = self.dir / "policy.toml"
        policy.write_text(bench_policy((REPO / "config" / "policy.toml").read_text()))
        self.db_url, self.db_name = fresh_database(f"bench cluster {instances}")
        self.env = {**os.environ,
                    "SIGNSVC_CONFIG": str(REPO / "config" / "signsvc.cluster.toml"),
                    "CLUSTER_PORT": str(self.port),
                    "CLUSTER_INSTANCE_PORTS": " ".join(map(str, self.instance_ports)),
                    "CLUSTER_DIR": str(self.dir / "cluster"),
                    "CLUSTER_RUN_DIR": str(self.dir / "run"),
                    "CLUSTER_WORKERS": str(workers), "CLUSTER_THREADS": str(threads),
                    "SIGNSVC_SERVICE__STATE_DIR": str(self.dir / "state"),
                    "SIGNSVC_POLICY__PATH": str(policy),
                    "SIGNSVC_AUDIT__CHECKPOINT_KEY": '""',
                    "SIGNSVC_DATABASE__URL": f'"{self.db_url}"'}
        self.log_path = self.dir / "cluster.log"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Front:
        started = time.monotonic()
        with open(self.log_path, "wb") as out:
            self.proc = subprocess.Popen(["bash", str(SCRIPT), "run"], env=self.env, cwd=REPO,
                                         stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        while "cluster: ready in" not in self.log_path.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() - started > 240:
                self.__exit__()
                raise SystemExit(f"scripts/cluster.sh did not get ready:\n"
                                 f"{self.log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        made = subprocess.run([SIGNSVC, "clients", "create", "bench", "--role", "portal",
                               "--keys", "agency-seal,agency-seal-ec,dev-software"],
                              env=self.env, cwd=REPO, capture_output=True, text=True, timeout=120)
        if made.returncode != 0:
            self.__exit__()
            raise SystemExit(f"signsvc clients create failed:\n{made.stderr}")
        self.token = made.stdout.strip().splitlines()[-1]
        return self

    def __exit__(self, *exc: object) -> None:
        # `stop` waits for the run script to be gone: reap it meanwhile (a zombie looks alive)
        stopping = subprocess.Popen(["bash", str(SCRIPT), "stop"], env=self.env, cwd=REPO,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if self.proc is not None:
            try:
                self.proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        stopping.wait(timeout=120)
        drop_database(self.db_name)
        if self.keep:
            print(f"cluster folders and logs kept in {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def worker_pids(self) -> list[int]:
        pids: list[int] = []
        for port in self.instance_ports:
            try:
                master = int((self.dir / "run" / f"signsvc-{port}.pid").read_text().strip())
                children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
            except (OSError, ValueError):
                continue
            pids.extend(int(p) for p in children)
        return pids


def check_one_signature(front: Front, path: str, headers: dict) -> None:
    """One signature through nginx, validated (intact, valid, trusted) before the load."""
    req = urllib.request.Request(f"http://127.0.0.1:{front.port}{path}", method="POST",
                                 data=make_pdf(1, text="cluster bench check"), headers=headers)
    with urllib.request.urlopen(req, timeout=120) as resp:
        signed = resp.read()
    (_, sig), = pyhanko_statuses(signed, PKI / "root.cert.pem", [PKI / "interm.cert.pem"])
    if not (sig.intact and sig.valid and sig.trusted):
        raise SystemExit(f"the check signature is not valid:\n{sig.pretty_print_details()}")


def line(name: str, cell: Cell) -> str:
    errors = ", ".join(f"{k} x{v}" for k, v in cell.errors.most_common(4)) or "none"
    return (f"{name}: {cell.rate:7.1f} signatures/s  p50 {cell.pct(50):7.1f} ms  "
            f"p99 {cell.pct(99):7.1f} ms  worker CPU {cell.cpu_ms:6.1f} ms/signature  "
            f"({len(cell.latencies)} signed, errors: {errors})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=8, help="concurrent clients (8)")
    ap.add_argument("--duration", type=float, default=10.0, help="measured seconds (10)")
    ap.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds first (2)")
    ap.add_argument("--key", default="dev-software", help="signing key (dev-software)")
    ap.add_argument("--level", default="B-B", help="PAdES level (B-B)")
    ap.add_argument("--workers", type=int, default=1, help="gunicorn workers per instance (1)")
    ap.add_argument("--threads", type=int, default=4, help="threads per worker (4)")
    ap.add_argument("--keep", action="store_true", help="keep the cluster folders and logs")
    args = ap.parse_args()

    path = f"/v1/sign?key={args.key}&level={args.level}"
    pdf = make_pdf(1, text="cluster load")
    cells: dict[int, Cell] = {}
    print(f"{args.clients} clients through nginx, POST {path}, {args.duration:g} s each "
          f"(+{args.warmup:g} s warm-up), {args.workers} worker(s) x {args.threads} threads "
          f"per instance, {os.cpu_count()} cores", flush=True)
    for instances in (1, 2):
        with Front(instances, args.workers, args.threads, args.keep) as front:
            headers = {"Authorization": f"Bearer {front.token}",
                       "Content-Type": "application/pdf"}
            check_one_signature(front, path, headers)
            cell = drive(front, f"{instances} instance(s)", path, pdf, headers,  # type: ignore[arg-type]
                         args.clients, args.duration, args.warmup)
            cells[instances] = cell
            print(line(f"{instances} instance{'s' if instances > 1 else ' '}", cell), flush=True)
    one, two = cells[1], cells[2]
    ratio = two.rate / one.rate if one.rate else float("nan")
    print(f"two instances / one: {ratio:.2f}x signatures per second, "
          f"p50 {two.pct(50) / one.pct(50):.2f}x, p99 {two.pct(99) / one.pct(99):.2f}x")
    if one.errors or two.errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
