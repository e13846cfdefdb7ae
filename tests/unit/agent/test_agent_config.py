"""The agent's configuration is validated strictly: every mistake stops start-up and
names the section and key."""

from __future__ import annotations

import pytest

from signsvc.agent.config import AgentConfigError, load_config, parse_config


@pytest.fixture
def module(tmp_path):
    path = tmp_path / "libtoken.so"
    path.write_bytes(b"\x7fELF")
    return str(path)


def base(module: str, **sections) -> dict:
    cfg = {"server": {"port": 8987, "allowed_origins": ["https://dichvucong.example.gov.vn"]},
           "tokens": [{"module": module, "label": "official-an"}]}
    for name, value in sections.items():
        if isinstance(value, dict) and isinstance(cfg.get(name), dict):
            cfg[name] = {**cfg[name], **value}
        else:
            cfg[name] = value
    return cfg


def fails(data: dict, where: str) -> AgentConfigError:
    with pytest.raises(AgentConfigError) as info:
        parse_config(data)
    assert info.value.where == where, str(info.value)
    assert info.value.vi and info.value.en
    return info.value


def test_minimal_config_has_safe_defaults(module):
    cfg = parse_config(base(module))
    assert cfg.server.host == "127.0.0.1" and cfg.server.port == 8987
    assert cfg.server.allowed_origins == ("https://dichvucong.example.gov.vn",)
    assert cfg.server.allow_requests_without_origin is False
    assert cfg.pin.mode == "prompt" and cfg.pin.env_var is None and not cfg.pin.unsafe_headless
    assert cfg.tokens[0].module == module and cfg.tokens[0].label == "official-an"


def test_unknown_keys_stop_start_up(module):
    fails({**base(module), "extra": {}}, "config.extra")
    fails(base(module, server={"bind": "127.0.0.1"}), "server.bind")
    fails(base(module, tokens=[{"module": module, "label": "a", "slot": 0}]), "tokens[0].slot")
    fails(base(module, pin={"mode": "prompt", "cache": True}), "pin.cache")


@pytest.mark.parametrize("host", ["0.0.0.0", "localhost", "::1", "192.168.1.10", ""])
def test_only_loopback_address_is_accepted(module, host):
    err = fails(base(module, server={"host": host}), "server.host")
    assert "127.0.0.1" in err.en


@pytest.mark.parametrize("port", [0, 70000, "8987", True, 8987.0])
def test_port_is_an_integer_in_range(module, port):
    fails(base(module, server={"port": port}), "server.port")


@pytest.mark.parametrize("origin", [
    "*", "null", "https://*.gov.vn", "dichvucong.gov.vn", "ftp://dichvucong.gov.vn",
    "https://dichvucong.gov.vn/", "https://dichvucong.gov.vn/path", "https://user@gov.vn",
    "https://gov.vn:99999", 42])
def test_origins_are_exact(module, origin):
    fails(base(module, server={"allowed_origins": [origin]}), "server.allowed_origins[0]")


def test_origins_list_is_required_and_normalised(module):
    fails(base(module, server={"allowed_origins": []}), "server.allowed_origins")
    fails(base(module, server={"allowed_origins": "https://a.vn"}), "server.allowed_origins")
    cfg = parse_config(base(module, server={"allowed_origins": ["HTTPS://A.gov.vn:8443",
                                                                "https://a.gov.vn:8443"]}))
    assert cfg.server.allowed_origins == ("https://a.gov.vn:8443",)


def test_tokens_need_an_absolute_existing_module_and_a_label(module, tmp_path):
    fails(base(module, tokens=[]), "tokens")
    fails(base(module, tokens=[{"module": "libsofthsm2.so", "label": "a"}]), "tokens[0].module")
    fails(base(module, tokens=[{"module": str(tmp_path / "missing.so"), "label": "a"}]),
          "tokens[0].module")
    fails(base(module, tokens=[{"module": module, "label": ""}]), "tokens[0].label")
    fails(base(module, tokens=[{"module": module, "label": "x" * 33}]), "tokens[0].label")
    fails(base(module, tokens=[{"module": module}]), "tokens[0].label")
    fails(base(module, tokens=[{"module": module, "label": "a"}, {"module": module, "label": "a"}]),
          "tokens[1].label")
    cfg = parse_config(base(module, tokens=[{"module": module, "label": "a"},
                                            {"module": module, "label": "b"}]))
    assert [t.label for t in cfg.tokens] == ["a", "b"]


def test_env_pin_mode_needs_unsafe_headless_and_a_variable(module):
    err = fails(base(module, pin={"mode": "env", "env_var": "PIN"}), "pin.mode")
    assert "unsafe_headless" in err.en
    fails(base(module, pin={"mode": "env", "unsafe_headless": True}), "pin.env_var")
    fails(base(module, pin={"mode": "env", "env_var": "1-BAD", "unsafe_headless": True}),
          "pin.env_var")
    fails(base(module, pin={"mode": "env", "env_var": "PIN", "unsafe_headless": "yes"}),
          "pin.unsafe_headless")
    cfg = parse_config(base(module, pin={"mode": "env", "env_var": "PIN", "unsafe_headless": True}))
    assert (cfg.pin.mode, cfg.pin.env_var, cfg.pin.unsafe_headless) == ("env", "PIN", True)


def test_prompt_mode_refuses_headless_settings(module):
    fails(base(module, pin={"env_var": "PIN"}), "pin")
    fails(base(module, pin={"unsafe_headless": True}), "pin")
    fails(base(module, pin={"mode": "file"}), "pin.mode")
    fails(base(module, pin={"prompt_timeout_seconds": 5}), "pin.prompt_timeout_seconds")


def test_load_config_reads_toml_and_reports_bad_files(module, tmp_path):
    good = tmp_path / "agent.toml"
    good.write_text(f'[server]\nport = 9000\nallowed_origins = ["http://localhost:8080"]\n'
                    f'[[tokens]]\nmodule = "{module}"\nlabel = "official-an"\n')
    assert load_config(good).server.port == 9000
    bad = tmp_path / "bad.toml"
    bad.write_text("[server\nport = 1")
    with pytest.raises(AgentConfigError, match="TOML"):
        load_config(bad)
    with pytest.raises(AgentConfigError):
        load_config(tmp_path / "missing.toml")


def test_example_config_is_valid_apart_from_its_module(tmp_path):
    from pathlib import Path

    example = Path(__file__).resolve().parents[3] / "config" / "agent.example.toml"
    text = example.read_text(encoding="utf-8")
    module = tmp_path / "opensc-pkcs11.so"
    module.write_bytes(b"")
    text = text.replace("/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so", str(module))
    (tmp_path / "a.toml").write_text(text, encoding="utf-8")
    cfg = load_config(tmp_path / "a.toml")
    assert cfg.pin.mode == "prompt" and cfg.server.allow_requests_without_origin is False
