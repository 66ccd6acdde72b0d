# The README's two commands: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PRISM  := .cache/prism/node_modules/.bin/prism

.DEFAULT_GOAL := help
.PHONY: help run demo test test-fast bench lint format prism clean

help:
	@echo "make run    set everything up and serve the dashboard on http://127.0.0.1:8000"
	@echo "make demo   the same, with a sandbox Discourse, NodeBB and UserEcho connected"
	@echo "make test   set everything up and run the whole test suite"
	@echo "make test-fast  the quick tests only (no browser, no Celery workers, no Prism)"
	@echo "make bench  speed benchmarks against the sandbox forums"
	@echo "make lint   ruff check, ruff format --check, the import contracts (lint-imports) and mypy (types)"
	@echo "make format ruff format and ruff check --fix"

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  (echo "Forumdeck needs Python 3.11 or newer (set PYTHON=...)"; exit 1)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed-run
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

.env:
	$(BIN)/python -m dashboard.envfile .env

run: $(VENV)/.installed-run .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py ensure_admin
	$(BIN)/python manage.py runstack

demo:
	FORUMDECK_DEMO=1 $(MAKE) run

# Prism (contract tests) comes from npm; without npm those tests are skipped locally and
# required in CI (FORUMDECK_REQUIRE_ALL=1).
$(PRISM):
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --silent --no-audit --no-fund --prefix .cache/prism @stoplight/prism-cli@5.16.0; \
	else echo "npm not found: contract tests will be skipped"; fi

prism: $(PRISM)

test: $(VENV)/.installed-dev
	@$(MAKE) --no-print-directory prism || true
	@# pytest exits 5 when it collects nothing; say so instead of failing obscurely.
	@$(BIN)/pytest; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$rc

test-fast: $(VENV)/.installed-dev
	$(BIN)/pytest -m "not e2e and not worker and not contract"

bench: $(VENV)/.installed-dev
	$(BIN)/python -m tools.bench

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf var .pytest_cache .ruff_cache .mypy_cache
