#!/usr/bin/env bash
# Create .venv-oracle: a separate virtualenv holding the real `mltable` library (and
# azureml-dataprep), used only by the differential tests in tests/data/test_oracle_mltable.py
# (pytest -m oracle). These packages pin cloudpickle<3 and more, so they must never be
# installed into the project's own .venv.
#
# Usage: bash scripts/oracle-venv.sh            (idempotent; re-run to upgrade)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if [ ! -x .venv-oracle/bin/python ]; then
    "$PY" -m venv .venv-oracle
fi
.venv-oracle/bin/python -m pip install --quiet --upgrade pip
.venv-oracle/bin/python -m pip install --quiet mltable 'azureml-dataprep[pandas]' pyarrow pandas
.venv-oracle/bin/python -c "import mltable; print('mltable', mltable.__version__ if hasattr(mltable, '__version__') else '')"
