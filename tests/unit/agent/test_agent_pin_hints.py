"""After a wrong PIN the agent passes on what the token says about the tries left (PKCS#11
token flags CKF_USER_PIN_COUNT_LOW / CKF_USER_PIN_FINAL_TRY), so the signing page can warn
before the token locks; nothing is added when the token says nothing."""

from __future__ import annotations

from types import SimpleNamespace

from pkcs11 import TokenFlag
from pkcs11 import exceptions as p11e

from signsvc.agent.protocol import ProtocolError, error_body
from signsvc.agent.token import Tokens, pin_hints

READY = TokenFlag.TOKEN_INITIALIZED | TokenFlag.USER_PIN_INITIALIZED | TokenFlag.LOGIN_REQUIRED


def test_flags_become_hints():
    assert pin_hints(READY) == {}
    assert pin_hints(READY | TokenFlag.USER_PIN_COUNT_LOW) == {"pin_count_low": True}
    assert pin_hints(READY | TokenFlag.USER_PIN_COUNT_LOW | TokenFlag.USER_PIN_FINAL_TRY) == {
        "pin_count_low": True, "pin_final_try": True}
    # the security officer's PIN is not the official's
    assert pin_hints(READY | TokenFlag.SO_PIN_FINAL_TRY | TokenFlag.SO_PIN_COUNT_LOW) == {}


def test_error_body_carries_only_known_true_hints():
    plain = error_body("pin-incorrect")
    assert plain == {"error": "pin-incorrect", "message_vi": "Mã PIN không đúng.",
                     "message_en": "The PIN is incorrect."}
    body = error_body("pin-incorrect", hints={"pin_final_try": True, "pin_count_low": False,
                                              "pin": True})
    assert body == {**plain, "pin_final_try": True}
    exc = ProtocolError("pin-incorrect", hints={"pin_count_low": True, "other": True})
    assert exc.hints == {"pin_count_low": True}


def _tokens_with(token) -> Tokens:
    tokens = Tokens.__new__(Tokens)      # no PKCS#11 library loaded: only _token is used
    tokens._token = lambda tc: token     # type: ignore[method-assign]
    return tokens


def test_hints_read_from_the_token_now():
    final = SimpleNamespace(flags=READY | TokenFlag.USER_PIN_FINAL_TRY)
    assert _tokens_with(final)._pin_hints(None) == {"pin_final_try": True}
    assert _tokens_with(SimpleNamespace(flags=READY))._pin_hints(None) == {}


def test_a_token_that_cannot_be_asked_gives_no_hint():
    def gone(tc):
        raise p11e.TokenNotPresent()
    tokens = Tokens.__new__(Tokens)
    tokens._token = gone                 # type: ignore[method-assign]
    assert tokens._pin_hints(None) == {}
