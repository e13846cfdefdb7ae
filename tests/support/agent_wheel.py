"""The signsvc wheel (the signing agent's package) built from this checkout, once per test
session, the way scripts/install.sh builds var/dist: a clean copy of pyproject.toml and
signsvc/, ``pip wheel --no-deps --no-build-isolation`` (``wheel`` is a dev dependency)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_built: dict[str, Path] = {}


def build_wheel(workdir: Path) -> Path:
    """The wheel built into ``workdir/dist`` (once per session: later calls return the first
    wheel, whatever ``workdir``)."""
    if "wheel" in _built:
        return _built["wheel"]
    src = workdir / "src"
    src.mkdir(parents=True)
    shutil.copy2(REPO / "pyproject.toml", src / "pyproject.toml")
    shutil.copytree(REPO / "signsvc", src / "signsvc",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = workdir / "dist"
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                           "--no-build-isolation", "-w", str(out), str(src)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    wheels = list(out.glob("signsvc-*.whl"))
    assert len(wheels) == 1, wheels
    _built["wheel"] = wheels[0]
    return wheels[0]
