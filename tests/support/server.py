"""A real ``signsvc serve`` (gunicorn) in a subprocess, for tests that need the server a
user runs: its own state folder, a free loopback port, its output kept in a file."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO

SIGNSVC = str(REPO / ".venv" / "bin" / "signsvc")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    base: str
    port: int
    state: Path
    log: Path
    env: dict[str, str]
    process: subprocess.Popen

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """Run the ``signsvc`` command line against this server's configuration."""
        return subprocess.run([SIGNSVC, *args], env=self.env, cwd=REPO, capture_output=True,
                              text=True, timeout=timeout)

    def new_client(self, name: str, role: str, keys: str) -> str:
        """Create an API client with ``signsvc clients create`` and return its bearer token
        (the command's last line); fails the test if the command fails."""
        created = self.cli("clients", "create", name, "--role", role, "--keys", keys)
        assert created.returncode == 0, created.stderr
        return created.stdout.splitlines()[-1].strip()


def send(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None,
         method: str = "POST", timeout: float = 120) -> tuple[int, bytes, dict[str, str]]:
    """One HTTP request; its status, body and headers, for error statuses too."""
    req = urllib.request.Request(url, method=method, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def wait_healthy(base: str, process: subprocess.Popen, timeout: float = 60) -> None:
    """Return once ``/healthz`` answers 200; raise if the server exits or time runs out."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if process.poll() is not None:
            raise AssertionError(f"signsvc serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"signsvc serve did not answer /healthz within {timeout} s")


@contextmanager
def running_server(tmp_path: Path, *, env: dict[str, str] | None = None, workers: int = 1,
                   threads: int = 4, state: Path | None = None) -> Iterator[Server]:
    """``signsvc serve`` on a free port with state in ``tmp_path/state`` (which is not
    created beforehand: the server must make it); stopped (SIGTERM, then SIGKILL of its
    process group) on exit."""
    state = state or tmp_path / "state"
    full_env = {**os.environ, "SIGNSVC_SERVICE__STATE_DIR": str(state), **(env or {})}
    port = free_port()
    tmp_path.mkdir(parents=True, exist_ok=True)
    log = tmp_path / f"serve-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [SIGNSVC, "serve", "--port", str(port), "--workers", str(workers),
             "--threads", str(threads)],
            env=full_env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_healthy(base, process)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{log.read_text(errors='replace')[-3000:]}") from None
        yield Server(base=base, port=port, state=state, log=log, env=full_env, process=process)
    finally:
        stop(process)


def stop(process: subprocess.Popen, timeout: float = 20) -> None:
    """Stop the server and everything in its process group."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=5)
