"""The signing agent's package on the help page (issue 15, item 7): /help/agent links the
newest signsvc wheel of ``[pages] agent_package_dir`` (name, size, SHA-256) and
/help/agent/package serves exactly that file under its real name; without one the page says
to ask the administrator and the download is a 404 page in Vietnamese or English.

Real parts: the wheel is built from this checkout (tests/support/agent_wheel.py, as
scripts/install.sh builds var/dist), the service is the development one (Flask test
client), and the downloaded wheel is installed into a fresh virtual environment whose
``signsvc-agent`` checks the configuration the same help page hands out.
"""

from __future__ import annotations

import hashlib
import html
import io
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest

from signsvc.errors import ConfigError
from tests.conftest import REPO, build_api, make_settings
from tests.support.agent_wheel import build_wheel

ADMIN_VI = "nhận tệp gói signsvc (.whl) từ quản trị viên"
ADMIN_EN = "get the signsvc package file (.whl) from your administrator"
NONE_VI = "Trang này chưa có gói cài đặt phần mềm ký số (signsvc-agent); hãy nhận gói từ quản trị viên."
NONE_EN = "This site offers no package of the signing agent (signsvc-agent); get it from your administrator."


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("agent-wheel"))


@pytest.fixture(scope="module")
def site(dev_pki, responders, tmp_path_factory, wheel):
    """The service with ``[pages] agent_package_dir`` = a folder holding the built wheel,
    and beside it a file no request may reach."""
    tmp = tmp_path_factory.mktemp("agent-package")
    folder = tmp / "dist"
    folder.mkdir()
    shutil.copy2(wheel, folder / wheel.name)
    (tmp / "x").write_text("not for download")
    api = build_api(tmp / "state", with_clients=False, PAGES__AGENT_PACKAGE_DIR=str(folder))
    yield api, folder
    api.services.shutdown()


@pytest.fixture(scope="module")
def bare(dev_pki, responders, tmp_path_factory):
    """The service with no package configured (``agent_package_dir = ""``)."""
    api = build_api(tmp_path_factory.mktemp("no-package"), with_clients=False,
                    PAGES__AGENT_PACKAGE_DIR="")
    yield api
    api.services.shutdown()


def _text(page: str, element_id: str) -> str:
    """The text of the element with ``element_id`` (tags dropped, entities decoded)."""
    m = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', page, re.S)
    assert m, f"no #{element_id}"
    return html.unescape(re.sub(r"<[^>]+>", "", m.group(2))).strip()


def _get(client, path: str, lang: str = "vi"):
    """``path`` in ``lang`` (given each time: the switch keeps the last one in a cookie)."""
    return client.get(f"{path}{'&' if '?' in path else '?'}lang={lang}")


def test_page_links_the_package_with_its_real_name_size_and_sha256(site, wheel):
    api, _ = site
    data = wheel.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    size, unit = (len(data) / 1_000_000, "MB") if len(data) >= 1_000_000 else (len(data) / 1000, "kB")
    page = _get(api.client, "/help/agent").get_data(as_text=True)   # no login: public
    link = re.search(r'<a id="agent-package" href="([^"]+)" download="([^"]+)">', page)
    assert link and link.groups() == ("/help/agent/package", wheel.name)
    size_vi = f"{size:.1f}".replace(".", ",")              # Vietnamese decimal comma
    assert _text(page, "agent-package") == \
        f"Tải gói cài đặt signsvc-agent ({wheel.name}, {size_vi} {unit})"
    assert _text(page, "agent-package-sha256") == digest
    assert _text(page, "agent-install") == f"python3 -m pip install {wheel.name}"
    assert "tải gói cài đặt này" in page and ADMIN_VI not in page
    english = _get(api.client, "/help/agent", "en").get_data(as_text=True)
    assert _text(english, "agent-package") == \
        f"Download the signsvc-agent package ({wheel.name}, {size:.1f} {unit})"
    assert _text(english, "agent-package-sha256") == digest
    assert "download this package" in english and ADMIN_EN not in english


def test_download_is_the_file_itself_and_a_wheel_that_declares_the_agent(site, wheel):
    api, _ = site
    answer = api.client.get("/help/agent/package")
    assert answer.status_code == 200
    assert answer.data == wheel.read_bytes()
    assert answer.headers["Content-Type"] == "application/octet-stream"
    assert answer.headers["Content-Disposition"].startswith(f'attachment; filename="{wheel.name}"')
    assert answer.headers["X-Content-SHA256"] == hashlib.sha256(answer.data).hexdigest()
    with zipfile.ZipFile(io.BytesIO(answer.data)) as whl:
        assert whl.testzip() is None
        names = whl.namelist()
        dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/entry_points.txt"))
        entry_points = whl.read(f"{dist_info}/entry_points.txt").decode()
        assert re.search(r"^signsvc-agent = signsvc\.agent\.main:main$", entry_points, re.M)
        for module in ("main", "server", "token", "pin", "config", "protocol"):
            assert f"signsvc/agent/{module}.py" in names


def test_the_package_carries_every_file_of_the_source_tree(wheel):
    """The wheel (the same build as the Docker image's ``pip install .``) holds every module
    and every other file under signsvc/: the pages' templates and static files, Alembic's
    revision template. Before [tool.setuptools.package-data] it had none of them, so an
    installed service could not render a page."""
    source = {str(f.relative_to(REPO)) for f in (REPO / "signsvc").rglob("*")
              if f.is_file() and "__pycache__" not in f.parts}
    with zipfile.ZipFile(wheel) as whl:
        packaged = {n for n in whl.namelist() if n.startswith("signsvc/")}
    assert source - packaged == set()
    assert {"signsvc/web/templates/base.html", "signsvc/web/static/sign.js",
            "signsvc/adapters/db/migrations/script.py.mako"} <= packaged


def test_the_newest_wheel_is_offered_and_other_files_never(site, wheel):
    api, folder = site
    older = folder / "signsvc-0.0.9-py3-none-any.whl"
    decoys = [folder / "signsvc-notes.txt", folder / "other-1.0-py3-none-any.whl"]
    try:
        older.write_bytes(b"an older package")
        past = time.time() - 3600
        os.utime(older, (past, past))
        for decoy in decoys:
            decoy.write_bytes(b"not a signsvc wheel")
        answer = api.client.get("/help/agent/package")
        assert answer.data == wheel.read_bytes()
        assert f'filename="{wheel.name}"' in answer.headers["Content-Disposition"]
        # the newer file wins once it is newer
        os.utime(older, None)
        answer = api.client.get("/help/agent/package")
        assert answer.data == b"an older package" and older.name in answer.headers["Content-Disposition"]
        assert older.name in _text(_get(api.client, "/help/agent").get_data(as_text=True), "agent-package")
    finally:
        for f in (older, *decoys):
            f.unlink(missing_ok=True)


def test_no_request_names_the_file(site, wheel):
    api, _ = site
    for path in ("/help/agent/package/../x", "/help/agent/package/..%2Fx", "/help/agent/..%2Fx",
                 "/help/agent/package/%2e%2e/x", f"/help/agent/package/{wheel.name}",
                 "/help/agent/x"):
        answer = api.client.get(path)
        assert answer.status_code == 404, path
        assert b"not for download" not in answer.data
    for query in ("?name=../x", "?file=..%2Fx", "?path=/etc/passwd"):
        answer = api.client.get(f"/help/agent/package{query}")
        assert answer.status_code == 200 and answer.data == wheel.read_bytes(), query


def test_without_a_package_the_page_says_ask_the_administrator_and_download_is_404(bare):
    page = _get(bare.client, "/help/agent").get_data(as_text=True)
    assert ADMIN_VI in page and 'id="agent-package"' not in page
    assert _text(page, "agent-install") == "python3 -m pip install signsvc-*.whl"
    assert ADMIN_EN in _get(bare.client, "/help/agent", "en").get_data(as_text=True)
    vi = _get(bare.client, "/help/agent/package")
    assert vi.status_code == 404 and vi.mimetype == "text/html"
    assert _text(vi.get_data(as_text=True), "problem") == NONE_VI
    assert _text(vi.get_data(as_text=True), "problem-code") == "not-found"
    en = _get(bare.client, "/help/agent/package", "en")
    assert en.status_code == 404 and _text(en.get_data(as_text=True), "problem") == NONE_EN


def test_a_folder_without_a_wheel_or_missing_offers_nothing(site, wheel):
    api, folder = site
    moved = folder.parent / "moved"
    moved.mkdir(exist_ok=True)
    shutil.move(folder / wheel.name, moved / wheel.name)
    try:
        page = _get(api.client, "/help/agent").get_data(as_text=True)
        assert ADMIN_VI in page and 'id="agent-package"' not in page
        assert _get(api.client, "/help/agent/package").status_code == 404
        folder.rmdir()                                # the folder itself gone
        assert ADMIN_VI in _get(api.client, "/help/agent").get_data(as_text=True)
        answer = _get(api.client, "/help/agent/package", "en")
        assert answer.status_code == 404 and _text(answer.get_data(as_text=True), "problem") == NONE_EN
    finally:
        folder.mkdir(exist_ok=True)
        shutil.move(moved / wheel.name, folder / wheel.name)
    assert api.client.get("/help/agent/package").data == wheel.read_bytes()


def test_setting_resolves_relative_to_the_project_and_refuses_a_file(tmp_path):
    from tests.conftest import REPO

    assert make_settings(tmp_path / "s1").pages.agent_package_dir == REPO / "var" / "dist"
    assert make_settings(tmp_path / "s2", PAGES__AGENT_PACKAGE_DIR="").pages.agent_package_dir is None
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    with pytest.raises(ConfigError, match=r"pages\.agent_package_dir"):
        make_settings(tmp_path / "s3", PAGES__AGENT_PACKAGE_DIR=str(a_file))


def test_downloaded_wheel_installs_and_its_agent_checks_the_sites_configuration(site, tmp_path):
    """pip installs the download (no network, no other package) into a fresh virtual
    environment; its own ``signsvc-agent`` runs and accepts /help/agent's configuration."""
    api, _ = site
    answer = api.client.get("/help/agent/package")
    name = re.search(r'filename="([^"]+)"', answer.headers["Content-Disposition"]).group(1)
    (tmp_path / name).write_bytes(answer.data)
    (tmp_path / "signsvc-agent.toml").write_bytes(api.client.get("/help/agent/signsvc-agent.toml").data)
    venv = tmp_path / "venv"
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    done = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", name],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # the agent's libraries (python-pkcs11 ...) from the test environment, after the venv's own
    site_dir = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip()
    Path(site_dir, "zz-test-libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    agent = venv / "bin" / "signsvc-agent"
    where = subprocess.run([str(py), "-c", "import signsvc.agent.main as m; print(m.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout.strip()
    assert where == str(Path(site_dir, "signsvc", "agent", "main.py"))   # the installed copy
    helped = subprocess.run([str(agent), "--help"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=60)
    assert helped.returncode == 0 and "signsvc-agent" in helped.stdout
    checked = subprocess.run([str(agent), "--config", "signsvc-agent.toml", "--check"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert time.monotonic() - started < 60
