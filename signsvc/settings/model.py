"""Typed, frozen settings. Built only by ``signsvc.settings.loader``."""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from pathlib import Path

from signsvc import names

#: PAdES levels and roles as plain strings (defined once in ``signsvc.names``; plain, so a
#: command-line choice or a message shows ``B-LT``, not the member's repr)
LEVELS: tuple[str, ...] = tuple(map(str, names.PADES_LEVELS))
ROLES: tuple[str, ...] = tuple(map(str, names.ROLES))


class Secret:
    """A secret value (PIN, passphrase). Its repr and str never show the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself; call only where it is handed to the token or key loader."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


@dataclass(frozen=True)
class ServiceSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    state_dir: Path = Path("var/state")
    max_document_bytes: int = 25 * 1024 * 1024
    profile: str = "development"
    default_level: str = "B-T"
    signing_timeout_seconds: float = 60.0
    batch_max_files: int = 20                        # POST /v1/verify/batch, files per request
    batch_max_bytes: int = 100 * 1024 * 1024         # and their total size
    # reverse proxies in front (nginx) whose X-Forwarded-For / -Proto are trusted: 0 = none
    # (the TCP peer is the client); 1 = one nginx. Client addresses (audit, login throttle)
    # come from the last `proxy_hops` entries only, so a client cannot forge its address.
    proxy_hops: int = 0
    # this instance's name in log lines, /healthz and metrics; "" = host name:port
    instance_id: str = ""


@dataclass(frozen=True)
class PagesSettings:
    agent_url: str = "http://127.0.0.1:8987"   # the official's local signing agent
    cookie_secure: bool = False                # true behind HTTPS (production)
    session_minutes: int = 480
    signing_session_seconds: int = 300         # how long step 1's hash may be signed
    # login throttling (signsvc.clients.login): per (account, address) and per address
    login_free_failures: int = 5               # failures before the back-off starts
    login_backoff_seconds: float = 1.0         # first back-off, doubled at each further failure
    login_max_backoff_seconds: float = 900.0   # back-off cap (an attacker cannot lock longer)
    login_address_free_failures: int = 20      # failures from one address over all accounts
    totp_roles: tuple[str, ...] = ("clerk",)   # roles that must give a TOTP code (SEC-4)
    # roles that may choose the signature level on the signing page; everyone else signs
    # at the level the e-service profile asks (policy eservice.minimum-level) and is told so
    level_choice_roles: tuple[str, ...] = ()
    # the folder holding the signing agent's package (signsvc-*.whl, the newest offered at
    # GET /help/agent/package and linked from /help/agent); None (unset or "") = none offered
    agent_package_dir: Path | None = None


@dataclass(frozen=True)
class PolicySettings:
    path: Path = Path("config/policy.toml")
    certificate_status_ttl_seconds: float = 300.0


AUDIT_DB_NAME = "audit.sqlite3"
"""The audit log's file in the state folder when ``[audit] path`` does not place it."""


@dataclass(frozen=True)
class StatePaths:
    """Every file and folder of the service's state, named once (``Settings.paths``):
    nothing else types out a state file's name. All under ``state_dir`` except the audit
    log (and its checkpoints), which follow ``[audit] path``."""

    state_dir: Path
    audit_db: Path

    @staticmethod
    def default_audit_db(state_dir: Path) -> Path:
        """Where the audit log goes when ``[audit] path`` is not set."""
        return state_dir / AUDIT_DB_NAME

    @property
    def checkpoint_db(self) -> Path:
        """Signed checkpoints live in the audit log's own database file."""
        return self.audit_db

    @property
    def service_db(self) -> Path:
        """Clients, page logins, rate counters and the revocation cache."""
        return self.state_dir / "signsvc.sqlite3"

    @property
    def workflow_db(self) -> Path:
        """Documents awaiting officials, signing sessions, registered certificates."""
        return self.state_dir / "workflow.sqlite3"

    @property
    def images_db(self) -> Path:
        return self.state_dir / "images.sqlite3"

    @property
    def reports_db(self) -> Path:
        return self.state_dir / "reports.sqlite3"

    @property
    def idempotency_db(self) -> Path:
        """Answers kept for Idempotency-Key retries (signed PDFs: its own file)."""
        return self.state_dir / "idempotency.sqlite3"

    @property
    def jobs_db(self) -> Path:
        """Batch signing jobs, their PDFs and results (its own file)."""
        return self.state_dir / "jobs.sqlite3"

    @property
    def totp_key(self) -> Path:
        """The key that encrypts TOTP secrets (made once, never in the database)."""
        return self.state_dir / "totp-key"

    @property
    def cookie_secret(self) -> Path:
        """The key signing page-session cookies (made once, shared by the workers)."""
        return self.state_dir / "cookie-secret"

    @property
    def active_policy(self) -> Path:
        """The text of the policy last in force (a failed reload keeps it)."""
        return self.state_dir / "policy.active.toml"

    @property
    def policy_lock(self) -> Path:
        return self.state_dir / "policy.lock"

    @property
    def policy_archive(self) -> Path:
        """Every policy once in force, by SHA-256 (for auditors)."""
        return self.state_dir / "policies"

    @property
    def pidfile(self) -> Path:
        """The gunicorn master's pid (``signsvc policy reload`` signals it)."""
        return self.state_dir / "signsvc.pid"

    @property
    def metrics_dir(self) -> Path:
        """The workers' metric sample files under gunicorn (emptied at each start)."""
        return self.state_dir / "run" / "metrics"

    @property
    def control_socket(self) -> Path:
        """gunicorn's control socket (absolute: its length is checked against the limit)."""
        return self.state_dir.resolve() / "gunicorn.ctl"


@dataclass(frozen=True)
class AuditSettings:
    backend: str = "sqlite"
    # when the file does not set it: AUDIT_DB_NAME in [service] state_dir (the loader
    # resolves it, so moving state_dir moves the audit log too); set it only on purpose
    path: Path = Path("var/state") / AUDIT_DB_NAME
    checkpoint_key: str = ""                 # [keys.ID] signing checkpoints; "" = none taken
    checkpoint_every_records: int = 1000     # checkpoint after this many new records ...
    checkpoint_every_seconds: float = 300.0  # ... or this long after the last, if anything is new
    # a secret file (>= 32 bytes, not in the database) keying the chain with HMAC-SHA256;
    # None (or "") = unkeyed. checkpoint_dir: one file per checkpoint, outside the database
    hmac_key_file: Path | None = None
    checkpoint_dir: Path | None = None


@dataclass(frozen=True)
class DatabaseSettings:
    """Where the stores live. ``url`` empty (default): SQLite files in ``[service] state_dir``
    (the audit log at ``[audit] path``), as before; ``postgresql://user@host/db`` (psycopg 3)
    or ``sqlite:////path/file``: every store in that one database, shared by instances."""

    url: str = ""


@dataclass(frozen=True)
class IdempotencySettings:
    """``Idempotency-Key`` on POST /v1/sign, /v1/extend and session completion: a
    retry within ``ttl_seconds`` of the first answer gets that answer again; a request
    still being answered holds its key for at most ``in_progress_seconds`` (longer than
    ``[service] signing_timeout_seconds``; after it, the holder is taken as crashed and a
    retry runs the request again)."""

    ttl_seconds: int = 24 * 3600
    in_progress_seconds: int = 300


@dataclass(frozen=True)
class LoggingSettings:
    """``format``: ``text`` (one line per event, the default) or ``json`` (one JSON object per
    line: time, level, logger, pid, message, request_id, instance; access lines too)."""

    format: str = "text"
    level: str = "INFO"


@dataclass(frozen=True)
class MetricsSettings:
    """Who may read ``GET /metrics``: a client on this machine (loopback address, as the
    service sees it after ``[service] proxy_hops``) when ``loopback``, and API clients
    whose role is in ``roles`` (their bearer token). ``enabled = false``: 404."""

    enabled: bool = True
    loopback: bool = True
    roles: tuple[str, ...] = ("admin",)


@dataclass(frozen=True)
class JobsSettings:
    """Batch signing jobs (``POST /v1/jobs``): at most ``max_files`` PDFs and
    ``max_total_bytes`` in one job; ``workers`` signing threads per service process (0: this
    process signs none); a claimed document left ``lease_seconds`` (longer than ``[service]
    signing_timeout_seconds``) by a worker that died is claimed again; an idle worker looks
    for work every ``poll_seconds``. A job whose documents are all settled (signed, failed
    or cancelled) is deleted with its PDFs ``keep_hours`` after the last one settled.
    ``server_folders_root`` (unset: off) is the folder under which an operator may name a
    folder of PDFs to sign as a job (``POST /v1/jobs`` with ``{"folder": ...}``)."""

    max_files: int = 50
    max_total_bytes: int = 100 * 1024 * 1024
    workers: int = 1
    lease_seconds: int = 120
    poll_seconds: float = 1.0
    keep_hours: int = 168
    server_folders_root: Path | None = None


@dataclass(frozen=True)
class TrustSettings:
    name: str = "unnamed"
    anchors: tuple[Path, ...] = ()
    intermediates: tuple[Path, ...] = ()
    allow_sha1_roots: bool = False
    revocation: str = "soft-fail"      # "hard-fail" | "soft-fail"
    allow_fetching: bool = True


@dataclass(frozen=True)
class TimestampSettings:
    urls: tuple[str, ...] = ()              # tried in order (failover)
    timeout_seconds: float = 10.0           # per attempt
    retries: int = 1                        # extra attempts per TSA, with backoff
    backoff_seconds: float = 0.5
    max_clock_skew_seconds: float = 300.0   # genTime against the local clock
    on_unavailable: str = "fail"            # "fail" (503) | "downgrade" (B-T+ -> B-B, warned)


@dataclass(frozen=True)
class RevocationSettings:
    """OCSP/CRL fetching for B-LT/B-LTA (the policy module should own ``on_unavailable``)."""

    timeout_seconds: float = 10.0
    retries: int = 1
    backoff_seconds: float = 0.5
    cache: bool = True                      # cache in the service database until nextUpdate
    on_unavailable: str = "fail"            # "fail" (503) | "downgrade" (B-LT/B-LTA -> B-T, warned)


@dataclass(frozen=True)
class ArchiveSettings:
    renew_within_days: int = 365            # renew when the last timestamp's TSA cert expires sooner


@dataclass(frozen=True)
class AppearanceSettings:
    """Visible signatures (Decree 30/2020, App. I). ``font_path``: Liberation Serif 2
    (fonts-liberation2, metric-compatible with Times New Roman) unless the agency supplies
    Times New Roman; ``text_color`` black by default (blue is also in use: unresolved)."""

    font_path: Path = Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf")
    text_color: str = "#000000"
    seal_diameter_mm: float = 40.0          # default when a seal image has none of its own
    corner_width_mm: float = 90.0           # the top-right margin box of page 1 (VS-5, VS-6)
    corner_height_mm: float = 25.0
    corner_inset_mm: float = 5.0            # stamp distance from the page's top and right edges
    image_max_bytes: int = 1024 * 1024
    image_max_side: int = 1200              # pixels, each dimension


@dataclass(frozen=True)
class ReportsSettings:
    """Filed verification reports (PDF). ``key``: the ``[keys.ID]`` that signs them (B-T
    when a TSA is configured); "" = no PDF reports. ``keep_minutes``: how long a report
    shown on the auditor's page stays downloadable."""

    key: str = ""
    keep_minutes: int = 60


@dataclass(frozen=True)
class Pkcs11Settings:
    softhsm2_conf: Path | None = None
    sessions_per_key: int = 2


@dataclass(frozen=True)
class KeySpec:
    """One signing key as declared in config. Secrets are resolved at load time."""

    id: str
    backend: str                       # "pkcs11" | "software"
    # pkcs11
    module: Path | None = None
    token_label: str | None = None
    key_label: str | None = None
    key_id: str | None = None          # hex CKA_ID
    pin: Secret | None = field(default=None, repr=False)
    # software
    pkcs12: Path | None = None
    key_pem: Path | None = None
    cert_pem: Path | None = None
    chain_pem: tuple[Path, ...] = ()
    passphrase: Secret | None = field(default=None, repr=False)
    # common
    description: str = ""
    kind: str = "agency-seal"          # "agency-seal" | "official" | "report"
    rsa_padding: str = "pss"           # "pss" | "pkcs1v15" (RSA keys only)


@dataclass(frozen=True)
class Settings:
    base_dir: Path
    config_path: Path | None
    service: ServiceSettings
    audit: AuditSettings
    trust: TrustSettings
    timestamp: TimestampSettings
    pkcs11: Pkcs11Settings
    keys: tuple[KeySpec, ...]
    policy: PolicySettings = PolicySettings()
    pages: PagesSettings = PagesSettings()
    revocation: RevocationSettings = RevocationSettings()
    archive: ArchiveSettings = ArchiveSettings()
    appearance: AppearanceSettings = AppearanceSettings()
    reports: ReportsSettings = ReportsSettings()
    database: DatabaseSettings = DatabaseSettings()
    logging: LoggingSettings = LoggingSettings()
    metrics: MetricsSettings = MetricsSettings()
    idempotency: IdempotencySettings = IdempotencySettings()
    jobs: JobsSettings = JobsSettings()

    def key(self, key_id: str) -> KeySpec | None:
        return next((k for k in self.keys if k.id == key_id), None)

    @property
    def instance_id(self) -> str:
        """This instance's name: ``[service] instance_id``, else host name:port."""
        return self.service.instance_id or f"{platform.node() or 'localhost'}:{self.service.port}"

    @property
    def database_kind(self) -> str:
        """``postgresql`` when ``[database] url`` names PostgreSQL, else ``sqlite``."""
        return "postgresql" if self.database.url.startswith("postgres") else "sqlite"

    @property
    def paths(self) -> StatePaths:
        """The state files (``StatePaths``): ``[service] state_dir`` and ``[audit] path``."""
        return StatePaths(self.service.state_dir, self.audit.path)
