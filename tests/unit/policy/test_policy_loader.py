"""The policy file: strict validation with the line of each problem."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from signsvc.policy.loader import PolicyError, parse_policy

KEYS = {"agency-seal", "dev-software"}
GOOD = """version = "t1"
default_eservice = "level3"

[rules."crypto.digest"]
level = "deny"
allowed = ["sha256"]

[rules."rate.client"]
level = "warn"
per_minute = 5
per_day = 100
"""


def test_good_policy_parses_with_hash_and_defaults():
    p = parse_policy(GOOD, KEYS)
    assert p.version == "t1" and p.sha256 == hashlib.sha256(GOOD.encode()).hexdigest()
    assert [(r.id, r.level) for r in p.rules] == [("crypto.digest", "deny"), ("rate.client", "warn")]
    assert p.rules[1].params == {"per_minute": 5, "per_day": 100}


def test_shipped_policy_file_is_valid():
    text = (Path(__file__).resolve().parents[3] / "config" / "policy.toml").read_text()
    p = parse_policy(text, {"agency-seal", "agency-seal-ec", "dev-software"})
    assert len(p.rules) >= 20


@pytest.mark.parametrize("text,line,needle", [
    (GOOD.replace('per_day = 100', 'per_dya = 100'), 11, "no parameter 'per_dya'"),
    (GOOD.replace('"crypto.digest"', '"crypto.digets"'), 4, "unknown rule id 'crypto.digets'"),
    (GOOD.replace('level = "warn"', 'level = "maybe"'), 9, "level must be deny, warn or info"),
    (GOOD.replace('per_minute = 5', 'per_minute = "5"'), 10, "'per_minute' has the wrong type"),
    (GOOD.replace('per_minute = 5', 'per_minute = 500'), 10, "contradictory"),
    (GOOD.replace('allowed = ["sha256"]', 'allowed = ["sha256", "sha1"]'), 6, "sha1 may never"),
    (GOOD + '\n[rules."custody.key-roles"]\nlevel = "deny"\nkeys = { no-such-key = ["clerk"] }\n',
     15, "key 'no-such-key' is not configured"),
    (GOOD + '\n[rules."eservice.minimum-level"]\nlevel = "deny"\nlevel3 = "B-LT"\nlevel4 = "B-T"\n',
     16, "level4 requires less than level3"),
    ('version = "x"\ncolour = "red"\n[rules."cert.chain"]\nlevel = "deny"\n', 2, "unknown key 'colour'"),
    ('version = "x"\n', 0, "the rule set is empty"),
    ('version = "x"\n[rules\n', 2, "not valid TOML"),
])
def test_bad_policy_names_the_line(text, line, needle):
    with pytest.raises(PolicyError) as exc:
        parse_policy(text, KEYS)
    assert needle in exc.value.message.en
    if line:
        assert f"line {line}:" in exc.value.message.en and f"dòng {line}:" in exc.value.message.vi
