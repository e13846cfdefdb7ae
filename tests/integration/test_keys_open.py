"""Keys are opened once at start-up; a misconfigured key stops start-up with a message
naming the key and the problem, and never the PIN."""

from __future__ import annotations

import pytest

from signsvc.app import open_keys
from signsvc.errors import ConfigError
from tests.conftest import make_settings


@pytest.mark.parametrize("overrides,env,needle", [
    ({"KEYS__AGENCY_SEAL__TOKEN_LABEL": "no-such-token"}, {}, "no single token"),
    ({"KEYS__AGENCY_SEAL__KEY_LABEL": "no-such-key"}, {}, "no single private key"),
    # a token nothing else in this process logged in to (PKCS#11 login is per process)
    ({"KEYS__AGENCY_SEAL__TOKEN_LABEL": "official-binh", "KEYS__AGENCY_SEAL__KEY_LABEL": "official-binh",
      "KEYS__AGENCY_SEAL__PIN_ENV": "SIGNSVC_TEST_WRONG_PIN"}, {"SIGNSVC_TEST_WRONG_PIN": "000000"},
     "PIN is wrong"),
    ({"KEYS__AGENCY_SEAL__MODULE": "/nonexistent/libpkcs11.so"}, {}, "does not exist"),
    ({"KEYS__DEV_SOFTWARE__PASSPHRASE_ENV": "SIGNSVC_TEST_WRONG_PASS"},
     {"SIGNSVC_TEST_WRONG_PASS": "wrong"}, "cannot be read"),
])
def test_misconfigured_key_stops_startup(dev_pki, tmp_path, monkeypatch, overrides, env, needle):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    settings = make_settings(tmp_path, **overrides)
    with pytest.raises(ConfigError) as exc:
        open_keys(settings)
    msg = exc.value.message
    assert needle in msg.en
    key_id = "dev-software" if "DEV_SOFTWARE" in next(iter(overrides)) else "agency-seal"
    assert f"'{key_id}'" in msg.en and f"'{key_id}'" in msg.vi
    assert dev_pki.secret("signsvc-dev.pin") not in msg.en + msg.vi


def test_keys_opened_once_and_describe_themselves(dev_pki, tmp_path):
    keys = open_keys(make_settings(tmp_path))
    try:
        infos = {k.id: k for k in keys.infos()}
        assert infos["agency-seal"].algorithm == "rsa" and infos["agency-seal"].key_size == 2048
        assert infos["agency-seal-ec"].algorithm == "ecdsa" and infos["agency-seal-ec"].key_size == 256
        assert infos["dev-software"].backend == "software"
        seal = keys.get("agency-seal")
        assert seal.raw_signature_size == 256
        assert keys.get("agency-seal-ec").raw_signature_size <= 72
        # the certificate comes from the token, next to the key
        assert seal.certificate.subject.native["common_name"].startswith("UBND Tỉnh Thử Nghiệm")
    finally:
        keys.close()
