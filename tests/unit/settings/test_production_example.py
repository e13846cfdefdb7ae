"""config/signsvc.production.example.toml loads with the settings loader, its secrets and
site paths substituted from the environment as an operator would, and carries every
section the long-term and visible-signature features need (issue 7)."""

from __future__ import annotations

import re
from pathlib import Path

from signsvc.policy.loader import parse_policy
from signsvc.settings import load_settings

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "config" / "signsvc.production.example.toml"


def _load(tmp_path: Path):
    pins = {}
    for key in ("agency-seal", "report-seal"):
        pins[key] = tmp_path / f"{key}.pin"
        pins[key].write_text("not-a-real-pin\n")
    hmac_key = tmp_path / "audit-hmac.key"
    hmac_key.write_text("0123456789abcdef" * 4 + "\n")
    env = {"SIGNSVC_KEYS__AGENCY_SEAL__PIN_FILE": str(pins["agency-seal"]),
           "SIGNSVC_AUDIT__HMAC_KEY_FILE": str(hmac_key),
           "SIGNSVC_KEYS__REPORT_SEAL__PIN_FILE": str(pins["report-seal"]),
           "SIGNSVC_SERVICE__STATE_DIR": str(tmp_path / "state"),
           "SIGNSVC_POLICY__PATH": str(tmp_path / "policy.toml")}
    return load_settings(EXAMPLE, environ=env)


def test_production_example_loads_with_environment_substitutions(tmp_path):
    s = _load(tmp_path)
    assert s.service.profile == "production" and s.service.default_level == "B-T"
    assert s.service.state_dir == tmp_path / "state"
    assert s.policy.path == tmp_path / "policy.toml"
    assert s.pages.cookie_secure is True
    # several TSAs, failover, never a silent downgrade
    assert len(s.timestamp.urls) >= 2 and s.timestamp.urls[0] == "http://ca.gov.vn/tsa"
    assert s.timestamp.on_unavailable == "fail" and s.timestamp.retries >= 0
    assert s.revocation.on_unavailable == "fail" and s.revocation.cache is True
    assert s.trust.revocation == "hard-fail"
    assert s.archive.renew_within_days == 365
    assert s.appearance.font_path.name == "LiberationSerif-Regular.ttf"
    assert s.appearance.text_color == "#000000" and s.appearance.corner_width_mm == 90.0
    keys = {k.id: k for k in s.keys}
    assert set(keys) == {"agency-seal", "report-seal"}
    assert all(k.backend == "pkcs11" and k.pin is not None for k in keys.values())
    assert keys["agency-seal"].pin.reveal() == "not-a-real-pin"
    assert s.reports.key == "report-seal" and keys["report-seal"].kind == "report"
    # the audit log: keyed chain, checkpoints on (documented interval), copies outside the DB
    assert s.audit.checkpoint_key == "report-seal"
    assert (s.audit.checkpoint_every_records, s.audit.checkpoint_every_seconds) == (1000, 300.0)
    assert s.audit.checkpoint_dir == Path("/var/lib/signsvc-checkpoints")
    assert s.audit.hmac_key_file == tmp_path / "audit-hmac.key"


def test_every_section_is_explained_and_holds_no_secret(tmp_path):
    text = EXAMPLE.read_text(encoding="utf-8")
    bodies = dict(re.findall(r"^\[([\w.-]+)\]\n(.*?)(?=^\[|\Z)", text, re.M | re.S))
    for section in ("service", "policy", "pages", "audit", "reports", "trust", "timestamp",
                    "revocation", "archive", "appearance", "pkcs11"):
        assert "#" in bodies[section], f"[{section}] has no comment"
    # no secret is written in the file itself
    assert not re.search(r"^\s*(pin|passphrase)\s*=", text, re.M)


def test_shipped_policy_loads_for_the_production_keys_once_key_roles_name_them(tmp_path):
    """The comment in [policy] says what to change; with that change the shipped policy
    loads for the production keys, and refuses copies to anyone but the clerk."""
    s = _load(tmp_path)
    text = (REPO / "config" / "policy.toml").read_text(encoding="utf-8")
    text = re.sub(r"^keys = \{.*\}$", 'keys = { agency-seal = ["clerk", "portal"] }', text, flags=re.M)
    for rule in ("eservice.minimum-level", "eservice.seal-after-official"):
        text = text.replace(f'[rules."{rule}"]\nlevel = "warn"', f'[rules."{rule}"]\nlevel = "deny"')
    policy = parse_policy(text, [k.id for k in s.keys])
    levels = {r.id: r.level for r in policy.rules}
    assert levels["eservice.minimum-level"] == levels["eservice.seal-after-official"] == "deny"
    assert {r.id: r.params for r in policy.rules}["workflow.copies"] == {"roles": ["clerk"]}
