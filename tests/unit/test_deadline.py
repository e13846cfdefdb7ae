"""signsvc.deadline: the earlier deadline wins, remaining() is capped and raises once
the deadline passed, and asyncio code run inside sees it."""

from __future__ import annotations

import asyncio
import time

import pytest

from signsvc import deadline


def test_no_deadline_gives_the_cap():
    assert deadline.remaining(7.0) == 7.0 and deadline.remaining() is None
    assert not deadline.expired()
    deadline.check()


def test_earlier_deadline_wins_and_is_restored():
    with deadline.within(10.0):
        assert 9.0 < deadline.remaining() <= 10.0
        assert deadline.remaining(2.0) == 2.0
        with deadline.within(60.0):             # never extended
            assert deadline.remaining() <= 10.0
        with deadline.within(1.0):
            assert deadline.remaining() <= 1.0
        assert deadline.remaining() > 1.0
    assert deadline.remaining() is None


def test_past_the_deadline():
    with deadline.within(0.01):
        time.sleep(0.02)
        assert deadline.expired()
        with pytest.raises(deadline.DeadlineExceeded):
            deadline.remaining(5.0)
        with pytest.raises(TimeoutError):     # callers catching OSError/TimeoutError see it
            deadline.check()


def test_asyncio_run_and_threads_of_to_thread_see_it():
    async def inner() -> tuple[float | None, float | None]:
        return deadline.remaining(), await asyncio.to_thread(deadline.remaining)

    with deadline.within(5.0):
        here, there = asyncio.run(inner())
    assert 4.0 < here <= 5.0 and 4.0 < there <= 5.0
