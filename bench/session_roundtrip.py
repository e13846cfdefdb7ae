"""Browser signing, server side: time of step 1 (prepare) + step 3 (verify and embed).

A ~100 KB PDF, the official's RSA-2048 certificate (SoftHSM2 token `official-an`), level
B-B (no TSA round trip: the figure is signsvc's own work). The token's signature (step 2,
on the official's PC) is made between the timed steps and not counted. Prints the median
and the ratio to the 50 ms target.

    .venv/bin/python bench/session_roundtrip.py [-n 40]
"""

from __future__ import annotations

import argparse
import base64
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from signsvc.adapters.pkcs11_keys import module_for  # noqa: E402
from signsvc.adapters.workflow_sql import SqlWorkflowStore  # noqa: E402
from signsvc.services.context import RequestContext  # noqa: E402
from tests.conftest import build_api  # noqa: E402
from tests.support.pdfs import make_pdf  # noqa: E402
from tests.support.validate import load_cert  # noqa: E402

PKI = REPO / "var" / "pki"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=40)
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="signsvc-bench-"))
    api = build_api(state)
    ctx = RequestContext("bench", "tests", "admin")
    _, api.tokens["an"] = api.services.clients.create("an", "official", (), ctx)
    cert = load_cert(PKI / "certs" / "official-an.cert.pem")
    SqlWorkflowStore(state / "workflow.sqlite3").register_certificate("an", cert.sha256.hex(), "an")
    cert_b64 = base64.b64encode(cert.dump()).decode()
    token = module_for("/usr/lib/softhsm/libsofthsm2.so").lib().get_token(token_label="official-an")
    session = token.open(user_pin=(REPO / "var/secrets/official-an.pin").read_text().strip())
    from pkcs11 import MGF, Attribute, Mechanism, ObjectClass
    key = next(session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY}))
    pdf = make_pdf(3, pad_to=100 * 1024)

    step1, step3 = [], []
    for i in range(args.n + 3):
        doc = api.client.post("/v1/documents", query_string={"title": "Bench", "number": str(i),
                                                             "assignee": "an"},
                              data=pdf, headers=api.headers("portal", **{"Content-Type": "application/pdf"})
                              ).get_json()
        t = time.perf_counter()
        s = api.client.post("/v1/signing-sessions", headers=api.headers("an"),
                            json={"document_id": doc["id"], "certificate": cert_b64, "level": "B-B"})
        t1 = time.perf_counter() - t
        body = s.get_json()
        raw = key.sign(base64.b64decode(body["hash"]), mechanism=Mechanism.RSA_PKCS_PSS,
                       mechanism_param=(Mechanism.SHA256, MGF.SHA256, body["pss_salt_length"]))
        t = time.perf_counter()
        done = api.client.post(f"/v1/signing-sessions/{body['id']}/signature", headers=api.headers("an"),
                               json={"signature": base64.b64encode(raw).decode()})
        t3 = time.perf_counter() - t
        assert done.status_code == 200, done.get_json()
        if i >= 3:
            step1.append(t1)
            step3.append(t3)
    session.close()
    total = [a + b for a, b in zip(step1, step3)]
    med = statistics.median(total)
    print(f"PDF {len(pdf) / 1024:.0f} KiB, RSA-2048 (official-an, SoftHSM2), B-B, {args.n} sessions")
    print(f"step 1 (prepare, policy, store)   median {statistics.median(step1) * 1000:7.2f} ms")
    print(f"step 3 (verify, embed, store)     median {statistics.median(step3) * 1000:7.2f} ms")
    print(f"step 1 + step 3                   median {med * 1000:7.2f} ms  "
          f"({med * 1000 / 50:.2f}x the 50 ms target)")
    api.services.shutdown()


if __name__ == "__main__":
    main()
