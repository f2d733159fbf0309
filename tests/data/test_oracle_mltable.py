"""Differential tests: our MLTable reader and planner against the real ``mltable`` library.

The oracle runs in its own virtualenv (``bash scripts/oracle-venv.sh`` creates
``.venv-oracle``; mltable pins cloudpickle<3 and more, so it never enters ``.venv``), in one
subprocess over the whole corpus ``tests/oracle_data/cases`` (``oracle_runner.py``); results
come back as JSON normalised by ``oracle_frames.py`` on both sides. Compared: column names, dtype
families, rows, and — at each case's ``partition_sizes`` — the mini-batch count and the rows of
every mini batch against ``_with_partition_size`` / ``get_partition_count`` /
``select_partitions``. Known, accepted differences: tests/oracle_data/KNOWN_DIFFERENCES.md.

Run: ``.venv/bin/pytest -m oracle tests/data/test_oracle_mltable.py``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from oracle_frames import frame

from daskprs.data import load_mltable, load_piece, plan_mini_batches
from daskprs.data.pieces import meta_frame
from daskprs.errors import MLTableError

pytestmark = pytest.mark.oracle

REPO = Path(__file__).resolve().parents[2]
ORACLE_PY = REPO / ".venv-oracle" / "bin" / "python"
CASES_DIR = REPO / "tests" / "oracle_data" / "cases"
CASES = sorted(p.name for p in CASES_DIR.iterdir()) if CASES_DIR.is_dir() else []


def case_meta(name: str) -> dict[str, Any]:
    meta = yaml.safe_load((CASES_DIR / name / "oracle.yaml").read_text())
    return {"name": name, "path": str(CASES_DIR / name), **meta}


@pytest.fixture(scope="module")
def oracle(tmp_path_factory) -> dict[str, Any]:
    if not ORACLE_PY.exists():
        pytest.skip(
            "no .venv-oracle: run `bash scripts/oracle-venv.sh` to install the mltable oracle"
        )
    tmp = tmp_path_factory.mktemp("oracle")
    (tmp / "cases.json").write_text(json.dumps([case_meta(n) for n in CASES]))
    proc = subprocess.run(
        [
            str(ORACLE_PY),
            str(Path(__file__).with_name("oracle_runner.py")),
            str(tmp / "cases.json"),
            str(tmp / "out.json"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        pytest.fail(f"the oracle runner failed:\n{proc.stderr[-3000:]}")
    return json.loads((tmp / "out.json").read_text())


def _known(request: pytest.FixtureRequest, meta: dict[str, Any], what: str) -> None:
    why = (meta.get("known_difference") or {}).get(what)
    if why:
        request.applymarker(pytest.mark.xfail(reason=f"KNOWN_DIFFERENCES.md: {why}", strict=True))


def ours(name: str, size: int | None = None) -> list[Any]:
    table = load_mltable(str(CASES_DIR / name))
    return [load_piece(p) for p in plan_mini_batches(table, size)]


def ours_full(name: str) -> Any:
    data = ours(name)
    if data and isinstance(data[0], list):
        return [f for chunk in data for f in chunk]
    return pd.concat(data, ignore_index=True)


def _sorted_rows(rows: list[list[Any]]) -> list[list[Any]]:
    return sorted(rows, key=lambda r: json.dumps(r, default=str))


def compare_frames(mine: dict[str, Any], theirs: dict[str, Any], mode: str) -> None:
    assert mine["columns"] == theirs["columns"], "column names"
    for col, a, b in zip(mine["columns"], mine["families"], theirs["families"], strict=True):
        assert a == b or "empty" in (a, b), f"dtype family of {col!r}: ours {a}, mltable {b}"
    if mode == "schema":
        return
    if mode == "sorted":
        assert _sorted_rows(mine["rows"]) == _sorted_rows(theirs["rows"])
    else:
        assert mine["rows"] == theirs["rows"]


@pytest.mark.parametrize("name", CASES)
def test_same_table_as_mltable(oracle, name, request):
    meta = case_meta(name)
    _known(request, meta, "table")
    result = oracle[name]
    if meta["compare"] == "error":  # mltable rejects it: so must we, with an MLTableError
        assert "error" in result, f"mltable accepts it: {result.get('full')}"
        with pytest.raises(MLTableError):
            ours_full(name)
        return
    if "error" in result:
        pytest.fail(f"mltable could not read this case: {result['error']}")
    mine, theirs = frame(ours_full(name)), result["full"]
    if meta["compare"] == "files":
        assert sorted(mine["files"]) == sorted(r[0] for r in theirs["rows"])
        return
    compare_frames(mine, theirs, meta["compare"])


@pytest.mark.parametrize("name", [n for n in CASES if case_meta(n)["partition_sizes"]])
def test_same_mini_batches_as_mltable(oracle, name, request):
    meta = case_meta(name)
    _known(request, meta, "mini_batches")
    for size in meta["partition_sizes"]:
        theirs = oracle[name]["partitions"][str(size)]
        if "error" in theirs:
            pytest.fail(f"mltable could not partition at {size}: {theirs['error']}")
        pieces = [frame(df) for df in ours(name, size)]
        assert len(pieces) == theirs["count"], f"mini-batch count at size {size}"
        for i, (mine, other) in enumerate(zip(pieces, theirs["frames"], strict=True)):
            if not other["rows"]:  # mltable gives empty partitions no columns at all
                assert mine["rows"] == [], f"mini batch {i} at size {size} should be empty"
                continue
            assert mine["columns"] == other["columns"], f"columns of mini batch {i} at size {size}"
            assert mine["rows"] == other["rows"], f"rows of mini batch {i} at size {size}"


def _dtype_sizes(meta: dict[str, Any]) -> list[int]:
    return [*meta["partition_sizes"], *meta.get("dtype_sizes", [])]


@pytest.mark.parametrize("name", [n for n in CASES if _dtype_sizes(case_meta(n))])
def test_mini_batch_dtypes_are_the_tables(oracle, name, request):
    """Every mini batch has the table's meta dtypes, of the families mltable gives the table.

    (mltable's own partitions differ: an int column is float64 only in those with a null.)
    Sizes: ``partition_sizes`` and ``dtype_sizes`` (tables mltable cannot partition:
    ``convert_column_types``, ``filter``, ``take``...). The meta is built from the planned
    table (``pieces[0].table``: it carries the planned output kinds).
    """
    meta = case_meta(name)
    _known(request, meta, "dtypes")
    full = oracle[name].get("full")
    if full is None or "columns" not in full:
        pytest.skip("a file list, or mltable could not read it")
    table = load_mltable(str(CASES_DIR / name))
    for size in _dtype_sizes(meta):
        pieces = plan_mini_batches(table, size)
        expected = meta_frame(pieces[0].table, pieces[0].schema).dtypes
        for i, piece in enumerate(pieces):
            df = load_piece(piece)
            where = f"mini batch {i} at size {size}"
            assert list(df.columns) == list(expected.index), where
            assert [str(t) for t in df.dtypes] == [str(t) for t in expected], where
            if list(df.columns) != full["columns"]:
                continue  # compared by the whole-table test (known differences)
            mine = frame(df)["families"]
            for col, a, b in zip(full["columns"], mine, full["families"], strict=True):
                # (a mixed column's mini batch may hold values of one of its types only)
                ok = a == b or "empty" in (a, b) or b == "mixed"
                assert ok, f"{where}: {col!r} is {a}, mltable's {b}"
