# Two commands for a new user: `make run` and `make test`. Both create .venv and install
# what they need; `make test` also installs Debian's Chromium for the browser tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))

.PHONY: run test lint typecheck install install-dev system-deps translations extract-messages clean

run: $(VENV)/.installed $(CATALOGUES)
	scripts/run.sh

test: $(VENV)/.installed-dev $(CATALOGUES) system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# The browser tests drive Debian's Chromium through Playwright; no browser is ever downloaded.
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests (needs root)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Compiled message catalogues (.mo) are build products: made from the committed .po files.
translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d translations -l $*

translations: $(CATALOGUES)

# After changing patient-facing text: refresh the template and the .po files, then translate.
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -k gettext -k ngettext:1,2 --no-location --sort-output --omit-header -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --ignore-obsolete --width 120

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(CATALOGUES)
