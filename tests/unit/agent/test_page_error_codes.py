"""The signing page's error handling (static/sign.js) against what the agent and the server
really answer: every code a person can meet is mapped to a message that exists in both
languages, and the agent's and the server's codes for the situations people meet are
distinct, so the page (and its tests) can tell them apart."""

from __future__ import annotations

import re

from signsvc import errors
from signsvc.agent.protocol import ERRORS as AGENT
from signsvc.services.session_service import AGENT_FAILURES
from signsvc.web.i18n import TEXTS
from tests.conftest import REPO

JS = (REPO / "signsvc" / "web" / "static" / "sign.js").read_text(encoding="utf-8")
#: agent answers a page never sees from a working set-up (a bug, not a person's situation)
AGENT_INTERNAL = {"not-found", "bad-request"}


def js_map(name: str) -> dict[str, str]:
    body = re.search(r"const " + name + r" = \{(.*?)\};", JS, re.S)
    assert body, name
    return dict(re.findall(r'"([a-z0-9-]+)":\s*"([a-z0-9-]+)"', body.group(1)))


def js_list(name: str) -> list[str]:
    body = re.search(r"const " + name + r" = \[(.*?)\];", JS, re.S)
    assert body, name
    return re.findall(r'"([a-z0-9-]+)"', body.group(1))


def server_codes() -> set[str]:
    found, todo = set(), [errors.SignsvcError]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if isinstance(getattr(cls, "code", None), str):
            found.add(cls.code)
    return found


def message_key(key: str) -> str:
    return key.replace("-", "_")


def test_every_agent_error_a_person_meets_has_a_message():
    mapped = js_map("AGENT_ERRORS")
    assert set(AGENT) - AGENT_INTERNAL == set(mapped)
    for key in mapped.values():
        for lang in ("vi", "en"):
            assert TEXTS[lang].get(message_key(key)), (lang, key)


def test_server_codes_mapped_by_the_page_exist_and_have_messages():
    mapped = js_map("SERVER_ERRORS")
    assert set(mapped) <= server_codes()
    for key in mapped.values():
        for lang in ("vi", "en"):
            assert TEXTS[lang].get(message_key(key)), (lang, key)
    assert TEXTS["vi"]["err_agent"] and TEXTS["vi"]["err_place"]   # the page's own two


def test_agent_and_server_codes_are_distinct():
    # only the generic 'not-found' / 'bad-request' are shared, and the page maps neither
    assert set(AGENT) & server_codes() <= AGENT_INTERNAL
    assert not AGENT_INTERNAL & (set(js_map("AGENT_ERRORS")) | set(js_map("SERVER_ERRORS")))
    situations = {
        "agent not running": "agent-unreachable",
        "token not inserted": "token-not-present",
        "wrong PIN": "pin-incorrect",
        "certificate not registered": "certificate-not-registered",
        "session expired": "session-expired",
        "document changed meanwhile": "stale-revision",
    }
    assert len(set(situations.values())) == len(situations)
    assert "agent-unreachable" in JS and "agent-unreachable" not in set(AGENT) | server_codes()
    keys = {**js_map("AGENT_ERRORS"), **js_map("SERVER_ERRORS"), "agent-unreachable": "err-agent"}
    messages = [TEXTS["vi"][message_key(keys[c])] for c in situations.values()]
    assert len(set(messages)) == len(messages)        # six different explanations


def test_what_the_page_reports_is_what_the_server_accepts():
    assert js_list("REPORTED") == list(AGENT_FAILURES)
    assert set(AGENT_FAILURES) <= set(AGENT)
