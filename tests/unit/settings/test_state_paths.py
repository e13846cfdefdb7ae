"""Settings.paths: every state file follows ``[service] state_dir`` (moving the folder moves
them all), except the audit log and its checkpoints, which follow ``[audit] path`` when an
operator places it elsewhere; the service's stores never share a file by accident."""

from __future__ import annotations

from pathlib import Path

from signsvc.settings import load_settings

CONFIG = """
[service]
state_dir = "{state}"
[trust]
anchors = ["certs/root.pem"]
{audit}
"""

STATE_FILES = ("service_db", "workflow_db", "images_db", "reports_db", "totp_key",
               "cookie_secret", "active_policy", "policy_lock", "policy_archive", "pidfile")


def _paths(tmp_path: Path, state: Path, audit: str = ""):
    cfg = tmp_path / "config" / "signsvc.toml"
    cfg.parent.mkdir(exist_ok=True)
    cfg.write_text(CONFIG.format(state=state, audit=audit))
    return load_settings(cfg, environ={}).paths


def test_every_state_file_moves_with_the_state_folder(tmp_path):
    one, two = _paths(tmp_path, tmp_path / "one"), _paths(tmp_path, tmp_path / "two")
    for name in STATE_FILES:
        a, b = getattr(one, name), getattr(two, name)
        assert a.parent == tmp_path / "one" and b.parent == tmp_path / "two", name
        assert a.name == b.name, name
    # the audit log too, while [audit] path is not set; checkpoints live in its file
    assert one.audit_db.parent == tmp_path / "one" and one.checkpoint_db == one.audit_db
    assert two.audit_db.parent == tmp_path / "two"
    assert one.control_socket.parent == (tmp_path / "one").resolve()


def test_audit_path_places_the_log_and_its_checkpoints_only(tmp_path):
    elsewhere = tmp_path / "audit-disk" / "log.sqlite3"
    paths = _paths(tmp_path, tmp_path / "state", f'[audit]\npath = "{elsewhere}"')
    assert paths.audit_db == elsewhere and paths.checkpoint_db == elsewhere
    assert all(getattr(paths, name).parent == tmp_path / "state" for name in STATE_FILES)


def test_stores_do_not_share_a_file_by_accident(tmp_path):
    paths = _paths(tmp_path, tmp_path / "state")
    files = [getattr(paths, name) for name in STATE_FILES] + [paths.audit_db]
    assert len(set(files)) == len(files)
