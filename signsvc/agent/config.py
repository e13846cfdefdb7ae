"""The agent's configuration: one TOML file written by the agency's administrator.

Guarantees of ``load_config`` / ``parse_config``:
- unknown sections or keys, wrong types, missing required keys and contradictory
  settings raise ``AgentConfigError`` naming the section and key, in Vietnamese and
  English; nothing is defaulted silently except the documented defaults below;
- the agent binds ``127.0.0.1`` only: any other ``[server] host`` is refused;
- allowed origins are exact ``scheme://host[:port]`` strings (no wildcard, no ``null``,
  no path), stored lower-case;
- PKCS#11 module paths are absolute paths to existing files (they come only from here);
- ``[pin] mode = "env"`` is accepted only with ``unsafe_headless = true``.

Layout::

    [server]
    host = "127.0.0.1"            # optional; nothing else is accepted
    port = 8987
    allowed_origins = ["https://dichvucong.example.gov.vn"]
    allow_requests_without_origin = false   # tests only

    [[tokens]]
    module = "/usr/lib/softhsm/libsofthsm2.so"
    label = "official-an"

    [pin]
    mode = "prompt"               # or "env" (tests, needs unsafe_headless = true)
    env_var = "SIGNSVC_AGENT_PIN"
    unsafe_headless = false
    prompt_timeout_seconds = 120
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

LOOPBACK = "127.0.0.1"
DEFAULT_PROMPT_TIMEOUT = 120


class AgentConfigError(Exception):
    """A configuration the agent refuses to start with; ``str()`` is bilingual."""

    def __init__(self, where: str, vi: str, en: str) -> None:
        self.where, self.vi, self.en = where, vi, en
        super().__init__(f"[{where}] {vi} / {en}")


@dataclass(frozen=True)
class ServerConfig:
    port: int
    allowed_origins: tuple[str, ...]
    allow_requests_without_origin: bool = False
    host: str = LOOPBACK


@dataclass(frozen=True)
class TokenConfig:
    module: str
    label: str


@dataclass(frozen=True)
class PinConfig:
    mode: str = "prompt"
    env_var: str | None = None
    unsafe_headless: bool = False
    prompt_timeout_seconds: int = DEFAULT_PROMPT_TIMEOUT


@dataclass(frozen=True)
class AgentConfig:
    server: ServerConfig
    tokens: tuple[TokenConfig, ...]
    pin: PinConfig


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _check_keys(where: str, table: Any, allowed: set[str], required: set[str]) -> dict:
    if not isinstance(table, dict):
        raise AgentConfigError(where, "phải là một bảng (table)", "must be a table")
    for key in table:
        if key not in allowed:
            raise AgentConfigError(f"{where}.{key}", "khóa không được hỗ trợ",
                                   f"unknown key (allowed: {', '.join(sorted(allowed))})")
    for key in sorted(required):
        if key not in table:
            raise AgentConfigError(f"{where}.{key}", "thiếu khóa bắt buộc", "required key is missing")
    return table


def _typed(where: str, value: Any, kind: type, what: str) -> Any:
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        raise AgentConfigError(where, f"phải là {what}", f"must be {what}")
    return value


def _origin(where: str, value: Any) -> str:
    _typed(where, value, str, "a string")
    parts = urlsplit(value)
    try:
        port = parts.port
    except ValueError:
        port = -1
    valid = (parts.scheme in ("http", "https") and parts.hostname and port != -1
             and not parts.path and not parts.query and not parts.fragment
             and not parts.username and not parts.password and "*" not in value)
    if not valid:
        raise AgentConfigError(where, f"nguồn gốc (origin) không hợp lệ: {value!r}",
                               f"not an origin of the form scheme://host[:port]: {value!r}")
    return value.lower()


def parse_config(data: dict[str, Any]) -> AgentConfig:
    """Validate a decoded TOML document into an ``AgentConfig``."""
    _check_keys("config", data, {"server", "tokens", "pin"}, {"server", "tokens"})

    srv = _check_keys("server", data["server"],
                      {"host", "port", "allowed_origins", "allow_requests_without_origin"},
                      {"port", "allowed_origins"})
    host = _typed("server.host", srv.get("host", LOOPBACK), str, "a string")
    if host != LOOPBACK:
        raise AgentConfigError("server.host", f"chỉ được lắng nghe trên {LOOPBACK}, không phải {host!r}",
                               f"the agent listens on {LOOPBACK} only, not {host!r}")
    port = _typed("server.port", srv["port"], int, "an integer")
    if not 1 <= port <= 65535:
        raise AgentConfigError("server.port", "cổng phải trong khoảng 1..65535",
                               "the port must be 1..65535")
    origins = _typed("server.allowed_origins", srv["allowed_origins"], list, "a list of origins")
    if not origins:
        raise AgentConfigError("server.allowed_origins", "danh sách không được rỗng",
                               "the list must not be empty")
    allowed = tuple(dict.fromkeys(_origin(f"server.allowed_origins[{i}]", o)
                                  for i, o in enumerate(origins)))
    no_origin = _typed("server.allow_requests_without_origin",
                       srv.get("allow_requests_without_origin", False), bool, "true or false")

    tokens_raw = _typed("tokens", data["tokens"], list, "an array of tables [[tokens]]")
    if not tokens_raw:
        raise AgentConfigError("tokens", "cần ít nhất một token", "at least one token is required")
    tokens: list[TokenConfig] = []
    for i, t in enumerate(tokens_raw):
        where = f"tokens[{i}]"
        _check_keys(where, t, {"module", "label"}, {"module", "label"})
        module = _typed(f"{where}.module", t["module"], str, "a string")
        if not Path(module).is_absolute() or not Path(module).is_file():
            raise AgentConfigError(f"{where}.module",
                                   f"thư viện PKCS#11 không tồn tại (cần đường dẫn tuyệt đối): {module}",
                                   f"the PKCS#11 module must be an absolute path to a file: {module}")
        label = _typed(f"{where}.label", t["label"], str, "a string")
        if not label or len(label.encode()) > 32:
            raise AgentConfigError(f"{where}.label", "nhãn token dài 1..32 byte",
                                   "a token label is 1..32 bytes")
        if any(x.label == label and x.module == module for x in tokens):
            raise AgentConfigError(f"{where}.label", "token bị khai báo hai lần",
                                   "the same token is configured twice")
        tokens.append(TokenConfig(module=module, label=label))

    pin_raw = _check_keys("pin", data.get("pin", {}),
                          {"mode", "env_var", "unsafe_headless", "prompt_timeout_seconds"}, set())
    mode = _typed("pin.mode", pin_raw.get("mode", "prompt"), str, "a string")
    if mode not in ("prompt", "env"):
        raise AgentConfigError("pin.mode", "phải là \"prompt\" hoặc \"env\"",
                               "must be \"prompt\" or \"env\"")
    unsafe = _typed("pin.unsafe_headless", pin_raw.get("unsafe_headless", False), bool,
                    "true or false")
    env_var = pin_raw.get("env_var")
    if env_var is not None:
        _typed("pin.env_var", env_var, str, "a string")
        if not _ENV_NAME.fullmatch(env_var):
            raise AgentConfigError("pin.env_var", "tên biến môi trường không hợp lệ",
                                   "not an environment variable name")
    timeout = _typed("pin.prompt_timeout_seconds",
                     pin_raw.get("prompt_timeout_seconds", DEFAULT_PROMPT_TIMEOUT), int, "an integer")
    if not 10 <= timeout <= 600:
        raise AgentConfigError("pin.prompt_timeout_seconds", "phải trong khoảng 10..600 giây",
                               "must be 10..600 seconds")
    if mode == "env":
        if env_var is None:
            raise AgentConfigError("pin.env_var", "chế độ \"env\" cần tên biến môi trường",
                                   "mode \"env\" needs env_var")
        if not unsafe:
            raise AgentConfigError(
                "pin.mode", "chế độ \"env\" (không hỏi PIN) chỉ dùng để kiểm thử và cần "
                "unsafe_headless = true",
                "mode \"env\" (no PIN prompt) is for tests only and needs unsafe_headless = true")
    else:
        if env_var is not None or unsafe:
            raise AgentConfigError("pin", "env_var và unsafe_headless chỉ dùng với mode = \"env\"",
                                   "env_var and unsafe_headless apply only to mode = \"env\"")

    return AgentConfig(
        server=ServerConfig(port=port, allowed_origins=allowed,
                            allow_requests_without_origin=no_origin, host=host),
        tokens=tuple(tokens),
        pin=PinConfig(mode=mode, env_var=env_var, unsafe_headless=unsafe,
                      prompt_timeout_seconds=timeout))


def load_config(path: str | Path) -> AgentConfig:
    """Read and validate the TOML file at ``path``; raises ``AgentConfigError``."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise AgentConfigError(str(p), "không đọc được tệp cấu hình",
                               f"cannot read the config file ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AgentConfigError(str(p), "tệp cấu hình không phải TOML hợp lệ",
                               f"not valid TOML: {exc}") from None
    return parse_config(data)
