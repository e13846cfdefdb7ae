"""Signing throughput: stock pyHanko vs signsvc's core (software, SoftHSM2) vs HTTP.

Signs the same ~100 KB PDF repeatedly at level B-B (no TSA round trip, so the figures
measure signsvc, not the network) and prints ms per signature, signatures per second,
and each figure's ratio to stock pyHanko measured in the same run.

    make bench            (or: .venv/bin/python bench/sign_throughput.py [-n 40])

"Stock pyHanko" is what its documentation shows for one document:
``SimpleSigner.load(key, cert, ca_chain_files)`` then ``signers.sign_pdf(...)``, per
document (the key is parsed every time and, with no size given, the CMS is built twice).
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.sign import fields, signers  # noqa: E402

from signsvc.app import open_keys  # noqa: E402
from signsvc.settings import load_settings  # noqa: E402
from signsvc.signing.pades import PadesSigner, SignatureRequest  # noqa: E402
from signsvc.signing.pdf_input import open_for_signing  # noqa: E402
from tests.support.pdfs import make_pdf  # noqa: E402

PKI = REPO / "var" / "pki"


def timed(fn, n: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def interleaved(fns: dict, n: int, warmup: int = 3) -> dict[str, list[float]]:
    """Time every variant in turn, round after round, so that drift on a shared machine
    (other load, CPU frequency) falls on all of them alike."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    out: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(n):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            out[name].append(time.perf_counter() - t)
    return out


def stock_pyhanko(pdf: bytes):
    def once():
        signer = signers.SimpleSigner.load(
            str(PKI / "keys" / "dev-software.key.pem"), str(PKI / "certs" / "dev-software.cert.pem"),
            ca_chain_files=(str(PKI / "certs" / "interm.cert.pem"),))
        meta = signers.PdfSignatureMetadata(field_name="Signature1",
                                            subfilter=fields.SigSeedSubFilter.PADES)
        signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer,
                         output=io.BytesIO())
    return once


def core(pdf: bytes, pades: PadesSigner, key):
    req = SignatureRequest(level="B-B")
    return lambda: pades.sign(open_for_signing(pdf), key, req)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def over_http(pdf: bytes, n: int, key: str) -> tuple[list[float], str]:
    """Start `signsvc serve` (gunicorn, 1 worker) on a free loopback port; sign over HTTP."""
    state = tempfile.mkdtemp(prefix="signsvc-bench-")
    env = {**os.environ, "SIGNSVC_SERVICE__STATE_DIR": state,
           "SIGNSVC_AUDIT__PATH": f"{state}/audit.sqlite3"}
    signsvc = str(REPO / ".venv" / "bin" / "signsvc")
    token = subprocess.run([signsvc, "clients", "create", "bench", "--role", "portal", "--keys", key],
                           env=env, capture_output=True, text=True, check=True).stdout.splitlines()[-1]
    port = _free_port()
    server = subprocess.Popen([signsvc, "serve", "--port", str(port), "--workers", "1", "--threads", "2"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)

        def once():
            req = urllib.request.Request(f"{base}/v1/sign?key={key}&level=B-B", data=pdf, method="POST",
                                         headers={"Authorization": f"Bearer {token}",
                                                  "Content-Type": "application/pdf"})
            with urllib.request.urlopen(req, timeout=30) as resp:
                resp.read()
        return timed(once, n), "gunicorn 1 worker, sequential requests"
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=40, help="signatures per variant")
    args = parser.parse_args()
    pdf = make_pdf(3, pad_to=100 * 1024)
    settings = load_settings(REPO / "config" / "signsvc.toml")
    keys = open_keys(settings)
    pades = PadesSigner(timestamper=None)

    samples = interleaved({
        "stock pyHanko (SimpleSigner.load + sign_pdf per doc)": stock_pyhanko(pdf),
        "signsvc core, software key (RSA-2048)": core(pdf, pades, keys.get("dev-software")),
        "signsvc core, SoftHSM2 key (RSA-2048)": core(pdf, pades, keys.get("agency-seal")),
        "signsvc core, SoftHSM2 key (ECDSA P-256)": core(pdf, pades, keys.get("agency-seal-ec")),
    }, args.n)
    rows = list(samples.items())
    http, note = over_http(pdf, args.n, "agency-seal")
    rows.append((f"signsvc over HTTP, SoftHSM2 RSA ({note})", http))
    keys.close()

    stock = statistics.median(rows[0][1])
    print(f"PDF size: {len(pdf) / 1024:.0f} KiB, level B-B, {args.n} signatures per variant, "
          "interleaved (median)")
    print(f"{'variant':<72} {'ms/sig':>8} {'sig/s':>8} {'speed-up vs stock':>18}")
    for name, samples in rows:
        med = statistics.median(samples)
        print(f"{name:<72} {med * 1000:8.2f} {1 / med:8.1f} {stock / med:17.2f}x")
    soft, hsm = statistics.median(rows[1][1]), statistics.median(rows[2][1])
    print(f"SoftHSM2 RSA path / software path: {hsm / soft:.2f}x (target <= 1.5x)")
    print(f"signsvc core (software) vs stock: {stock / soft:.2f}x faster (target >= 30x)")
    print(f"signsvc core (software RSA-2048): {soft * 1000:.2f} ms per signature (target <= 6 ms; "
          "absolute: shared machine, see the ratio)")


if __name__ == "__main__":
    main()
