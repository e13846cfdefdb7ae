"""Load settings: defaults -> TOML file -> ``SIGNSVC_SECTION__KEY`` env -> secrets.

Guarantees: the result is fully typed and frozen; unknown sections or keys, wrong types,
bad values and missing secrets raise ``ConfigError`` naming the section, key and problem
(never the secret). Relative paths are resolved against ``base_dir`` (the parent of the
``config/`` folder that holds the file, i.e. the project root for the development set-up).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from signsvc.errors import ConfigError, Message
from signsvc.names import KEY_KINDS
from signsvc.permissions import Permission, roles_for
from signsvc.settings.model import (
    LEVELS,
    ROLES,
    AppearanceSettings,
    ArchiveSettings,
    AuditSettings,
    DatabaseSettings,
    IdempotencySettings,
    JobsSettings,
    KeySpec,
    LoggingSettings,
    MetricsSettings,
    PagesSettings,
    Pkcs11Settings,
    PolicySettings,
    ReportsSettings,
    RevocationSettings,
    Secret,
    ServiceSettings,
    Settings,
    StatePaths,
    TimestampSettings,
    TrustSettings,
)

ENV_PREFIX = "SIGNSVC_"
DEFAULT_CONFIG = Path("config/signsvc.toml")
_SECTIONS = {
    "service": ServiceSettings, "audit": AuditSettings, "trust": TrustSettings,
    "timestamp": TimestampSettings, "pkcs11": Pkcs11Settings, "policy": PolicySettings,
    "pages": PagesSettings,
    "revocation": RevocationSettings, "archive": ArchiveSettings,
    "appearance": AppearanceSettings,
    "reports": ReportsSettings,
    "database": DatabaseSettings,
    "logging": LoggingSettings,
    "metrics": MetricsSettings,
    "idempotency": IdempotencySettings,
    "jobs": JobsSettings,
}
_KEY_FIELDS = {
    "backend", "module", "token_label", "key_label", "key_id", "pin_env", "pin_file",
    "pkcs12", "key_pem", "cert_pem", "chain_pem", "passphrase_env", "passphrase_file",
    "description", "kind", "rsa_padding",
}


def _fail(where: str, problem: str) -> ConfigError:
    return ConfigError(Message(f"Cấu hình [{where}]: {problem}", f"Configuration [{where}]: {problem}"))


def _parse_env_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def apply_env_overrides(data: dict[str, Any], environ: Mapping[str, str]) -> None:
    """Apply ``SIGNSVC_SECTION__KEY`` (and ``SIGNSVC_KEYS__ID__FIELD``) overrides in place.

    ``SIGNSVC_CONFIG`` is not an override. Key ids match with ``-`` written as ``_``.
    """
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        parts = [p.lower() for p in name[len(ENV_PREFIX):].split("__")]
        node = data
        for i, part in enumerate(parts[:-1]):
            match = next((k for k in node if k.replace("-", "_") == part), part) if i else part
            node = node.setdefault(match, {})
            if not isinstance(node, dict):
                raise _fail(name, "override targets a value, not a section")
        node[parts[-1]] = _parse_env_value(raw)


def _coerce(where: str, ftype: Any, value: Any, base_dir: Path) -> Any:
    t = str(ftype)
    if t.startswith("tuple[Path"):
        if not isinstance(value, list):
            raise _fail(where, "expected a list of paths")
        return tuple(_path(base_dir, v) for v in value)
    if t.startswith("tuple[str"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _fail(where, "expected a list of strings")
        return tuple(value)
    if "Path" in t:
        if "None" in t and value == "":
            return None   # an optional path left empty: unset
        if not isinstance(value, str):
            raise _fail(where, "expected a path")
        return _path(base_dir, value)
    if t == "bool":
        if not isinstance(value, bool):
            raise _fail(where, "expected true or false")
        return value
    if t == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(where, "expected an integer")
        return value
    if t == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _fail(where, "expected a number")
        return float(value)
    if not isinstance(value, str):
        raise _fail(where, "expected a string")
    return value


def _path(base_dir: Path, value: str) -> Path:
    p = Path(value)
    return p if p.is_absolute() else base_dir / p


def _section(name: str, cls: type, raw: Any, base_dir: Path) -> Any:
    if not isinstance(raw, dict):
        raise _fail(name, "must be a table")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise _fail(name, f"unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(fields))}")
    return cls(**{k: _coerce(f"{name}.{k}", fields[k].type, v, base_dir) for k, v in raw.items()})


def _secret(where: str, raw: dict[str, Any], stem: str, base_dir: Path,
            environ: Mapping[str, str]) -> Secret | None:
    env_name, file_name = raw.get(f"{stem}_env"), raw.get(f"{stem}_file")
    if env_name and environ.get(env_name):
        return Secret(environ[env_name])
    if env_name and not file_name:
        raise _fail(where, f"{stem} environment variable {env_name} is not set")
    if file_name:
        path = _path(base_dir, file_name)
        try:
            return Secret(path.read_text(encoding="utf-8").strip())
        except OSError:
            raise _fail(where, f"{stem} file {path} cannot be read") from None
    return None


def _key(key_id: str, raw: Any, base_dir: Path, environ: Mapping[str, str]) -> KeySpec:
    where = f"keys.{key_id}"
    if not isinstance(raw, dict):
        raise _fail(where, "must be a table")
    unknown = sorted(set(raw) - _KEY_FIELDS)
    if unknown:
        raise _fail(where, f"unknown key(s) {', '.join(unknown)}")
    backend = raw.get("backend")
    fields = {f.name: f for f in dataclasses.fields(KeySpec)}
    values: dict[str, Any] = {}
    for k, v in raw.items():
        if k in fields and k != "backend":
            values[k] = _coerce(f"{where}.{k}", fields[k].type, v, base_dir)
    if backend == "pkcs11":
        for req in ("module", "token_label"):
            if req not in raw:
                raise _fail(where, f"pkcs11 key needs '{req}'")
        if "key_label" not in raw and "key_id" not in raw:
            raise _fail(where, "pkcs11 key needs 'key_label' or 'key_id'")
        pin = _secret(where, raw, "pin", base_dir, environ)
        if pin is None:
            raise _fail(where, "pkcs11 key needs pin_env or pin_file")
        values["pin"] = pin
    elif backend == "software":
        if ("pkcs12" in raw) == ("key_pem" in raw):
            raise _fail(where, "software key needs exactly one of 'pkcs12' or 'key_pem'")
        if "key_pem" in raw and "cert_pem" not in raw:
            raise _fail(where, "a PEM key needs 'cert_pem'")
        values["passphrase"] = _secret(where, raw, "passphrase", base_dir, environ)
        if "pkcs12" in raw and values["passphrase"] is None:
            raise _fail(where, "a PKCS#12 key needs passphrase_env or passphrase_file")
    else:
        raise _fail(where, f"backend must be 'pkcs11' or 'software', not {backend!r}")
    if values.get("kind", "agency-seal") not in KEY_KINDS:
        raise _fail(where, "kind must be agency-seal, official or report")
    if values.get("rsa_padding", "pss") not in ("pss", "pkcs1v15"):
        raise _fail(where, "rsa_padding must be 'pss' or 'pkcs1v15'")
    return KeySpec(id=key_id, backend=backend, **values)


def load_settings(path: str | os.PathLike[str] | None = None,
                  environ: Mapping[str, str] | None = None) -> Settings:
    """Read the config file named by ``path``, ``$SIGNSVC_CONFIG`` or the default."""
    environ = os.environ if environ is None else environ
    cfg_path = Path(path or environ.get("SIGNSVC_CONFIG") or DEFAULT_CONFIG).resolve()
    try:
        data = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _fail("file", f"config file {cfg_path} not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise _fail("file", f"{cfg_path} is not valid TOML: {exc}") from None
    apply_env_overrides(data, environ)
    base_dir = cfg_path.parent.parent if cfg_path.parent.name == "config" else cfg_path.parent
    return build_settings(data, base_dir, cfg_path, environ)


def build_settings(data: dict[str, Any], base_dir: Path, cfg_path: Path | None,
                   environ: Mapping[str, str]) -> Settings:
    """Validate a parsed config tree into ``Settings``."""
    unknown = sorted(set(data) - set(_SECTIONS) - {"keys"})
    if unknown:
        raise _fail("file", f"unknown section(s) {', '.join(unknown)}")
    sections = {name: _section(name, cls, data.get(name, {}), base_dir)
                for name, cls in _SECTIONS.items()}
    audit_raw = data.get("audit", {})
    if "path" not in audit_raw:
        # state files follow [service] state_dir unless placed elsewhere on purpose
        sections["audit"] = dataclasses.replace(
            sections["audit"], path=StatePaths.default_audit_db(sections["service"].state_dir))
    keys_raw = data.get("keys", {})
    keys = tuple(_key(kid, raw, base_dir, environ) for kid, raw in keys_raw.items())
    svc: ServiceSettings = sections["service"]
    if svc.default_level not in LEVELS:
        raise _fail("service.default_level", f"must be one of {', '.join(LEVELS)}")
    if svc.max_document_bytes <= 0:
        raise _fail("service.max_document_bytes", "must be positive")
    if not 1 <= svc.batch_max_files <= 1000:
        raise _fail("service.batch_max_files", "must be 1..1000")
    if svc.batch_max_bytes <= 0:
        raise _fail("service.batch_max_bytes", "must be positive")
    if not 0 <= svc.proxy_hops <= 5:
        raise _fail("service.proxy_hops", "must be 0..5")
    trust: TrustSettings = sections["trust"]
    if trust.revocation not in ("hard-fail", "soft-fail"):
        raise _fail("trust.revocation", "must be 'hard-fail' or 'soft-fail'")
    for name in ("timestamp", "revocation"):
        sec = sections[name]
        if sec.on_unavailable not in ("fail", "downgrade"):
            raise _fail(f"{name}.on_unavailable", "must be 'fail' or 'downgrade'")
        if sec.retries < 0 or sec.retries > 5 or sec.timeout_seconds <= 0 or sec.backoff_seconds < 0:
            raise _fail(name, "retries must be 0..5, timeout_seconds > 0, backoff_seconds >= 0")
    if not 1 <= sections["pages"].signing_session_seconds <= 3600:
        raise _fail("pages.signing_session_seconds", "must be 1..3600")
    pages: PagesSettings = sections["pages"]
    if pages.login_free_failures < 1 or pages.login_address_free_failures < pages.login_free_failures:
        raise _fail("pages.login_free_failures", "must be >= 1 and <= login_address_free_failures")
    if not 0 < pages.login_backoff_seconds <= pages.login_max_backoff_seconds <= 86400:
        raise _fail("pages.login_backoff_seconds", "0 < login_backoff_seconds <= "
                                                   "login_max_backoff_seconds <= 86400")
    if set(pages.totp_roles) - set(roles_for(Permission.PAGES_LOGIN)):
        raise _fail("pages.totp_roles", "only page roles: official, clerk, auditor")
    # a folder not made yet offers nothing (the help page says to ask the administrator)
    if pages.agent_package_dir is not None and pages.agent_package_dir.exists() and \
            not pages.agent_package_dir.is_dir():
        raise _fail("pages.agent_package_dir", f"{pages.agent_package_dir} is not a folder")
    if sections["archive"].renew_within_days < 0:
        raise _fail("archive.renew_within_days", "must not be negative")
    look = sections["appearance"]
    if len(look.text_color) != 7 or look.text_color[0] != "#" or \
            any(c not in "0123456789abcdefABCDEF" for c in look.text_color[1:]):
        raise _fail("appearance.text_color", "must be a colour written #RRGGBB")
    if not 10 <= look.seal_diameter_mm <= 80 or min(look.corner_width_mm, look.corner_height_mm) <= \
            look.corner_inset_mm or look.corner_inset_mm < 0 or look.image_max_bytes <= 0 or \
            look.image_max_side <= 0:
        raise _fail("appearance", "seal_diameter_mm must be 10..80 mm, the corner box larger than "
                                  "its inset, the image limits positive")
    if sections["audit"].backend != "sqlite":
        raise _fail("audit.backend", "only 'sqlite' is available in this version")
    audit: AuditSettings = sections["audit"]
    # "" (e.g. from the environment) = none
    if audit_raw.get("hmac_key_file") == "":
        audit = dataclasses.replace(audit, hmac_key_file=None)
    if audit_raw.get("checkpoint_dir") == "":
        audit = dataclasses.replace(audit, checkpoint_dir=None)
    sections["audit"] = audit
    if audit.hmac_key_file is not None:
        try:
            size = len(audit.hmac_key_file.read_bytes().strip())
        except OSError:
            raise _fail("audit.hmac_key_file", f"{audit.hmac_key_file} cannot be read") from None
        if size < 32:
            raise _fail("audit.hmac_key_file", "the key must have at least 32 bytes")
    if audit.checkpoint_key and audit.checkpoint_key not in {k.id for k in keys}:
        raise _fail("audit.checkpoint_key", f"no key '{audit.checkpoint_key}' in [keys]")
    reports: ReportsSettings = sections["reports"]
    if reports.key and reports.key not in {k.id for k in keys}:
        raise _fail("reports.key", f"no key '{reports.key}' in [keys] to sign the PDF reports")
    if not 1 <= reports.keep_minutes <= 24 * 60:
        raise _fail("reports.keep_minutes", "must be 1..1440")
    if audit.checkpoint_every_records < 1 or audit.checkpoint_every_seconds <= 0:
        raise _fail("audit", "checkpoint_every_records must be >= 1, checkpoint_every_seconds > 0")
    url = sections["database"].url
    if url and not url.startswith(("sqlite:///", "postgresql://", "postgresql+psycopg://",
                                   "postgres://")):
        raise _fail("database.url", "must be sqlite:///FILE or postgresql://USER@HOST/DB")
    idem: IdempotencySettings = sections["idempotency"]
    if not 1 <= idem.ttl_seconds <= 30 * 86400:
        raise _fail("idempotency.ttl_seconds", "must be 1..2592000 (30 days)")
    if not svc.signing_timeout_seconds < idem.in_progress_seconds <= 86400:
        raise _fail("idempotency.in_progress_seconds",
                    "must exceed service.signing_timeout_seconds, at most 86400")
    if sections["logging"].format not in ("text", "json"):
        raise _fail("logging.format", "must be 'text' or 'json'")
    if sections["logging"].level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise _fail("logging.level", "must be DEBUG, INFO, WARNING or ERROR")
    if not all(c.isalnum() or c in ".:_-" for c in svc.instance_id) or len(svc.instance_id) > 100:
        raise _fail("service.instance_id", "letters, digits and . : _ - only, at most 100")
    if set(sections["metrics"].roles) - set(ROLES):
        raise _fail("metrics.roles", f"roles are {', '.join(ROLES)}")
    jobs: JobsSettings = sections["jobs"]
    if not (1 <= jobs.max_files <= 10000 and jobs.max_total_bytes >= 1 and 0 <= jobs.workers <= 16
            and 0.05 <= jobs.poll_seconds <= 60 and 1 <= jobs.keep_hours <= 24 * 366):
        raise _fail("jobs", "max_files 1..10000, max_total_bytes >= 1, workers 0..16, "
                            "poll_seconds 0.05..60, keep_hours 1..8784")
    if not svc.signing_timeout_seconds < jobs.lease_seconds <= 86400:
        raise _fail("jobs.lease_seconds",
                    "must exceed service.signing_timeout_seconds, at most 86400")
    return Settings(base_dir=base_dir, config_path=cfg_path, keys=keys, **sections)
