#!/usr/bin/env bash
# Create .venv-azure: a separate virtualenv holding the real `azure-ai-ml` SDK, used only by the
# spec parity tests in tests/spec/test_azure_parity.py (pytest -m oracle). azure-ai-ml pins
# many packages (marshmallow, azure-core, ...), so it must never be installed into .venv.
# The tests call `azure.ai.ml.load_job` offline: no account, no network beyond this install.
#
# Usage: bash scripts/oracle-azure-venv.sh      (idempotent; re-run to upgrade)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if [ ! -x .venv-azure/bin/python ]; then
    "$PY" -m venv .venv-azure
fi
.venv-azure/bin/python -m pip install --quiet --upgrade pip
.venv-azure/bin/python -m pip install --quiet "azure-ai-ml${AZURE_AI_ML_VERSION:+==$AZURE_AI_ML_VERSION}"
.venv-azure/bin/python -c "import azure.ai.ml as m; print('azure-ai-ml', m.__version__)"
