#!/usr/bin/env bash
# Creates .venv-checkov with a pinned checkov. checkov pins python-hcl2 (and others) to versions
# that conflict with the project's .venv, so it lives in its own virtualenv. Idempotent: does
# nothing when the pinned version is already installed.
set -euo pipefail
CHECKOV_VERSION="3.3.30"
repo_root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$repo_root/.venv-checkov"
python="${PYTHON:-python3}"

if [ -x "$venv/bin/checkov" ] && [ -f "$venv/.checkov-$CHECKOV_VERSION" ]; then
  exit 0
fi
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
"$venv/bin/python" -m pip install -q --disable-pip-version-check "checkov==$CHECKOV_VERSION"
touch "$venv/.checkov-$CHECKOV_VERSION"
