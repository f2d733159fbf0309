"""daskprs.mltable has mltable 1.7's public names with the same parameters and defaults.

``mltable_signatures.json`` is the snapshot (``mltable_signatures.py`` makes it from the real
package); when ``.venv-oracle`` exists the snapshot itself is checked against it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from mltable_signatures import describe

import daskprs.mltable

HERE = Path(__file__).parent
SNAPSHOT = json.loads((HERE / "mltable_signatures.json").read_text())
ORACLE_PY = HERE.parents[1] / ".venv-oracle" / "bin" / "python"
# what daskprs adds (docs/mltable.md): nothing else may differ
EXTRAS = {"MLTable": {"to_dask_dataframe"}, "DataType": {"__eq__", "__repr__"}}
OURS = describe(daskprs.mltable)
NAMES = sorted(k for k in SNAPSHOT if k != "mltable")


def test_snapshot_is_mltable_1_7() -> None:
    assert SNAPSHOT["mltable"].startswith("1.7")
    assert OURS["__all__"] == SNAPSHOT["__all__"]


@pytest.mark.parametrize("name", NAMES)
def test_same_names_parameters_and_defaults(name: str) -> None:
    mine, theirs = OURS[name], SNAPSHOT[name]
    if isinstance(theirs, dict):
        extra = set(mine) - set(theirs)
        assert extra == EXTRAS.get(name, set()), f"{name}: members mltable does not have"
        mine = {k: v for k, v in mine.items() if k in theirs}
    assert mine == theirs


@pytest.mark.skipif(not ORACLE_PY.exists(), reason="needs .venv-oracle with mltable")
def test_snapshot_matches_installed_mltable() -> None:
    proc = subprocess.run(
        [str(ORACLE_PY), str(HERE / "mltable_signatures.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(proc.stdout) == SNAPSHOT
