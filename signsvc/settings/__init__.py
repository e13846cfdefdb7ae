"""Settings: typed, frozen, loaded once at start-up. Imports nothing of signsvc but errors."""

from signsvc.settings.loader import load_settings
from signsvc.settings.model import (
    LEVELS,
    ROLES,
    AuditSettings,
    KeySpec,
    Pkcs11Settings,
    PolicySettings,
    Secret,
    ServiceSettings,
    Settings,
    StatePaths,
    TimestampSettings,
    TrustSettings,
)

__all__ = [
    "LEVELS", "ROLES", "AuditSettings", "KeySpec", "Pkcs11Settings", "PolicySettings", "Secret",
    "ServiceSettings", "Settings", "StatePaths", "TimestampSettings", "TrustSettings", "load_settings",
]
