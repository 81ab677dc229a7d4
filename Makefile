# Two commands for a new user: `make run` and `make test`. Both create .venv and install
# what they need; `make test` also installs Debian's Chromium for the browser tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))

.PHONY: run test test-scaled faults api-fuzz load-test lint typecheck install install-dev system-deps translations extract-messages clean

run: $(VENV)/.installed $(CATALOGUES)
	scripts/run.sh

test: lint typecheck $(CATALOGUES) system-deps
	$(BIN)/pytest

# The same suite on PostgreSQL + Redis: a throw-away cluster and server, started and stopped here.
test-scaled: $(VENV)/.installed-dev $(CATALOGUES) system-deps
	scripts/with-services.sh $(BIN)/pytest

# Fault tests (SMTP down, a worker killed, the database gone, reports/ unwritable), with real processes:
# once on the embedded defaults (SQLite cannot be unreachable: that one is skipped), once on PostgreSQL + Redis.
faults: $(VENV)/.installed-dev $(CATALOGUES) system-deps
	CLINICFINDER_FAULTS=1 $(BIN)/pytest -m faults -p no:cacheprovider tests/worker/test_faults.py
	CLINICFINDER_FAULTS=1 scripts/with-services.sh $(BIN)/pytest -m faults -p no:cacheprovider tests/worker/test_faults.py

# A bounded schemathesis run (--checks all) of the JSON API against its OpenAPI document, on a seeded
# throw-away instance; fails on any finding. EXAMPLES=N sets the cases per operation (default 60).
api-fuzz: $(VENV)/.installed-dev
	VENV=$(VENV) scripts/api-fuzz.sh

# 50 simulated patients for 60 s against gunicorn + workers on PostgreSQL + Redis; writes benchmarks/RESULTS.md.
load-test: $(VENV)/.installed-dev $(CATALOGUES) system-deps
	scripts/with-services.sh $(BIN)/python -m benchmarks.load_test

# Style, then the house plan: the import contracts of docs/architecture.md (the core stays pure).
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev $(CATALOGUES)

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# The browser tests drive Debian's Chromium through Playwright; no browser is ever downloaded.
# The scaled pass needs PostgreSQL and Redis servers from Debian's packages.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	[ -z "$$missing" ] || { \
	  echo "Installing Debian's$$missing for the tests (needs root)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; }

# Compiled message catalogues (.mo) are build products: made from the committed .po files.
translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d translations -l $*

translations: $(CATALOGUES)

# After changing patient-facing text: refresh the template and the .po files, then translate.
# `python -m` puts the project root on sys.path: babel.cfg's extractor for content/ lives in clinicfinder/.
extract-messages: $(VENV)/.installed
	$(BIN)/python -m babel.messages.frontend extract -F babel.cfg -k _l -k N_ -k gettext -k ngettext:1,2 --no-location --sort-output --omit-header -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --ignore-obsolete --width 120

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(CATALOGUES)
