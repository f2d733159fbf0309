"""``azureml_user`` is importable inside entry processes only, never installed top-level."""

from __future__ import annotations

import subprocess
import sys

from daskprs.engine.step import run_parallel_step
from daskprs.runtime.backend import InProcessBackend
from daskprs.spec.load import load_job
from tests.helpers.jobs import JobFolder, read_lines

SCRIPT = """
import os
from azureml_user.parallel_run import EntryScript

def run(mini_batch):
    es = EntryScript()
    assert es is EntryScript()                  # one per process, as Azure's
    return [f"{es.agent_name} {es.output_dir == os.environ['AZUREML_BI_OUTPUT_PATH']}"] * len(mini_batch)
"""


def test_azureml_user_is_not_importable_outside_entry_processes(tmp_path):
    probe = (
        "import importlib.util, sys; sys.exit(importlib.util.find_spec('azureml_user') is not None)"
    )
    # from a neutral folder and from the repository root (where it used to live top-level)
    for cwd in (tmp_path, None):
        done = subprocess.run([sys.executable, "-c", probe], cwd=cwd, capture_output=True)
        assert done.returncode == 0, f"azureml_user importable in a plain interpreter (cwd={cwd})"


def test_entry_scripts_import_azureml_user(tmp_path):
    folder = JobFolder(tmp_path / "job")
    folder.table(rows=50)
    folder.script(SCRIPT)
    yml = folder.parallel_yaml(
        {"type": "mltable", "path": "./table", "mode": "direct"},
        mini_batch_size="1kb",
        max_concurrency_per_instance=1,
        error_threshold=0,
    )
    step = load_job(str(yml)).steps["job"]
    result = run_parallel_step(
        step, InProcessBackend(), str(tmp_path / "run"), str(folder.root / "table")
    )
    assert result.status == "Completed", result.cause
    lines = read_lines(result.outputs["result"])
    assert len(lines) == 50 and {line.split()[-1] for line in lines} == {"True"}
    assert all(line.split()[0].startswith("process") for line in lines)
