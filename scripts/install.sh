#!/usr/bin/env bash
# Install what signsvc needs on Debian 12 -- the one install script shared by `make`,
# `.ci/run` and the Dockerfile, so that the three cannot drift.
#
#   scripts/install.sh            system packages + .venv with the project and dev tools
#   scripts/install.sh --prod     system packages (runtime only) + the project into the
#                                 current Python (used by the Dockerfile)
# Idempotent: installs only what is missing; re-installs Python packages only when
# pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=dev
[ "${1:-}" = "--prod" ] && mode=prod

# fonts-liberation2: Liberation Serif 2.x (metric-compatible with Times New Roman, full
# Vietnamese coverage; fonts-liberation 1.07 lacks U+1EA0-1EF9) for visible signatures
runtime_pkgs=(softhsm2 opensc libnss3-tools poppler-utils ca-certificates fonts-liberation2)
# chromium: the browser the page tests drive through Playwright (executablePath);
# Playwright never downloads a browser of its own here. xvfb + xdotool: the agent's Tk PIN
# window is tested on a virtual screen, typed into as a person would (python3-tk: Tk itself).
# nginx: the production front (config/nginx/signsvc.conf) is tested as shipped; make cluster
# runs it in front of two instances (config/nginx.cluster.conf)
# postgresql: the storage tests and make cluster run on it (scripts/postgres.sh, a cluster under var/pg)
# docker-compose: compose.yaml is checked against the Compose schema (`docker-compose config`,
# no Docker daemon needed)
dev_pkgs=(python3-venv chromium xvfb xdotool python3-tk nginx postgresql docker-compose)

need=()
for p in "${runtime_pkgs[@]}" $( [ "$mode" = dev ] && echo "${dev_pkgs[@]}" ); do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "install: apt-get install ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ "$mode" = prod ]; then
  python3 -m pip install --no-cache-dir .
  exit 0
fi

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
stamp=$(sha256sum pyproject.toml | cut -c1-64)
if [ ! -x .venv/bin/python ] || [ "$(cat .venv/.stamp 2>/dev/null)" != "$stamp" ]; then
  echo "install: creating .venv and installing signsvc with its dev tools"
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  echo "$stamp" > .venv/.stamp
fi

# the signing agent's package, offered for download on /help/agent ([pages]
# agent_package_dir = "var/dist" in config/signsvc.toml): rebuilt only when pyproject.toml or a
# file under signsvc/ changed (hash stamp), from a clean copy of those sources (no stale
# build/ folder), offline (`wheel` is a dev dependency); older wheels there are removed
dist=var/dist
src_hash=$(find pyproject.toml signsvc -type f ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 \
           | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64)
if ! ls "$dist"/signsvc-*.whl >/dev/null 2>&1 || [ "$(cat "$dist/.stamp" 2>/dev/null)" != "$src_hash" ]; then
  echo "install: building the agent package (signsvc wheel) into $dist"
  build_dir=$(mktemp -d)
  trap 'rm -rf "$build_dir"' EXIT
  tar -c --exclude=__pycache__ --exclude='*.pyc' pyproject.toml signsvc | tar -x -C "$build_dir"
  if ! .venv/bin/python -m pip wheel -q --no-deps --no-build-isolation -w "$build_dir/out" \
       "$build_dir" >"$build_dir/log" 2>&1; then
    cat "$build_dir/log" >&2
    exit 1
  fi
  mkdir -p "$dist"
  rm -f "$dist"/signsvc-*.whl
  mv "$build_dir"/out/signsvc-*.whl "$dist"/
  echo "$src_hash" > "$dist/.stamp"
fi
