"""The entry-process runtime works without Dask, distributed and cloudpickle: a real entry
process (process.py's step-environment branch) runs under an interpreter where importing them
raises, loads CSV, parquet and file-list mini batches and returns rows."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from daskprs.data import load_mltable, plan_mini_batches
from daskprs.runtime.process import EntryProcess
from daskprs.runtime.protocol import RUN_DONE, ProcessConfig
from tests.helpers.files import read_text

BLOCKED = ("dask", "distributed", "cloudpickle")

# a "python" that refuses Dask, distributed and cloudpickle, then starts the child runtime
WRAPPER = """\
#!{python}
import importlib.abc
import sys

BLOCKED = {blocked!r}


class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked)", name=name)
        return None


sys.meta_path.insert(0, Blocker())
assert sys.argv[1:3] == ["-m", "daskprs.runtime.child"], sys.argv
from daskprs.runtime.child import main

sys.exit(main(sys.argv[3:]))
"""

SCRIPT = """\
import sys


def run(mini_batch):
    blocked = sorted(m for m in sys.modules if m.split(".")[0] in {blocked!r})
    assert not blocked, blocked
    if isinstance(mini_batch, list):
        return [f"file {{p.rsplit('/', 1)[-1]}}" for p in mini_batch]
    return [f"row {{v}}" for v in mini_batch["id"]]
"""


@pytest.fixture
def no_dask_python(tmp_path) -> str:
    path = tmp_path / "bin" / "python"
    path.parent.mkdir()
    path.write_text(WRAPPER.format(python=sys.executable, blocked=BLOCKED))
    path.chmod(0o755)
    return str(path)


def _config(tmp_path: Path, python: str, script: str) -> ProcessConfig:
    code = tmp_path / "code"
    code.mkdir(exist_ok=True)
    (code / "score.py").write_text(textwrap.dedent(script))
    for d in ("logs", "parts", "out"):
        (tmp_path / d).mkdir(exist_ok=True)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return ProcessConfig(
        run_id="t",
        step_name="t",
        code_dir=str(code),
        entry_script="score.py",
        argv=(),
        environment={},
        logs_dir=str(tmp_path / "logs"),
        parts_dir=str(tmp_path / "parts"),
        output_dir=str(tmp_path / "out"),
        append_row=True,
        python=python,
        python_path=repo,
    )


def _tables(tmp_path: Path) -> list:
    folder = tmp_path / "data"
    folder.mkdir()
    df = pd.DataFrame({"id": range(30), "x": [i * 0.5 for i in range(30)]})
    df.to_csv(folder / "a.csv", index=False)
    df.to_parquet(folder / "b.parquet")
    (folder / "csv").mkdir()
    (folder / "csv" / "MLTable").write_text(
        "paths:\n  - file: ../a.csv\ntransformations:\n  - read_delimited: {header: all_files_same_headers}\n"
    )
    (folder / "pq").mkdir()
    (folder / "pq" / "MLTable").write_text(
        "paths:\n  - file: ../b.parquet\ntransformations:\n  - read_parquet: {}\n"
    )
    pieces = plan_mini_batches(load_mltable(str(folder / "csv")), 200)
    pieces += plan_mini_batches(load_mltable(str(folder / "pq")), None)
    pieces += plan_mini_batches(str(folder), 2)
    return pieces


def test_entry_process_runs_without_dask_distributed_cloudpickle(tmp_path, no_dask_python):
    pieces = _tables(tmp_path)
    proc = EntryProcess(
        _config(tmp_path, no_dask_python, SCRIPT.format(blocked=BLOCKED)), "n", "p0"
    )
    proc.start()
    try:
        assert proc.wait_ready() == ""
        rows = 0
        for piece in pieces:
            rec = proc.run(piece, 1)
            assert rec.status == RUN_DONE, (
                rec.error,
                rec.error_file and read_text(rec.error_file),
            )
            assert rec.succeeded == rec.total > 0
            rows += rec.total
        assert rows == 30 + 30 + 4  # csv rows, parquet rows, the 4 files of the folder
    finally:
        proc.kill()


def test_the_blocker_blocks(tmp_path, no_dask_python):
    """Control: the same interpreter refuses an entry script that imports dask."""
    proc = EntryProcess(
        _config(tmp_path, no_dask_python, "import dask\n\ndef run(b):\n    return b\n"), "n", "p0"
    )
    proc.start()
    try:
        error = proc.wait_ready()
    finally:
        proc.kill()
    assert "No module named 'dask'" in error


def test_a_missing_interpreter_fails_init_not_the_worker(tmp_path):
    """A step environment whose Python is gone: init fails with the path, never falls back to
    the worker's own Python."""
    script = SCRIPT.format(blocked=BLOCKED)
    proc = EntryProcess(_config(tmp_path, str(tmp_path / "gone" / "python"), script), "n", "p0")
    proc.start()
    error = proc.wait_ready()
    assert "gone/python" in error and "cannot start" in error
