#!/usr/bin/env bash
# Creates ./.venv (if missing) and installs daskprs into it with the given extras.
# Usage: source scripts/bootstrap.sh [extras]     e.g. "test" or "dev"
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
extras="${1:-}"
py="${PYTHON:-python3}"
if [ ! -x "$here/.venv/bin/python" ]; then
  "$py" -m venv "$here/.venv"
fi
stamp="$here/.venv/.daskprs-installed-${extras:-base}"
if [ ! -f "$stamp" ] || [ "$here/pyproject.toml" -nt "$stamp" ]; then
  "$here/.venv/bin/python" -m pip install -q --upgrade pip >&2
  if [ -n "$extras" ]; then
    "$here/.venv/bin/python" -m pip install -q -e "$here[$extras]" >&2
  else
    "$here/.venv/bin/python" -m pip install -q -e "$here" >&2
  fi
  touch "$stamp"
fi
