"""Signing keys: every configured key opened once (PKCS#11 token or software file)."""

from __future__ import annotations

import os

from signsvc.adapters.pkcs11_keys import Pkcs11Key, Pkcs11Modules
from signsvc.adapters.software_keys import SoftwareKey
from signsvc.keys.registry import KeyRegistry
from signsvc.settings import Settings


def open_keys(settings: Settings) -> KeyRegistry:
    """Open every configured key once; a bad key stops start-up with a ``ConfigError``
    (the keys opened before it are closed)."""
    if settings.pkcs11.softhsm2_conf is not None:
        os.environ.setdefault("SOFTHSM2_CONF", str(settings.pkcs11.softhsm2_conf))
    modules = Pkcs11Modules()
    opened: list[Pkcs11Key | SoftwareKey] = []
    try:
        for spec in settings.keys:
            if spec.backend == "pkcs11":
                opened.append(Pkcs11Key(spec, modules.get(str(spec.module)),
                                        settings.pkcs11.sessions_per_key))
            else:
                opened.append(SoftwareKey(spec))
    except Exception:
        for key in opened:
            key.close()
        raise
    return KeyRegistry(opened)
