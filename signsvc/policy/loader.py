"""Parse and validate a policy file's text into a ``Policy`` (pure: the caller reads the file).

Guarantees: unknown top-level keys, unknown rule ids, unknown or mistyped parameters,
bad levels, an empty rule set, rules naming keys that are not configured and
contradictory settings raise ``PolicyError`` whose message names the line.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterable
from typing import Any

from signsvc.errors import ConfigError, Message
from signsvc.names import Severity
from signsvc.policy.engine import ALL_RULES, SEVERITY_NAMES, ConfiguredRule, Policy
from signsvc.policy.intake import check_params as check_intake_params
from signsvc.policy.rules import LEVEL_ORDER

TOP_KEYS = {"version", "default_eservice", "rules"}
ESERVICES = ("level3", "level4", "copy")
NEVER_DIGESTS = {"sha1", "md5"}


class PolicyError(ConfigError):
    code = "policy-invalid"


def _line_of(text: str, pattern: str, start: int = 0) -> int:
    lines = text.splitlines()
    rx = re.compile(pattern)
    for i in range(start, len(lines)):
        if rx.search(lines[i]):
            return i + 1
    return 0


def _err(line: int, vi: str, en: str) -> PolicyError:
    where_vi = f"dòng {line}: " if line else ""
    where_en = f"line {line}: " if line else ""
    return PolicyError(Message(f"Chính sách, {where_vi}{vi}", f"Policy, {where_en}{en}"), line=line)


def _type_ok(default: Any, value: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, list):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if isinstance(default, dict):
        return isinstance(value, dict) and all(
            isinstance(v, list) and all(isinstance(x, str) for x in v) for v in value.values())
    return isinstance(value, str)


def parse_policy(text: str, known_keys: Iterable[str]) -> Policy:
    """The validated policy, or ``PolicyError`` naming the line of the first problem."""
    known_keys = set(known_keys)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise _err(int(m.group(1)) if m else 0, f"không phải TOML hợp lệ ({exc})",
                   f"not valid TOML ({exc})") from None
    for key in data:
        if key not in TOP_KEYS:
            raise _err(_line_of(text, rf"^\s*{re.escape(key)}\s*="),
                       f"khóa không hợp lệ '{key}'", f"unknown key '{key}'")
    version = data.get("version")
    if not isinstance(version, str) or not version:
        raise _err(_line_of(text, r"^\s*version\s*="), "thiếu 'version'", "'version' is missing")
    default_eservice = data.get("default_eservice", "level3")
    if default_eservice not in ESERVICES:
        raise _err(_line_of(text, r"^\s*default_eservice\s*="),
                   f"default_eservice phải là một trong {', '.join(ESERVICES)}",
                   f"default_eservice must be one of {', '.join(ESERVICES)}")
    rules_raw = data.get("rules", {})
    if not isinstance(rules_raw, dict) or not rules_raw:
        raise _err(0, "tập luật rỗng: chính sách phải có ít nhất một luật",
                   "the rule set is empty: a policy needs at least one rule")
    rules = []
    for rule_id, body in rules_raw.items():
        header = _line_of(text, rf"^\s*\[\s*rules\.\"?{re.escape(rule_id)}\"?\s*\]")
        if rule_id not in ALL_RULES:
            raise _err(header, f"luật không tồn tại '{rule_id}'", f"unknown rule id '{rule_id}'")
        if not isinstance(body, dict):
            raise _err(header, f"luật '{rule_id}' phải là một bảng", f"rule '{rule_id}' must be a table")
        spec = ALL_RULES[rule_id]
        severity = body.get("level")
        if severity not in SEVERITY_NAMES:
            raise _err(_line_of(text, r"^\s*level\s*=", header) or header,
                       f"luật '{rule_id}': level phải là deny, warn hoặc info",
                       f"rule '{rule_id}': level must be deny, warn or info")
        params = dict(spec.params)
        for name, value in body.items():
            if name == "level":
                continue
            line = _line_of(text, rf"^\s*{re.escape(name)}\s*=", header) or header
            if name not in spec.params:
                raise _err(line, f"luật '{rule_id}' không có tham số '{name}'",
                           f"rule '{rule_id}' has no parameter '{name}' "
                           f"(known: {', '.join(sorted(spec.params)) or 'none'})")
            if not _type_ok(spec.params[name], value):
                raise _err(line, f"luật '{rule_id}': '{name}' sai kiểu dữ liệu",
                           f"rule '{rule_id}': '{name}' has the wrong type")
            params[name] = float(value) if isinstance(spec.params[name], float) else value
        _check_semantics(text, header, rule_id, params, known_keys)
        rules.append(ConfiguredRule(rule_id, Severity(severity), params, header))
    return Policy(version=version, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                  default_eservice=default_eservice, rules=tuple(rules), text=text)


def _check_semantics(text: str, header: int, rule_id: str, p: dict[str, Any],
                     known_keys: set[str]) -> None:
    def at(name: str) -> int:
        return _line_of(text, rf"^\s*{re.escape(name)}\s*=", header) or header

    intake_problem = check_intake_params(rule_id, p)
    if intake_problem is not None:
        raise _err(header, intake_problem.vi, intake_problem.en)
    if rule_id == "crypto.digest":
        bad = sorted(NEVER_DIGESTS & set(p["allowed"]))
        if bad:
            raise _err(at("allowed"), f"không bao giờ cho phép {', '.join(bad)} cho chữ ký mới",
                       f"{', '.join(bad)} may never be allowed for new signatures")
    if rule_id == "crypto.key-type" and (p["rsa_min_bits"] < 2048 or p["ec_min_bits"] < 256):
        raise _err(header, "độ dài khóa tối thiểu thấp hơn quy định (RSA 2048, ECDSA 256)",
                   "minimum key sizes below the regulation (RSA 2048, ECDSA 256)")
    if rule_id in ("rate.client", "rate.key"):
        if p["per_minute"] < 1 or p["per_day"] < 1:
            raise _err(header, "giới hạn tần suất phải dương", "rate limits must be positive")
        if p["per_minute"] > p["per_day"]:
            raise _err(at("per_minute"), "giới hạn mỗi phút lớn hơn hạn mức mỗi ngày (mâu thuẫn)",
                       "per_minute is larger than per_day (contradictory)")
    if rule_id == "eservice.minimum-level":
        for name in ("level3", "level4", "copy"):
            if p[name] not in LEVEL_ORDER:
                raise _err(at(name), f"'{name}' phải là B-B, B-T, B-LT hoặc B-LTA",
                           f"'{name}' must be B-B, B-T, B-LT or B-LTA")
        if LEVEL_ORDER[p["level3"]] > LEVEL_ORDER[p["level4"]]:
            raise _err(at("level4"), "mức độ 4 yêu cầu thấp hơn mức độ 3 (mâu thuẫn)",
                       "level4 requires less than level3 (contradictory)")
    if rule_id == "custody.key-roles":
        for key_id in p["keys"]:
            if key_id not in known_keys:
                raise _err(_line_of(text, re.escape(key_id), header) or header,
                           f"khóa '{key_id}' không có trong cấu hình", f"key '{key_id}' is not configured")
    if rule_id == "cert.revocation" and p["mode"] not in ("hard-fail", "soft-fail"):
        raise _err(at("mode"), "mode phải là hard-fail hoặc soft-fail", "mode must be hard-fail or soft-fail")
    if rule_id == "cert.validity" and p["min_remaining_days"] < 0:
        raise _err(at("min_remaining_days"), "min_remaining_days không được âm",
                   "min_remaining_days may not be negative")
    if rule_id == "workflow.attachments" and p["default_mode"] not in ("separate_file", "same_file"):
        raise _err(at("default_mode"), "default_mode phải là separate_file hoặc same_file",
                   "default_mode must be separate_file or same_file")
    if rule_id == "workflow.copies" and not p["roles"]:
        raise _err(at("roles"), "roles rỗng: không ai ký được bản sao",
                   "roles is empty: nobody could sign copies")
    if rule_id == "clock.tsa-skew" and p["max_skew_seconds"] < 0:
        raise _err(at("max_skew_seconds"), "max_skew_seconds không được âm",
                   "max_skew_seconds may not be negative")
