"""PolicyHolder with a refresh (the policy in force recorded in the shared database): asked
at most once per interval, switches to what it answers, keeps the policy in force when it
fails or answers nothing."""

from __future__ import annotations

import time

from signsvc.policy.engine import Policy
from signsvc.services.policy_service import PolicyHolder


def _policy(mark: str) -> Policy:
    return Policy(version=mark, sha256=mark * 64, default_eservice="level3", rules=())


def test_refresh_is_asked_once_per_interval_and_switches():
    calls: list[str] = []
    answers: list[Policy | Exception | None] = [None, RuntimeError("database down"),
                                                _policy("b")]

    def refresh(current: Policy) -> Policy | None:
        calls.append(current.version)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    holder = PolicyHolder(_policy("a"), refresh=refresh, every=0.2)
    for _ in range(50):   # within the first interval: never asked
        assert holder.policy.version == "a"
    assert calls == []
    for expected_calls, version in ((1, "a"), (2, "a"), (3, "b")):
        time.sleep(0.25)
        assert holder.policy.version == version      # nothing, a failure, then the new one
        for _ in range(20):
            assert holder.policy.version == version
        assert len(calls) == expected_calls
    assert calls == ["a", "a", "a"]


def test_without_refresh_only_replace_changes_it():
    holder = PolicyHolder(_policy("a"), every=0.0)
    assert holder.policy.version == "a"
    assert holder.replace(_policy("c")).version == "a" and holder.policy.version == "c"
