"""Serve the test PKI's TSA, OCSP and CRLs on loopback -- TEST ONLY.

certomancer's Animator, with two changes: its web UI (which hands out test keys) and
time override are off, and response times are whole seconds. NSS (and so poppler's
``pdfsig``) rejects OCSP responses whose GeneralizedTime carries fractional seconds, which
certomancer writes by default; with whole seconds pdfsig can check revocation as a
relying party would.

    python certs/responders.py [--port 9180]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import CertomancerConfig

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "certs" / "dev" / "certomancer.yml"


class WholeSecondAnimator(Animator):
    """Animator whose responses carry times truncated to whole seconds."""

    def at_time(self, request):
        return super().at_time(request).replace(microsecond=0)


def make_app(var_dir: Path | None = None) -> WholeSecondAnimator:
    """The WSGI app serving /signsvc-dev/{tsa,ocsp,crls}/... for the dev PKI under var/."""
    var_dir = var_dir or Path(os.environ.get("SIGNSVC_VAR", REPO / "var"))
    cfg = CertomancerConfig.from_file(str(SPEC), key_search_dir=str(var_dir / "pki"))
    return WholeSecondAnimator(AnimatorArchStore(cfg.pki_archs), with_web_ui=False,
                               allow_time_override=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9180)
    args = parser.parse_args()
    from werkzeug.serving import run_simple

    run_simple("127.0.0.1", args.port, make_app(), threaded=True)


if __name__ == "__main__":
    main()
