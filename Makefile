# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Pinned, hashed installs: requirements.lock (what the Docker image runs) and requirements-dev.lock (that plus
# the test tools, same versions). `make lock` refreshes them from pyproject.toml.
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(DEV_LOCK) 2>/dev/null | cksum | cut -d' ' -f1)

.PHONY: run test release-check fuzz-release bench install lock lock-upgrade browser clean check-broker translations

# keyed on the contents of pyproject.toml and the lock (not their times): a new lock is a new stamp name
$(STAMP):
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q --require-hashes -r $(DEV_LOCK)
	$(BIN)/pip install -q --no-deps -e .
	@# pyproject.toml asks for something the lock does not give (a new dependency, a higher version): stop here
	@$(BIN)/pip check >/dev/null || { $(BIN)/pip check; \
	  echo "pyproject.toml and $(DEV_LOCK) disagree: run 'make lock' and commit both lock files" >&2; exit 1; }
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

## make lock: pin every dependency (with hashes) after editing pyproject.toml; keeps existing pins
lock: $(BIN)/uv
	$(BIN)/uv pip compile -q pyproject.toml --python-version 3.11 --generate-hashes -o $(LOCK)
	$(BIN)/uv pip compile -q pyproject.toml --extra test --python-version 3.11 --generate-hashes -c $(LOCK) -o $(DEV_LOCK)

## make lock-upgrade: the same, moving every pin to the newest allowed version
lock-upgrade: $(BIN)/uv
	$(BIN)/uv pip compile -q --upgrade pyproject.toml --python-version 3.11 --generate-hashes -o $(LOCK)
	$(BIN)/uv pip compile -q --upgrade pyproject.toml --extra test --python-version 3.11 --generate-hashes -c $(LOCK) -o $(DEV_LOCK)

$(BIN)/uv:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q uv

## make translations: compile the gettext catalogs (pasar/translations/*/LC_MESSAGES/messages.po -> .mo);
## after changing a message in the code: `$(BIN)/python -m pasar.i18n_messages extract`, translate, commit the .po
translations: install
	$(BIN)/python -m pasar.i18n_messages compile

## make run: install, start a broker if none answers, migrate, seed demo data, start every process under
## supervisord (gateway on http://localhost:8000). Settings come from .env (copied from .env.example once).
run: install translations
	@test -f .env || { cp .env.example .env && echo "wrote .env from .env.example (edit it to change settings)"; }
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/pasar up

## make test: every test (unit, integration on real PostgreSQL + RabbitMQ, end-to-end, browser).
## Tests never read .env: the harness passes its own environment with PASAR_DOTENV=0.
test: install browser translations
	PASAR_DOTENV=0 $(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

## make release-check: the long release checks `make test` deselects (tests marked `release`: chaos with restarts
## and kills, the database cut, the three-node cluster, the release-sized conformance fuzz)
release-check: install browser translations
	PASAR_DOTENV=0 PASAR_RELEASE_CHECKS=1 $(BIN)/python -m pytest -q -p no:cacheprovider -m release $(PYTEST_ARGS)

## make fuzz-release: the release-sized schemathesis run (>= 50,000 cases, every phase for every identity); make test
## runs the CI-sized one (>= 5,000 cases)
fuzz-release: install
	PASAR_DOTENV=0 PASAR_RELEASE_CHECKS=1 $(BIN)/python -m pytest -q -s -p no:cacheprovider -m release tests/e2e/test_gateway_schemathesis.py

## make bench: throughput and latency, each against a baseline measured in the same run
bench: install
	PASAR_DOTENV=0 $(BIN)/python -m bench

## Chromium for the browser tests comes from the system package manager (no browser downloads here)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; }

check-broker: install
	$(BIN)/pasar check-broker

clean:
	rm -rf var/*.db var/*.db-* var/mail var/outbox var/screenshots .pytest_cache
