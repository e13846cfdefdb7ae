# signsvc -- the two commands a new user needs are `make run` and `make test`.
# Both install what is missing (scripts/install.sh), build the development PKI and
# SoftHSM2 tokens (certs/devpki.py) and are safe to run again.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
DEV_ENV := set -a && . var/dev.env && set +a

.PHONY: run test deps pki responders stop lint bench bench-cluster clean-state cluster cluster-stop

deps:
	@bash scripts/install.sh

pki: deps
	@$(PY) certs/devpki.py

responders: pki
	@bash scripts/responders.sh start

run: responders
	@$(DEV_ENV) && bash scripts/first-run-help.sh
	@$(DEV_ENV) && exec $(VENV)/bin/signsvc serve

# lint first: the suite runs only on a tree whose import contracts, types and style hold
test: pki lint
	@$(DEV_ENV) && $(PY) -m pytest $(PYTEST_ARGS)

# import-linter (contracts in pyproject.toml), mypy ([tool.mypy]) and ruff ([tool.ruff]);
# one line each when clean, the tool's full output when not
lint: deps
	@out=$$($(VENV)/bin/lint-imports --no-cache 2>&1) && echo "import contracts: ok" || { echo "$$out"; exit 1; }
	@out=$$($(VENV)/bin/mypy 2>&1) && echo "types (mypy): ok" || { echo "$$out"; exit 1; }
	@out=$$($(VENV)/bin/ruff check signsvc tests bench scripts certs 2>&1) && echo "style (ruff): ok" || { echo "$$out"; exit 1; }

bench: responders
	@$(DEV_ENV) && $(PY) bench/sign_throughput.py
	@$(DEV_ENV) && $(PY) bench/http_load.py $(HTTP_LOAD_ARGS)

# signatures per second through nginx with one and with two instances (scripts/cluster.sh on
# free ports, a fresh database each); e.g. CLUSTER_LOAD_ARGS="--key agency-seal --level B-T"
bench-cluster: responders
	@$(DEV_ENV) && $(PY) bench/cluster_load.py $(CLUSTER_LOAD_ARGS)

stop:
	@bash scripts/responders.sh stop

# the production shape on one machine (scripts/cluster.sh, config/signsvc.cluster.toml):
# PostgreSQL (var/pg), signsvc on 127.0.0.1:8081 and :8082, nginx on 127.0.0.1:8080
# balancing them; in the foreground, Ctrl-C stops it all. Ports: CLUSTER_PORT,
# CLUSTER_INSTANCE_PORTS. The command line on its database: SIGNSVC_CONFIG=config/signsvc.cluster.toml
cluster: responders
	@$(DEV_ENV) && exec bash scripts/cluster.sh run

# stop a cluster started in another terminal or in the background (pid files in var/run)
cluster-stop:
	@bash scripts/cluster.sh stop
