# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test bench install browser clean check-broker translations

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

## make translations: compile the gettext catalogs (pasar/translations/*/LC_MESSAGES/messages.po -> .mo);
## after changing a message in the code: `$(BIN)/python -m pasar.i18n_messages extract`, translate, commit the .po
translations: install
	$(BIN)/python -m pasar.i18n_messages compile

## make run: install, migrate, seed demo data, start every process (gateway on http://localhost:8000)
run: install translations
	@test -f .env || cp .env.example .env
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/pasar up

## make test: every test (unit, integration on real PostgreSQL + RabbitMQ, end-to-end, browser)
test: install browser translations
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

## make bench: throughput and latency, each against a baseline measured in the same run
bench: install
	$(BIN)/python -m bench

## Chromium for the browser tests comes from the system package manager (no browser downloads here)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; }

check-broker: install
	$(BIN)/pasar check-broker

clean:
	rm -rf var/*.db var/*.db-* var/mail var/outbox var/screenshots .pytest_cache
