"""The agent's PIN window (Tk) on a virtual screen: Debian's Xvfb, with xdotool typing the
way the official would. Both tools are installed by scripts/install.sh; without them these
tests fail (they never skip).

What a person would check: the window appears with its title and takes keyboard focus;
the PIN typed and Enter gives exactly that PIN; the "Ký / Sign" button does the same;
Escape, the "Hủy / Cancel" button, an empty PIN and waiting too long each cancel; the window
is gone afterwards. (Closing through a window manager is not exercised: Xvfb runs none.)"""

from __future__ import annotations

import os
import subprocess
import threading
import time

import pytest

from signsvc.agent.config import PinConfig
from signsvc.agent.pin import PinPrompter, SigningContext
from signsvc.agent.protocol import DocumentInfo, ProtocolError
from tests.support.tools import require_tool

CTX = SigningContext(origin="https://dichvucong.example.gov.vn",
                     document=DocumentInfo("Quyết định cấp phép xây dựng", "123/QĐ-UBND", "ab" * 32),
                     subject="CN=Nguyễn Văn An", token_label="official-an")
TITLE = "signsvc-agent"


@pytest.fixture(scope="module")
def screen():
    """A private X display (Xvfb picks a free number) for this module."""
    xvfb = require_tool("Xvfb")
    require_tool("xdotool")
    read, write = os.pipe()
    proc = subprocess.Popen([xvfb, "-displayfd", str(write), "-screen", "0", "1024x768x24",
                             "-nolisten", "tcp"], pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as fd:
        number = fd.readline().strip()
    assert number, "Xvfb did not start"
    display = f":{number}"
    yield display
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def on_screen(screen, monkeypatch):
    monkeypatch.setenv("DISPLAY", screen)
    return screen


def xdo(display: str, *args: str) -> str:
    return subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": display},
                          capture_output=True, text=True, timeout=20).stdout.strip()


def window(display: str, timeout: float = 15.0) -> str:
    """The id of the agent's window once it is mapped."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = xdo(display, "search", "--onlyvisible", "--name", TITLE)
        if found:
            return found.splitlines()[0]
        time.sleep(0.05)
    raise AssertionError("the PIN window did not appear")


def ask_in_thread(timeout_seconds: int = 30) -> tuple[threading.Thread, dict]:
    """Run the prompt as the agent does (in a request thread); its outcome lands in the dict."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["pin"] = PinPrompter(PinConfig(mode="prompt",
                                                   prompt_timeout_seconds=timeout_seconds)).ask(CTX)
        except ProtocolError as exc:
            outcome["error"] = exc.slug

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def gone(display: str) -> bool:
    return not xdo(display, "search", "--onlyvisible", "--name", TITLE)


def test_pin_typed_then_enter_is_returned(on_screen):
    thread, outcome = ask_in_thread()
    win = window(on_screen)
    assert "Ký số" in xdo(on_screen, "getwindowname", win)
    xdo(on_screen, "windowfocus", "--sync", win)
    time.sleep(0.2)                      # the entry takes focus 50 ms after mapping
    xdo(on_screen, "type", "--delay", "20", "12345678")
    xdo(on_screen, "key", "Return")
    thread.join(timeout=15)
    assert outcome == {"pin": "12345678"}
    assert gone(on_screen)


@pytest.mark.parametrize("how", ["escape", "cancel-button"])
def test_escape_or_the_cancel_button_cancels(on_screen, how):
    thread, outcome = ask_in_thread()
    win = window(on_screen)
    xdo(on_screen, "windowfocus", "--sync", win)
    time.sleep(0.2)
    xdo(on_screen, "type", "9999")
    if how == "escape":
        xdo(on_screen, "key", "Escape")
    else:  # keyboard only: PIN field -> "Ký / Sign" -> "Hủy / Cancel", then press it
        xdo(on_screen, "key", "Tab", "Tab", "space")
    thread.join(timeout=15)
    assert outcome == {"error": "pin-cancelled"}          # the PIN typed is not returned
    assert gone(on_screen)


def test_the_sign_button_gives_the_pin(on_screen):
    thread, outcome = ask_in_thread()
    win = window(on_screen)
    xdo(on_screen, "windowfocus", "--sync", win)
    time.sleep(0.2)
    xdo(on_screen, "type", "24681357")
    xdo(on_screen, "key", "Tab", "space")
    thread.join(timeout=15)
    assert outcome == {"pin": "24681357"}
    assert gone(on_screen)


def test_nobody_answers_the_window_closes_after_the_timeout(on_screen):
    started = time.monotonic()
    thread, outcome = ask_in_thread(timeout_seconds=1)
    window(on_screen)
    thread.join(timeout=15)
    assert outcome == {"error": "pin-cancelled"}
    assert 0.9 <= time.monotonic() - started < 10
    assert gone(on_screen)


def test_enter_on_an_empty_pin_cancels(on_screen):
    thread, outcome = ask_in_thread()
    win = window(on_screen)
    xdo(on_screen, "windowfocus", "--sync", win)
    time.sleep(0.2)
    xdo(on_screen, "key", "Return")
    thread.join(timeout=15)
    assert outcome == {"error": "pin-cancelled"}
