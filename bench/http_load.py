"""Load over HTTP: signing and verification at concurrency 1, 8 and 32, against references.

Starts `signsvc serve` itself (loopback, a temporary state folder, config/policy.toml with
the rate limits lifted) and drives for a bounded time per cell, one kept-alive connection
per client thread, POST /v1/sign for each development key (agency-seal: RSA on SoftHSM2,
agency-seal-ec: ECDSA on SoftHSM2, dev-software: PKCS#12) at B-B and B-T, and POST
/v1/verify of a small and a 3 MB signed PDF. It prints per cell the rate, p50/p95/p99 and
errors (by status, problem code and rule), as ratios to references measured in the same
run: stock pyHanko (`SimpleSigner.load` + `sign_pdf` per document, sequential, in this
process) for signing, `pdfsig` per file for verification. Last, a fresh one-worker service
signs and verifies a 25 MB document: the worker's peak RSS above rest, per document byte.

    make bench                 (core bench, then this; about 4-5 minutes)
    .venv/bin/python bench/http_load.py --duration 2 --concurrency 1,8 --keys agency-seal \
        --levels B-B --no-verify --no-memory          (a one-minute look)

The machine is shared: absolute figures are noisy, ratios in one run are what count.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.pdfs import make_pdf  # noqa: E402

SIGNSVC = str(REPO / ".venv" / "bin" / "signsvc")
PKI = REPO / "var" / "pki"
KEYS = ("agency-seal", "agency-seal-ec", "dev-software")
LEVELS = ("B-B", "B-T")


# -- the service -------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_policy(text: str) -> str:
    """The shipped policy with every rate/quota limit raised out of reach (the rules stay)."""
    return re.sub(r"(?m)^(per_(?:minute|day)\s*=\s*)\d+", r"\g<1>1000000000", text)


class Service:
    """`signsvc serve` on loopback with its own state folder; stopped on exit."""

    keep = False    # --keep-state: leave the state folder and serve.log for a look afterwards

    def __init__(self, workers: int, threads: int) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="signsvc-http-load-"))
        policy = self.dir / "policy.toml"
        policy.write_text(bench_policy((REPO / "config" / "policy.toml").read_text()))
        state = self.dir / "state"
        self.env = {**os.environ, "SIGNSVC_SERVICE__STATE_DIR": str(state),
                    "SIGNSVC_AUDIT__PATH": str(state / "audit.sqlite3"),
                    "SIGNSVC_POLICY__PATH": str(policy)}
        self.workers, self.threads = workers, threads
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Service:
        out = subprocess.run([SIGNSVC, "clients", "create", "bench", "--role", "portal",
                              "--keys", ",".join(KEYS)], env=self.env, cwd=REPO,
                             capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise SystemExit(f"signsvc clients create failed:\n{out.stderr}")
        self.token = out.stdout.splitlines()[-1].strip()
        self.log = open(self.dir / "serve.log", "wb")
        self.proc = subprocess.Popen(
            [SIGNSVC, "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", str(self.workers), "--threads", str(self.threads)],
            env=self.env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=self.log,
            start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"signsvc serve exited; see {self.dir / 'serve.log'}")
            try:
                urllib.request.urlopen(self.base + "/readyz", timeout=2).read()
                return self
            except OSError:
                time.sleep(0.2)
        raise SystemExit("signsvc serve did not become ready within 60 s")

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        if self.keep:
            print(f"state and serve.log kept in {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def worker_pids(self) -> list[int]:
        """The gunicorn workers (children of the master, which is ``signsvc serve`` itself)."""
        pid = self.proc.pid   # type: ignore[union-attr]
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def request(conn: http.client.HTTPConnection, path: str, body: bytes, headers: dict) -> tuple[int, bytes]:
    conn.request("POST", path, body=body, headers=headers)
    resp = conn.getresponse()
    return resp.status, resp.read()


def one_request(svc: Service, path: str, body: bytes, headers: dict) -> tuple[int, bytes]:
    """One request on a connection of its own (gunicorn closes idle ones after 2 s)."""
    conn = http.client.HTTPConnection("127.0.0.1", svc.port, timeout=600)
    try:
        return request(conn, path, body, headers)
    finally:
        conn.close()


# -- load --------------------------------------------------------------------------------

@dataclass
class Cell:
    name: str
    concurrency: int
    latencies: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    elapsed: float = 0.0
    ref: float = 0.0      # the reference's rate around this cell (same machine, same minute)
    cpu_ms: float = float("nan")  # the workers' CPU time (user + system) per counted request
    load: float = float("nan")    # the machine's 1-minute load average at the cell's end

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        return data[min(len(data) - 1, round(p / 100 * (len(data) - 1)))] * 1000


def _workers_cpu(svc: Service) -> float:
    """Seconds of CPU (user + system) the gunicorn workers have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in svc.worker_pids():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])   # utime, stime (stat fields 14 and 15)
    return total / ticks


def drive(svc: Service, name: str, path: str, body: bytes, headers: dict, concurrency: int,
          duration: float, warmup: float) -> Cell:
    """``concurrency`` threads, each with its own kept-alive connection, send requests back
    to back for ``warmup + duration`` seconds; what completes within the last ``duration``
    seconds is counted (rate, latencies, errors), requests still running at the end are
    waited for and not counted."""
    cell = Cell(name, concurrency)
    lock = threading.Lock()
    t0 = time.monotonic() + warmup
    t1 = t0 + duration

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", svc.port, timeout=120)
        while True:
            begin = time.monotonic()
            if begin >= t1:
                break
            try:
                status, data = request(conn, path, body, headers)
                err = None if status == 200 else f"{status} {_problem_code(data)}"
            except (OSError, http.client.HTTPException) as exc:
                err = type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", svc.port, timeout=120)
                time.sleep(0.05)   # a service that is down is not hammered
            end = time.monotonic()
            if t0 <= end <= t1:
                with lock:
                    if err is None:
                        cell.latencies.append(end - begin)
                    else:
                        cell.errors[err] += 1
        conn.close()

    cpu: list[float] = []

    def meter() -> None:  # the workers' CPU over the measured window only
        for moment in (t0, t1):
            time.sleep(max(0.0, moment - time.monotonic()))
            cpu.append(_workers_cpu(svc))

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    threads.append(threading.Thread(target=meter, daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cell.elapsed = duration
    if len(cpu) == 2 and cell.latencies:
        cell.cpu_ms = (cpu[1] - cpu[0]) * 1000 / len(cell.latencies)
    cell.load = os.getloadavg()[0]
    return cell


def _problem_code(data: bytes) -> str:
    try:
        problem = json.loads(data)
        return str(problem.get("code", "?")) + (f" ({problem['rule']})" if "rule" in problem else "")
    except (ValueError, AttributeError):
        return "?"


# -- references --------------------------------------------------------------------------

def stock_pyhanko(pdf: bytes):
    """One signature by pyHanko as its documentation shows it (key loaded per document)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    def once() -> None:
        signer = signers.SimpleSigner.load(
            str(PKI / "keys" / "dev-software.key.pem"), str(PKI / "certs" / "dev-software.cert.pem"),
            ca_chain_files=(str(PKI / "certs" / "interm.cert.pem"),))
        meta = signers.PdfSignatureMetadata(field_name="Signature1",
                                            subfilter=fields.SigSeedSubFilter.PADES)
        signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer,
                         output=io.BytesIO())
    return once


def pdfsig_rate(path: Path, duration: float) -> float:
    """Files per second of `pdfsig -nssdir` (trusting the test root) run once per file."""
    exe = shutil.which("pdfsig")
    if exe is None:
        raise SystemExit("pdfsig is not installed; run `make deps`")
    cmd = [exe, "-nssdir", f"sql:{PKI / 'nssdb'}", str(path)]
    return _sequential_rate(lambda: subprocess.run(cmd, capture_output=True, check=False), duration)


def _sequential_rate(fn, duration: float) -> float:
    fn()
    n, start = 0, time.monotonic()
    while time.monotonic() - start < duration or n < 2:
        fn()
        n += 1
    return n / (time.monotonic() - start)


# -- memory ------------------------------------------------------------------------------

def _status_kib(pid: int, field_name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    raise KeyError(field_name)


def peak_memory(size: int) -> list[tuple[str, int, int, int]]:
    """(operation, document bytes, resting RSS KiB, peak RSS KiB) of a fresh one-worker
    service signing (B-B, dev-software) and verifying a ``size``-byte document."""
    big = make_pdf(1, pad_to=size)
    rows = []
    with Service(workers=1, threads=2) as svc:
        (pid,) = svc.worker_pids()
        auth = {"Authorization": f"Bearer {svc.token}", "Content-Type": "application/pdf"}
        small = make_pdf(1)
        status, signed_small = one_request(svc, "/v1/sign?key=dev-software&level=B-B", small, auth)
        assert status == 200, signed_small[:300]
        one_request(svc, "/v1/verify", signed_small, {**auth, "Accept": "application/json"})
        signed_big = b""  # the sign row's result, the verify row's body
        for op, path, body in (("sign B-B", "/v1/sign?key=dev-software&level=B-B", big),
                               ("verify", "/v1/verify", None)):
            if body is None:
                body = signed_big
            rest = _status_kib(pid, "VmRSS")
            Path(f"/proc/{pid}/clear_refs").write_text("5")   # reset VmHWM to the current RSS
            status, data = one_request(svc, path, body, {**auth, "Accept": "application/json"}
                                       if op == "verify" else auth)
            if status != 200:
                raise SystemExit(f"{op} of the {size} byte document failed: {status} {data[:300]!r}")
            if op.startswith("sign"):
                signed_big = data
            rows.append((op, len(body), rest, _status_kib(pid, "VmHWM")))
    return rows


def targets(cells: list[Cell], pdfsig: dict[str, float]) -> None:
    """Issue 13's targets, checked on this run's figures (ratios within the run)."""
    for cell in cells:
        if cell.concurrency != 8:
            continue
        errors = sum(cell.errors.values())
        if cell.name.startswith("sign") and cell.name.endswith("B-B") and cell.ref:
            ok = cell.rate >= 35 * cell.ref and cell.pct(99) <= 150 and errors == 0
            print(f"target {cell.name}, 8 clients: >= 35x pyHanko ({cell.rate / cell.ref:.1f}x), "
                  f"p99 <= 150 ms ({cell.pct(99):.0f}), 0 errors ({errors}): "
                  f"{'met' if ok else 'NOT met'}")
        elif cell.name.startswith("verify small") and "small" in pdfsig:
            ok = cell.rate >= 100 and cell.rate >= 6 * pdfsig["small"] and errors == 0
            print(f"target {cell.name}, 8 clients: >= 100/s ({cell.rate:.0f}) and >= 6x pdfsig "
                  f"({cell.rate / pdfsig['small']:.1f}x): {'met' if ok else 'NOT met'}")


# -- main --------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=4.0, help="measured seconds per cell (4)")
    ap.add_argument("--warmup", type=float, default=0.7, help="unmeasured seconds per cell")
    ap.add_argument("--ref-slice", type=float, default=1.5,
                    help="seconds of stock pyHanko measured before each signing cell (1.5)")
    ap.add_argument("--concurrency", default="1,8,32", help="client counts (1,8,32)")
    ap.add_argument("--keys", default=",".join(KEYS))
    ap.add_argument("--levels", default=",".join(LEVELS))
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers (2, as make run)")
    ap.add_argument("--threads", type=int, default=4, help="threads per worker (4, as make run)")
    for part in ("sign", "verify", "memory"):
        ap.add_argument(f"--no-{part}", action="store_true", help=f"skip the {part} cells")
    ap.add_argument("--memory-mb", type=float, default=25.0, help="document size for RSS (25)")
    ap.add_argument("--keep-state", action="store_true", help="keep state folders and serve.log")
    args = ap.parse_args()
    Service.keep = args.keep_state
    conc = [int(c) for c in args.concurrency.split(",")]
    keys, levels = args.keys.split(","), args.levels.split(",")
    began = time.monotonic()
    # the TSA/OCSP/CRL responders on 127.0.0.1:9180 (idempotent, as `make bench` does)
    subprocess.run(["bash", str(REPO / "scripts" / "responders.sh"), "start"], check=True,
                   stdout=subprocess.DEVNULL, timeout=60)

    sign_pdf = make_pdf(3, pad_to=100 * 1024)
    stock_once = stock_pyhanko(sign_pdf)
    slices: list[float] = []     # stock pyHanko's rate, measured before each signing cell
    cells: list[Cell] = []
    pdfsig: dict[str, float] = {}
    with Service(args.workers, args.threads) as svc, tempfile.TemporaryDirectory() as tmp:
        auth = {"Authorization": f"Bearer {svc.token}", "Content-Type": "application/pdf"}
        if not args.no_sign:
            for key in keys:
                for level in levels:
                    for c in conc:
                        slices.append(_sequential_rate(stock_once, args.ref_slice))
                        cells.append(drive(svc, f"sign {key} {level}",
                                           f"/v1/sign?key={key}&level={level}", sign_pdf, auth, c,
                                           args.duration, args.warmup))
            slices.append(_sequential_rate(stock_once, args.ref_slice))
            for cell, before, after in zip(cells, slices, slices[1:]):
                cell.ref = (before + after) / 2
        if not args.no_verify:
            for label, pdf in (("small", make_pdf(1)), ("3 MB", make_pdf(1, pad_to=3_000_000))):
                status, signed = one_request(svc, "/v1/sign?key=agency-seal&level=B-T", pdf, auth)
                if status != 200:
                    raise SystemExit(f"could not sign the {label} document: {status} {signed[:300]!r}")
                path = Path(tmp) / f"{label.replace(' ', '')}.pdf"
                path.write_bytes(signed)
                pdfsig[label] = pdfsig_rate(path, min(args.duration, 3.0))
                for c in conc:
                    cells.append(drive(svc, f"verify {label} ({len(signed) // 1024} KiB)",
                                       "/v1/verify", signed, {**auth, "Accept": "application/json"},
                                       c, args.duration, args.warmup))
    memory = [] if args.no_memory else peak_memory(int(args.memory_mb * 1_000_000))

    print(f"signsvc over HTTP (gunicorn {args.workers} workers x {args.threads} threads, loopback, "
          f"{os.cpu_count()} CPUs), "
          f"{args.duration:g} s per cell; signing: {len(sign_pdf) // 1024} KiB PDF")
    stock = statistics.median(slices) if slices else 0.0
    if stock:
        print(f"reference: stock pyHanko (SimpleSigner.load + sign_pdf per document), sequential, "
              f"measured for {args.ref_slice:g} s before each signing cell and after the last: "
              f"median {stock:.1f}/s (min {min(slices):.1f}, max {max(slices):.1f}); each signing "
              "cell's ratio is to the mean of the measurements just before and after it")
    for label, rate in pdfsig.items():
        print(f"reference: pdfsig per file, {label} document: {rate:.1f}/s, sequential")
    print(f"{'cell':<38} {'clients':>7} {'n':>6} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8} {'errors':>6} {'ratio':>14} {'cpu ms/req':>10} {'load':>5}")
    for cell in cells:
        if cell.name.startswith("sign"):
            ratio = f"{cell.rate / cell.ref:6.1f}x pyHanko" if cell.ref else ""
        else:
            ref = pdfsig.get(cell.name.split(" (")[0].removeprefix("verify "))
            ratio = f"{cell.rate / ref:6.1f}x pdfsig" if ref else ""
        errors = sum(cell.errors.values())
        print(f"{cell.name:<38} {cell.concurrency:>7} {len(cell.latencies):>6} {cell.rate:8.1f} "
              f"{cell.pct(50):8.1f} {cell.pct(95):8.1f} {cell.pct(99):8.1f} {errors:>6} {ratio:>14} "
              f"{cell.cpu_ms:10.1f} {cell.load:5.1f}")
        if errors:
            print(f"{'':<38}   errors: " + ", ".join(f"{k} x{v}" for k, v in cell.errors.most_common()))
    print(f"cpu ms/req: the gunicorn workers' CPU time over a cell per request it counted "
          f"({os.cpu_count()} CPUs bound a CPU-bound cell at about {os.cpu_count()} x 1000 / that); "
          "load: the 1-minute load average at the cell's end (other processes share the CPUs)")
    targets(cells, pdfsig)
    for op, size, rest, peak in memory:
        print(f"memory: {op} of a {size / 1e6:.1f} MB document: worker RSS {rest / 1024:.0f} MiB at "
              f"rest, peak {peak / 1024:.0f} MiB, +{(peak - rest) * 1024 / size:.1f}x the document")
    print(f"total time {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
