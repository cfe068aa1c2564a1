# The two commands: `make run` (local stack) and `make test` (everything CI runs).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run send test lint typecheck unit integration e2e clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

run: $(VENV)/.installed  ## start the local stack; Ctrl-C stops it
	$(PY) -m devstack run

send: $(VENV)/.installed  ## send signed sample payments through the running stack
	$(PY) -m devstack send

test: lint typecheck  ## everything: lint, types, unit, integration, end-to-end
	$(PY) -m pytest -q

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(VENV)/.installed
	$(PY) -m mypy

unit: $(VENV)/.installed
	$(PY) -m pytest -q tests/unit

integration: $(VENV)/.installed
	$(PY) -m pytest -q tests/integration

e2e: $(VENV)/.installed
	$(PY) -m pytest -q tests/e2e

clean:
	rm -rf $(VENV) .devstack .mypy_cache .ruff_cache .pytest_cache test-artifacts
