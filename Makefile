# Partsemble: the commands that matter.
#   make demo   install, migrate, load the demo business and its QuickBooks sandbox, serve on HOST:PORT (127.0.0.1:5000)
#   make test   install with dev extras and run the whole test suite
#   make lint   the import layers (import-linter), ruff (lint and format), and mypy on domain/, connectors/ and costing/
#   make mutate mutation testing of the domain, the costing engine and the QBO parser (not in CI; tests/MUTATION.md)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
INSTANCE := $(CURDIR)/instance
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=
# Areas for make mutate (domain parser costing; all when empty); MUTATE_JOBS=N workers (default 2).
MUTATE_AREAS ?=

.PHONY: demo test test-fast test-slow test-postgres lint bench mutate venv venv-runtime dev clean

# Two locked sets (requirements/README.md): runtime.txt is what the app needs, and all
# `make demo` installs; lock.txt adds the test and audit tools for `make test`. The
# stamps let a runtime-only venv be topped up with the dev set later without reinstalling.
# pip itself is not upgraded for the runtime set: the venv's own pip installs pinned wheels
# fine, and skipping the upgrade keeps a first `make demo` quick.
PIP_INSTALL := $(PY) -m pip install --quiet --disable-pip-version-check

$(VENV)/.runtime: pyproject.toml requirements/runtime.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -r requirements/runtime.txt
	$(PIP_INSTALL) --no-deps -e .
	$(PY) -m pip check --disable-pip-version-check >/dev/null  # the runtime lock lacks nothing the app needs
	touch $@

$(VENV)/.installed: $(VENV)/.runtime requirements/lock.txt
	$(PIP_INSTALL) -r requirements/lock.txt
	touch $@

venv-runtime: $(VENV)/.runtime

venv: $(VENV)/.installed

$(INSTANCE)/secret_key:
	mkdir -p -m 700 $(INSTANCE)
	(umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(48))" > $@)  # 0600 from the start, not after

DEMO_ENV = PARTSEMBLE_SECRET_KEY="$$(cat $(INSTANCE)/secret_key)" \
	PARTSEMBLE_SANDBOX=1 PARTSEMBLE_DEMO=1 \
	PARTSEMBLE_QBO_CLIENT_ID=demo-client PARTSEMBLE_QBO_CLIENT_SECRET=demo-secret \
	PARTSEMBLE_QBO_API_BASE=http://$(HOST):$(PORT)/sandbox/v3 \
	PARTSEMBLE_QBO_AUTH_URL=http://$(HOST):$(PORT)/sandbox/oauth2/authorize \
	PARTSEMBLE_QBO_TOKEN_URL=http://$(HOST):$(PORT)/sandbox/oauth2/tokens/bearer \
	PARTSEMBLE_QBO_REVOKE_URL=http://$(HOST):$(PORT)/sandbox/oauth2/tokens/revoke \
	PARTSEMBLE_QBO_APP_URL=http://$(HOST):$(PORT)/sandbox/app \
	PARTSEMBLE_QBO_REDIRECT_URI=http://$(HOST):$(PORT)/connections/qbo/callback \
	PARTSEMBLE_XERO_CLIENT_ID=demo-xero-client PARTSEMBLE_XERO_CLIENT_SECRET=demo-xero-secret \
	PARTSEMBLE_XERO_API_BASE=http://$(HOST):$(PORT)/sandbox/xero/api.xro/2.0 \
	PARTSEMBLE_XERO_AUTH_URL=http://$(HOST):$(PORT)/sandbox/xero/identity/connect/authorize \
	PARTSEMBLE_XERO_TOKEN_URL=http://$(HOST):$(PORT)/sandbox/xero/identity/connect/token \
	PARTSEMBLE_XERO_REVOKE_URL=http://$(HOST):$(PORT)/sandbox/xero/identity/connect/revocation \
	PARTSEMBLE_XERO_CONNECTIONS_URL=http://$(HOST):$(PORT)/sandbox/xero/connections \
	PARTSEMBLE_XERO_REDIRECT_URI=http://$(HOST):$(PORT)/connections/xero/callback

demo: venv-runtime $(INSTANCE)/secret_key
	@$(DEMO_ENV) $(VENV)/bin/partsemble db upgrade
	@$(DEMO_ENV) $(VENV)/bin/partsemble demo --url http://$(HOST):$(PORT)
	@$(DEMO_ENV) $(VENV)/bin/partsemble run --host $(HOST) --port $(PORT) --with-threads

# Every test, on one worker per core (pytest-xdist; PYTEST_WORKERS=0 runs in this process, for
# pdb). worksteal: a worker that runs out takes tests queued for the other, so the long ones
# (the crash suite, the browser tests) do not leave a core idle at the end.
PYTEST_WORKERS ?= auto
PYTEST_PARALLEL = -n $(PYTEST_WORKERS) --dist worksteal

test: venv
	$(PY) -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

test-fast: venv
	$(PY) -m pytest $(PYTEST_PARALLEL) -m "not slow and not e2e" $(PYTEST_ARGS)

test-postgres: venv
	PARTSEMBLE_TEST_DATABASE_URL=$${PARTSEMBLE_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} $(PY) -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

# What .ci/run checks before the tests; the contracts and settings are in pyproject.toml.
LINT_PATHS := partsemble tests benchmarks mutation
TYPED_PATHS := partsemble/domain partsemble/connectors partsemble/costing

lint: venv
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)
	$(VENV)/bin/mypy $(TYPED_PATHS)

bench: venv
	$(PY) -m benchmarks.run_all

# mutmut works on copies under .mutmut/<area>/mutants/; the working tree is never mutated.
mutate: venv
	$(PY) -m mutation.run $(MUTATE_AREAS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .mutmut mutants .mypy_cache .ruff_cache .import_linter_cache .grimp_cache
