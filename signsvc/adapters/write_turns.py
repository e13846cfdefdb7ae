"""Writers of one file take turns in arrival order, across threads and processes.

SQLite lets concurrent writers meet at ``BEGIN IMMEDIATE`` and its busy handler then polls
with sleeps growing to 100 ms, so under load some writers starve while others go again:
measured on the audit log, 8 writers in 2 processes appending: p99 430-690 ms, max 2 s.
Waiting instead in a thread lock and then in ``flock`` on ``<file>.lock`` (the kernel
wakes the next waiter at once) gives p99 20-26 ms, max 51 ms, and a higher rate.
"""

from __future__ import annotations

import fcntl
import functools
import os
import threading
import weakref
from collections.abc import Callable


class WriteTurn:
    """An exclusive turn at one file: a thread lock, then ``flock`` on ``lock_path``
    through a descriptor opened by this process (one inherited through ``fork()`` would
    share its lock with the parent)."""

    def __init__(self, lock_path: str) -> None:
        self._lock_path = lock_path
        self._lock = threading.Lock()
        self._fd: tuple[int, int] | None = None   # (pid, fd) in use
        self._fds: list[tuple[int, int]] = []     # every one opened, closed with the turn
        weakref.finalize(self, _close_fd, self._fds)

    def __enter__(self) -> None:
        self._lock.acquire()
        try:
            pid = os.getpid()
            if self._fd is None or self._fd[0] != pid:
                self._fd = (pid, os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600))
                self._fds.append(self._fd)
            fcntl.flock(self._fd[1], fcntl.LOCK_EX)
        except BaseException:
            self._lock.release()
            raise

    def __exit__(self, *exc) -> None:
        try:
            fcntl.flock(self._fd[1], fcntl.LOCK_UN)   # type: ignore[index]
        finally:
            self._lock.release()


def _close_fd(fds: list[tuple[int, int]]) -> None:
    for pid, fd in fds:
        if pid == os.getpid():
            try:
                os.close(fd)
            except OSError:
                pass


def takes_turns(error: Callable[[], Exception]) -> Callable:
    """Decorator for a method of an object with a ``_path``: the method runs holding the
    turn at ``<_path>.lock``; if the turn cannot be taken (``OSError``), ``error()`` is
    raised instead."""
    def decorate(method: Callable) -> Callable:
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            turn = self.__dict__.get("_write_turn")
            if turn is None:
                turn = self.__dict__.setdefault("_write_turn", WriteTurn(self._path + ".lock"))
            try:
                turn.__enter__()
            except OSError as exc:
                raise error() from exc
            try:
                return method(self, *args, **kwargs)
            finally:
                turn.__exit__()
        return wrapper
    return decorate
