#!/usr/bin/env bash
# Runs the bundled example pipeline (examples/iris) on the embedded Dask cluster.
# Creates ./.venv on first use. Extra arguments go to `daskprs job create`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$here/scripts/bootstrap.sh"
exec "$here/.venv/bin/daskprs" job create --file "$here/examples/iris/pipeline.yml" "$@"
