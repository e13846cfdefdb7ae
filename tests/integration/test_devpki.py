"""The development PKI and token that `make pki` builds are what the service expects."""

import pkcs11
from asn1crypto import pem, x509


def test_token_holds_keys_and_certificates(dev_pki):
    from signsvc.adapters.pkcs11_keys import module_for

    lib = module_for(dev_pki.softhsm_module).lib()  # one lib per process (see module_for)
    token = lib.get_token(token_label="signsvc-dev")
    try:
        session = token.open(user_pin=dev_pki.secret("signsvc-dev.pin"))
    except pkcs11.exceptions.UserAlreadyLoggedIn:  # another test of this process logged in
        session = token.open()
    with session as s:
        labels = {o.label for o in s.get_objects({pkcs11.Attribute.CLASS: pkcs11.ObjectClass.PRIVATE_KEY})}
        assert labels == {"agency-seal", "agency-seal-ec"}
        for o in s.get_objects({pkcs11.Attribute.CLASS: pkcs11.ObjectClass.PRIVATE_KEY}):
            assert o[pkcs11.Attribute.SENSITIVE] and not o[pkcs11.Attribute.EXTRACTABLE]
        certs = list(s.get_objects({pkcs11.Attribute.CLASS: pkcs11.ObjectClass.CERTIFICATE}))
        assert {c[pkcs11.Attribute.LABEL] for c in certs} == {"agency-seal", "agency-seal-ec"}


def test_subjects_are_marked_test_only(dev_pki):
    for path in dev_pki.certs.glob("*.cert.pem"):
        _, _, der = pem.unarmor(path.read_bytes())
        assert "TEST ONLY" in x509.Certificate.load(der).subject.human_friendly, path.name


def test_no_private_key_in_repository():
    import subprocess
    tracked = subprocess.run(["git", "ls-files"], capture_output=True, text=True, check=True).stdout
    for name in tracked.splitlines():
        if name.endswith((".pem", ".key", ".p12", ".pfx")):
            with open(name, "rb") as f:
                assert b"PRIVATE KEY" not in f.read(), name
