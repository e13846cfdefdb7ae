"""``signsvc sign IN OUT --key K --profile P …``: visible signatures from the command line,
with the API's parameters under the same names, checked by the same code and refused with
the same messages (exit status 2, nothing written, audited). Real SoftHSM2 key, test PKI,
pdfsig and pyHanko on every signed output."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, build_api
from tests.support import visual_cases as vc
from tests.support.appearance import pdftotext, seal_png, widget
from tests.support.tools import pdfsig
from tests.support.validate import pyhanko_statuses

SIGNSVC = str(REPO / ".venv" / "bin" / "signsvc")
MM = 72 / 25.4


@pytest.fixture(scope="module")
def cli(dev_pki, responders, tmp_path_factory):
    """Run ``signsvc`` on a state folder of its own, the seal image registered by the CLI."""
    base = tmp_path_factory.mktemp("cli-sign")
    state = base / "state"
    env = {**os.environ, "SIGNSVC_SERVICE__STATE_DIR": str(state),
           "SIGNSVC_AUDIT__PATH": str(state / "audit.sqlite3"), "SIGNSVC_AUDIT__CHECKPOINT_KEY": ""}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([SIGNSVC, *args], env=env, cwd=REPO, capture_output=True,
                              text=True, timeout=120)

    (base / "seal.png").write_bytes(seal_png())
    added = run("images", "add", "seal-cli", str(base / "seal.png"), "--kind", "seal", "--key",
                "agency-seal", "--diameter-mm", "38")
    assert added.returncode == 0, added.stderr
    src = base / "in.pdf"
    src.write_bytes(vc.TEMPLATE)
    run.base, run.src, run.state = base, src, state
    return run


def _valid_everywhere(path: Path, dev_pki) -> None:
    (status,) = [st for _, st in pyhanko_statuses(path.read_bytes(), dev_pki.cert("root"),
                                                   [dev_pki.cert("interm")])]
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    (sig,) = pdfsig(path, dev_pki.nssdb)
    assert sig.signature_valid and sig.certificate_trusted, sig.raw


def test_seal_placed_by_page_and_rect(cli, dev_pki):
    out = cli.base / "seal.pdf"
    proc = cli("sign", str(cli.src), str(out), "--key", "agency-seal", "--level", "B-T",
               "--profile", "seal", "--image", "seal-cli", "--page", "1",
               "--rect", "360,100,520,260")
    assert proc.returncode == 0, proc.stderr
    assert "Đã ký / signed" in proc.stdout
    _, rect, _ = widget(out.read_bytes(), "Signature1")
    # the seal at its physical size (38 mm), centred on the given box
    assert rect[2] - rect[0] == pytest.approx(38 * MM, abs=0.05)
    assert (rect[0] + rect[2]) / 2 == pytest.approx(440, abs=0.01)
    assert (rect[1] + rect[3]) / 2 == pytest.approx(180, abs=0.01)
    _valid_everywhere(out, dev_pki)


def test_copy_stamp_and_anchor_text(cli, dev_pki, tmp_path):
    copy = cli.base / "copy.pdf"
    proc = cli("sign", str(cli.src), str(copy), "--key", "agency-seal", "--level", "B-T",
               "--profile", "copy", "--copy-kind", "sao-luc", "--agency", "Sở Nội vụ tỉnh Thử Nghiệm")
    assert proc.returncode == 0, proc.stderr
    _, rect, _ = widget(copy.read_bytes(), "Signature1")
    lines = [x for x in pdftotext(copy.read_bytes(), tmp_path, rect).replace("\x0c", "").splitlines()
             if x.strip()]
    assert lines[:2] == ["SAO LỤC", "Sở Nội vụ tỉnh Thử Nghiệm"]
    _valid_everywhere(copy, dev_pki)

    text = cli.base / "text.pdf"
    proc = cli("sign", str(cli.src), str(text), "--key", "agency-seal", "--level", "B-B",
               "--profile", "text", "--anchor", "GIÁM ĐỐC", "--anchor-position", "below",
               "--size", "220,50", "--name", "Trần Thị Bích", "--lines", "signer,time")
    assert proc.returncode == 0, proc.stderr
    _, rect, _ = widget(text.read_bytes(), "Signature1")
    assert rect[2] - rect[0] == pytest.approx(220, abs=0.01) and rect[3] <= 330
    lines = [x for x in pdftotext(text.read_bytes(), tmp_path, rect).replace("\x0c", "").splitlines()
             if x.strip()]
    assert lines[0] == "Người ký: Trần Thị Bích" and lines[1].startswith("Thời gian ký: ")
    _valid_everywhere(text, dev_pki)


@pytest.mark.parametrize("options,param", [
    (["--profile", "seal", "--image", "seal-cli", "--rect", "1,2,3"], "rect"),
    (["--doc-number", "1/TB"], "doc_number"),
    (["--profile", "chu-ky"], "profile"),
    (["--profile", "attachment", "--doc-number", "1/TB", "--attachment-mode", "inline"],
     "attachment_mode"),
])
def test_malformed_options_refused_as_the_api_refuses_them(cli, dev_pki, responders, options,
                                                           param):
    out = cli.base / f"bad-{param}.pdf"
    proc = cli("sign", str(cli.src), str(out), "--key", "agency-seal", *options)
    assert proc.returncode == 2 and not out.exists()
    # the API answers the same parameters with the same message
    query = {"key": "agency-seal"}
    it = iter(options)
    for flag in it:
        query[flag[2:].replace("-", "_")] = next(it)
    api = build_api(cli.state, with_clients=False)
    try:
        _, token = api.services.clients.create(f"portal-{param}", "portal", ("agency-seal",), vc.CTX)
        resp = api.client.post("/v1/sign", query_string=query, data=vc.TEMPLATE, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/pdf"})
        body = resp.get_json()
        assert resp.status_code == 400 and body["parameter"] == param
        assert proc.stderr.strip() == f"Lỗi / error [bad-request]: {body['detail']}"
        rejected = api.services.audit.list(action="signing:document:rejected")
        assert [r.actor.startswith("cli:") for r in rejected[-2:]] == [True, False]
    finally:
        api.services.shutdown()


@pytest.mark.parametrize("options,words", [
    (["--profile", "seal", "--image", "seal-cli", "--page", "1", "--rect", "500,700,700,900"],
     "outside"),
    (["--profile", "text", "--page", "3", "--rect", "100,100,300,160"], "page"),
    (["--profile", "text", "--anchor", "Không có dòng này"], "anchor"),
    (["--profile", "official", "--image", "seal-cli", "--page", "1", "--rect", "100,100,300,160"],
     "seal-cli"),
])
def test_placements_that_do_not_fit_are_422_and_nothing_is_written(cli, options, words):
    out = cli.base / "unfit.pdf"
    proc = cli("sign", str(cli.src), str(out), "--key", "agency-seal", "--level", "B-B", *options)
    assert proc.returncode == 2 and not out.exists(), proc.stdout
    assert proc.stderr.startswith("Lỗi / error [appearance-invalid]: ")
    assert "Tài liệu chưa được ký" in proc.stderr and "Nothing was signed" in proc.stderr
    assert words in proc.stderr
