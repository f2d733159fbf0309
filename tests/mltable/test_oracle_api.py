"""Differential tests: ``daskprs.mltable`` against the real ``mltable`` 1.7, call chain for call
chain (``chains.py``): the MLTable document each builds, the frame it reads (columns in order,
dtype families, rows in order), plain values, errors for bad input, and ``save()`` in both
directions (each side loads what the other saved and reads the same frame).

The real library runs in ``.venv-oracle`` (``bash scripts/oracle-venv.sh``), in one subprocess
over all chains (``oracle_api_runner.py``); without it these tests skip.
Run: ``.venv/bin/pytest -m oracle tests/mltable``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from chains import CHAINS, files
from oracle_api_runner import _load, run_chains
from test_oracle_mltable import compare_frames

import daskprs.mltable
from daskprs.mltable import _errors

pytestmark = pytest.mark.oracle

REPO = Path(__file__).resolve().parents[2]
ORACLE_PY = REPO / ".venv-oracle" / "bin" / "python"
CASES_DIR = REPO / "tests" / "oracle_data" / "cases"
BY_NAME = {c["name"]: c for c in CHAINS}
OUR_ERRORS = {
    cls.__name__
    for cls in (
        _errors.MLTableError,
        _errors.MLTableArgumentError,
        _errors.MLTableSaveError,
        _errors.MLTableValidationError,
    )
}


def write_data(folder: Path) -> None:
    for name, content in files(str(folder)).items():
        p = folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8", newline="")
    table = pa.table({"s": [f"r{i}" for i in range(10)], "n": [i * 10 for i in range(10)]})
    pq.write_table(table, folder / "d.parquet", row_group_size=3)


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, dict[str, Any]]:
    if not ORACLE_PY.exists():
        pytest.skip("no .venv-oracle: run `bash scripts/oracle-venv.sh` to install mltable")
    tmp = tmp_path_factory.mktemp("mltable_api")
    data, saved = tmp / "data", tmp / "saved"
    write_data(data)
    ours = run_chains(daskprs.mltable, str(data), str(CASES_DIR), str(saved), "ours")
    proc = subprocess.run(
        [
            str(ORACLE_PY),
            str(Path(__file__).with_name("oracle_api_runner.py")),
            str(data),
            str(CASES_DIR),
            str(tmp / "theirs.json"),
            str(saved),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        pytest.fail(f"the oracle runner failed:\n{proc.stderr[-3000:]}")
    theirs = json.loads((tmp / "theirs.json").read_text())
    for c in CHAINS:  # now that the oracle has saved its tables: load them here
        if c.get("save") and "saved" in ours[c["name"]]:
            ours[c["name"]]["loaded_other"] = _load(
                daskprs.mltable, str(saved / "theirs" / c["name"])
            )
    return {"ours": ours, "theirs": theirs, "theirs_saved": str(saved / "theirs")}


def test_enough_chains() -> None:
    tables = [c for c in CHAINS if c["compare"] != "error"]
    assert len(tables) >= 30 and len(CHAINS) - len(tables) >= 15
    assert sum(1 for c in CHAINS if c.get("save")) >= 5


def _table(mine: dict[str, Any], theirs: dict[str, Any], mode: str) -> None:
    assert "error" not in theirs, f"mltable failed: {theirs['error']}"
    assert "error" not in mine, f"daskprs.mltable failed: {mine['error']}"
    if "doc" in theirs:
        assert mine["doc"] == theirs["doc"], "the MLTable documents differ"
    if mode == "paths":
        assert mine["frame"]["columns"] == theirs["frame"]["columns"] == ["Path"]
        assert mine["frame"]["rows"] == theirs["frame"]["rows"]
        return
    compare_frames(mine["frame"], theirs["frame"], mode)


@pytest.mark.parametrize("name", [c["name"] for c in CHAINS])
def test_same_result_as_mltable(results, name: str, request) -> None:
    c = BY_NAME[name]
    if c.get("known"):
        request.applymarker(pytest.mark.xfail(reason=c["known"], strict=True))
    mine, theirs = results["ours"][name], results["theirs"][name]
    mode = c["compare"]
    if mode == "error":
        assert "error" in theirs, f"mltable raised nothing: {theirs}"
        assert "error" in mine, f"daskprs.mltable raised nothing: {mine}"
        assert mine.get("error_type") in OUR_ERRORS, mine["error"]
        for part in (c.get("key"), c.get("file")):
            assert part is None or part in mine["error"], (part, mine["error"])
    elif mode == "value":
        assert "error" not in theirs, theirs
        assert mine == theirs
    elif "tables" in theirs:
        assert len(mine["tables"]) == len(theirs["tables"])
        for a, b in zip(mine["tables"], theirs["tables"], strict=True):
            _table(a, b, mode)
    else:
        _table(mine, theirs, mode)


@pytest.mark.parametrize("name", [c["name"] for c in CHAINS if c.get("save")])
def test_save_loads_in_the_other_library(results, name: str) -> None:
    """mltable loads what daskprs.mltable saved, and the other way round: same document
    (paths made absolute again) and the same frame as the chain that was saved."""
    mode = BY_NAME[name]["compare"]
    mine, theirs = results["ours"][name], results["theirs"][name]
    assert mine["saved"] == "ok" and theirs["saved"] == "ok", (mine["saved"], theirs["saved"])
    _table(theirs["loaded_other"], mine, mode)  # mltable read our file as we read the chain
    _table(mine["loaded_other"], theirs, mode)  # we read mltable's file as it read the chain


@pytest.mark.parametrize("name", ["partition_format_loaded", "load_keep_regex"])
def test_jobs_read_what_mltable_saved(results, name: str) -> None:
    """A job's input saved by the real mltable (``tbl.save(...)`` in an Azure script), in
    rslex's spelling (extract_columns_from_partition_format's ignore_errors / path_column,
    column patterns as {ignoreCase, invert, pattern, selector: name_regex}): the job reads
    the table mltable read before saving."""
    from oracle_frames import frame

    from daskprs.data import load_mltable, load_piece, plan_mini_batches

    saved = Path(results["theirs_saved"]) / name
    assert (saved / "MLTable").exists()
    pieces = plan_mini_batches(load_mltable(str(saved)), 1 << 30)
    df = pd.concat([load_piece(p) for p in pieces], ignore_index=True)
    theirs = results["theirs"][name]
    compare_frames(frame(df), theirs["frame"], BY_NAME[name]["compare"])
