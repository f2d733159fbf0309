#!/usr/bin/env bash
# Runs the test suite (the default, non-slow tests) in ./.venv, creating it on first use.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m slow` or `-k timeout`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$here/scripts/bootstrap.sh" test
cd "$here"
if [ "$#" -eq 0 ]; then
  set -- -m "not slow"
fi
exec "$here/.venv/bin/python" -m pytest "$@"
