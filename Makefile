# Two set-up commands: `make run` (the whole system on SQLite with demo data) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
OTKLIK := $(VENV)/bin/otklik
STAMP := $(VENV)/.installed-dev
HTMX := otklik/web/vendor/htmx/htmx.min.js
export DJANGO_SETTINGS_MODULE ?= config.settings.dev

.PHONY: run test check bench bench-1m venv assets chromium clean messages api-fuzz

# pip speaks only on errors (-qq): its notices and the build backend's warnings would bury what
# `make run` prints last, the address and the logins.
PIP := PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_WARN_SCRIPT_LOCATION=1 $(VENV)/bin/pip install -qq
# The port of `make run` (OTKLIK_PORT works too): `make run PORT=8001`.
PORT ?= $(or $(OTKLIK_PORT),8000)
HOST ?= $(or $(OTKLIK_HOST),127.0.0.1)

$(VENV)/bin/python:
	@$(PYTHON) -m venv $(VENV)
	@$(PIP) --upgrade pip wheel setuptools 2>&1 | grep -v "^WARNING: Location" || true

$(STAMP): pyproject.toml | $(VENV)/bin/python
	@echo "Устанавливаю зависимости в $(VENV) (один раз, несколько минут)…"
	@set -o pipefail; $(PIP) -e '.[dev]' 2>&1 | { grep -v "^WARNING: Location" || true; }
	@touch $(STAMP)

venv: $(STAMP)

# htmx comes from the npm registry at set-up (never a CDN); the UI still works without it.
$(HTMX): package.json
	@if command -v npm >/dev/null 2>&1; then \
		npm install --no-audit --no-fund --loglevel=error >/dev/null && \
		mkdir -p $(dir $(HTMX)) && cp node_modules/htmx.org/dist/htmx.min.js $(HTMX); \
	else echo "npm not found: the UI works without htmx, with full page reloads"; fi

assets: $(HTMX)

# System checks run once, in `serve` (each warning shown once); the steps before skip them.
run: venv assets
	@$(OTKLIK) migrate --noinput --skip-checks -v0
	@$(OTKLIK) collectstatic --noinput -v0
	@$(OTKLIK) demo --if-empty --skip-checks
	@$(OTKLIK) serve --dev --host $(HOST) --port $(PORT)

# The browser for the e2e tests: Debian's chromium (Playwright's own download cannot work offline).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		(apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || \
		echo "chromium could not be installed: the e2e tests will be skipped"; }

test: venv assets chromium
	DJANGO_SETTINGS_MODULE=config.settings.test $(VENV)/bin/pytest -q -n 2 --dist loadgroup -p no:cacheprovider

check: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy otklik config
	$(VENV)/bin/lint-imports

# schemathesis against the API's own OpenAPI schema on a live server (SQLite, demo data, a token);
# `make api-fuzz EXAMPLES=100` for a longer run.
api-fuzz: venv
	OTKLIK_SCHEMATHESIS_EXAMPLES=$(or $(EXAMPLES),25) .ci/schemathesis

# Every benchmark; bench_screens.py seeds 100,000 cases and measures every screen under gunicorn
# (on PostgreSQL with OTKLIK_DATABASE_URL=postgres://…). `make bench-1m`: the screens at 1,000,000.
bench: venv
	@for f in tests/bench/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

bench-1m: venv
	$(PY) tests/bench/bench_screens.py --million

# The catalog is kept sorted by msgid, without source locations or a creation date, so that
# branches adding strings in different places merge without conflicts.
PO := otklik/locale/en/LC_MESSAGES/django.po
messages: venv
	cd otklik && ../$(OTKLIK) makemessages -l en --ignore=triage/engine/data --no-obsolete --no-location
	msgcat --sort-output --no-location --width=120 -o $(PO) $(PO)
	sed -i '/^"POT-Creation-Date: /d' $(PO)
	cd otklik && ../$(OTKLIK) compilemessages -l en

clean:
	rm -rf $(VENV) var node_modules otklik/web/vendor test-artifacts
