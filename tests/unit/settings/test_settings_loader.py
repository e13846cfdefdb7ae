"""Configuration: strict, typed, secrets never shown, errors that name the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from signsvc.errors import ConfigError
from signsvc.settings import load_settings

BASE = """
[service]
port = 8080
[trust]
anchors = ["certs/root.pem"]
[keys.seal]
backend = "pkcs11"
module = "/usr/lib/softhsm/libsofthsm2.so"
token_label = "tok"
key_label = "seal"
pin_env = "SEAL_PIN"
"""


def _load(tmp_path: Path, text: str, env: dict | None = None):
    cfg = tmp_path / "config" / "signsvc.toml"
    cfg.parent.mkdir(exist_ok=True)
    cfg.write_text(text)
    return load_settings(cfg, environ=env if env is not None else {"SEAL_PIN": "123456"})


def test_loads_typed_values_and_resolves_paths(tmp_path):
    s = _load(tmp_path, BASE)
    assert s.service.port == 8080 and s.base_dir == tmp_path
    assert s.trust.anchors == (tmp_path / "certs/root.pem",)
    key = s.key("seal")
    assert key.pin.reveal() == "123456"
    assert "123456" not in repr(key) and "123456" not in repr(s)


def test_env_overrides_section_and_key_values(tmp_path):
    s = _load(tmp_path, BASE, {"SEAL_PIN": "1", "SIGNSVC_SERVICE__PORT": "9090",
                               "SIGNSVC_KEYS__SEAL__KEY_LABEL": "other",
                               "SIGNSVC_TRUST__REVOCATION": "hard-fail"})
    assert s.service.port == 9090 and s.key("seal").key_label == "other"
    assert s.trust.revocation == "hard-fail"


@pytest.mark.parametrize("text,env,needle", [
    (BASE + "\n[surprise]\nx = 1\n", None, "unknown section"),
    (BASE.replace("port = 8080", "port = 8080\nprot = 1"), None, "unknown key(s) prot"),
    (BASE.replace("port = 8080", 'port = "eighty"'), None, "service.port"),
    (BASE, {}, "SEAL_PIN is not set"),
    (BASE.replace('backend = "pkcs11"', 'backend = "magic"'), None, "backend must be"),
    (BASE.replace('token_label = "tok"\n', ""), None, "needs 'token_label'"),
    (BASE.replace("[service]", '[service]\ndefault_level = "B-Z"'), None, "default_level"),
    (BASE.replace("[trust]", '[trust]\nrevocation = "maybe"'), None, "trust.revocation"),
])
def test_misconfiguration_names_the_problem(tmp_path, text, env, needle):
    with pytest.raises(ConfigError) as exc:
        _load(tmp_path, text, env)
    assert needle in exc.value.message.en
    assert exc.value.message.vi.startswith("Cấu hình")


def test_secret_file_used_when_env_missing(tmp_path):
    (tmp_path / "pin").write_text("654321\n")
    text = BASE.replace('pin_env = "SEAL_PIN"', f'pin_env = "SEAL_PIN"\npin_file = "{tmp_path / "pin"}"')
    assert _load(tmp_path, text, {}).key("seal").pin.reveal() == "654321"
    assert _load(tmp_path, text, {"SEAL_PIN": "111"}).key("seal").pin.reveal() == "111"
