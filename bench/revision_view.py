"""The revision view's share of a verification: time of ``revision_view`` alone and of the
whole ``PdfValidator.validate`` for documents of 10, 200 and 2000 pages, each signed with
the development software key and then given 5 incremental updates (a sticky note each).
Prints the median of ``-n`` runs per size.

    .venv/bin/python bench/revision_view.py [-n 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from signsvc.settings import load_settings  # noqa: E402
from signsvc.validation.pdfread import open_pdf, signature_entries  # noqa: E402
from signsvc.validation.revisions.view import revision_view  # noqa: E402
from signsvc.validation.trust import load_trust_anchors  # noqa: E402
from signsvc.validation.validator import PdfValidator  # noqa: E402
from tests.support import attack_pdfs as A  # noqa: E402
from tests.support.pdfs import make_pdf  # noqa: E402


def median_ms(fn, n: int) -> float:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=5)
    n = parser.parse_args().n
    settings = load_settings(REPO / "config" / "signsvc.toml")
    trust = load_trust_anchors(settings.trust.name, settings.trust.anchors,
                               settings.trust.intermediates, settings.trust.allow_sha1_roots)
    validator = PdfValidator(trust, policy_sha256=None, allow_fetching=False,
                             revocation_mode="soft-fail")
    print(f"{'pages':>6} {'revisions':>9} {'bytes':>9} {'revision view ms':>17} {'whole validation ms':>20}")
    for pages in (10, 200, 2000):
        data = A.sign(make_pdf(pages=pages))
        for _ in range(5):
            data = A.evil_annotation(data, "/Text")

        def view(data: bytes = data) -> float:
            reader = open_pdf(data)          # a fresh reader: no object cache carried over
            entries = signature_entries(reader)
            started = time.perf_counter()
            revision_view(reader, data, entries)
            return time.perf_counter() - started

        whole = median_ms(lambda data=data: validator.validate(data), n)
        alone = statistics.median(view() for _ in range(n)) * 1000
        print(f"{pages:>6} {open_pdf(data).xrefs.total_revisions:>9} {len(data):>9} {alone:>17.0f} {whole:>20.0f}")


if __name__ == "__main__":
    main()
