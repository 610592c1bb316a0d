#!/usr/bin/env bash
# Creates .venv-checkov with a pinned checkov. checkov pins python-hcl2 (and others) to versions
# that conflict with the project's .venv, so it lives in its own virtualenv. Idempotent and
# quiet: does nothing when the pinned version is installed; pip's output is shown only on error.
set -euo pipefail
CHECKOV_VERSION="3.3.30"
repo_root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$repo_root/.venv-checkov"
stamp="$venv/.checkov-$CHECKOV_VERSION"
python="${PYTHON:-python3}"

if [ -x "$venv/bin/checkov" ] && [ -f "$stamp" ]; then
  exit 0
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! { "$python" -m venv "$venv" &&
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "checkov==$CHECKOV_VERSION"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "setup-checkov: installing checkov==$CHECKOV_VERSION into $venv failed (see above)." >&2
  exit 1
fi
touch "$stamp"
