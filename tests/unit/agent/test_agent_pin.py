"""What the PIN prompt shows and where the PIN comes from (the Tk window itself is
exercised on a virtual screen in test_agent_pin_window.py)."""

from __future__ import annotations

import io

import pytest

from signsvc.agent import pin as pin_mod
from signsvc.agent.config import PinConfig
from signsvc.agent.pin import PinPrompter, SigningContext, describe, display_available
from signsvc.agent.protocol import DocumentInfo, ProtocolError

CTX = SigningContext(origin="https://dichvucong.example.gov.vn",
                     document=DocumentInfo("Quyết định\u202e cấp phép\nxây dựng", "123/QĐ-UBND",
                                           "ab" * 32),
                     subject="CN=Nguyễn Văn An", token_label="official-an")


def test_prompt_shows_origin_document_and_certificate_without_control_characters():
    lines = dict(describe(CTX))
    values = list(lines.values())
    assert "https://dichvucong.example.gov.vn" in values
    assert "Quyết định cấp phép xây dựng" in values  # bidi override and new line removed
    assert "123/QĐ-UBND" in values and "ab" * 32 in values
    assert "CN=Nguyễn Văn An" in values and "official-an" in values
    assert all("\n" not in v and "\u202e" not in v for v in values)


def test_env_mode_reads_the_configured_variable_each_time(monkeypatch):
    prompter = PinPrompter(PinConfig(mode="env", env_var="AGENT_TEST_PIN", unsafe_headless=True))
    monkeypatch.setenv("AGENT_TEST_PIN", "123456")
    assert prompter.ask(CTX) == "123456"
    monkeypatch.setenv("AGENT_TEST_PIN", "654321")
    assert prompter.ask(CTX) == "654321"  # nothing cached
    monkeypatch.setenv("AGENT_TEST_PIN", "")
    with pytest.raises(ProtocolError) as info:
        prompter.ask(CTX)
    assert info.value.slug == "pin-cancelled"
    monkeypatch.delenv("AGENT_TEST_PIN")
    with pytest.raises(ProtocolError):
        prompter.ask(CTX)


def test_display_detection(monkeypatch):
    monkeypatch.setattr(pin_mod.sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert not display_available()
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert display_available()
    monkeypatch.setattr(pin_mod.sys, "platform", "win32")
    monkeypatch.delenv("WAYLAND_DISPLAY")
    assert display_available()


class _Tty(io.StringIO):
    def close(self) -> None:  # keep the text readable after ``with``
        pass


def test_terminal_prompt_shows_the_request_and_returns_the_typed_pin(monkeypatch):
    tty = _Tty()
    monkeypatch.setattr(pin_mod.sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(pin_mod, "open", lambda path, *a, **k: tty, raising=False)
    monkeypatch.setattr(pin_mod.getpass, "getpass", lambda prompt: "2468")
    assert PinPrompter(PinConfig()).ask(CTX) == "2468"
    shown = tty.getvalue()
    assert "dichvucong.example.gov.vn" in shown and "123/QĐ-UBND" in shown
    assert "2468" not in shown
    monkeypatch.setattr(pin_mod.getpass, "getpass", lambda prompt: "")
    with pytest.raises(ProtocolError) as info:
        PinPrompter(PinConfig()).ask(CTX)
    assert info.value.slug == "pin-cancelled"


def test_terminal_prompt_without_a_terminal_is_a_cancel(monkeypatch):
    def no_tty(path, *a, **k):
        raise OSError("no controlling terminal")

    monkeypatch.setattr(pin_mod, "open", no_tty, raising=False)
    assert pin_mod._ask_terminal(CTX) is None
