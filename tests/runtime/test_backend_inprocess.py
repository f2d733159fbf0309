"""The engine on the in-process backend: the same entry-process pool, no Dask, no cluster."""

from __future__ import annotations

import csv
import os

import distributed

from daskprs.engine.step import run_parallel_step
from daskprs.runtime.backend import InProcessBackend
from daskprs.spec.load import load_job
from tests.helpers.jobs import JobFolder, read_lines

TABLE = {"type": "mltable", "path": "./table", "mode": "direct"}

SCRIPT = """
import os
def run(mini_batch):
    first = int(mini_batch["id"].iloc[0])
    marker = os.path.join(os.environ["AZUREML_BI_OUTPUT_PATH"], f"seen-{first}")
    if first == 0 and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(3)                     # the first attempt of mini batch 0 crashes
    return mini_batch[["id"]]
"""


def test_a_step_runs_on_the_in_process_backend_without_dask(tmp_path, monkeypatch):
    folder = JobFolder(tmp_path / "job")
    folder.table(rows=500)
    folder.script(SCRIPT)
    yml = folder.parallel_yaml(TABLE, mini_batch_size="2kb", max_concurrency_per_instance=2)
    step = load_job(str(yml)).steps["job"]

    def no_dask(*_a, **_k):
        raise AssertionError("the in-process backend must not use Dask")

    monkeypatch.setattr(distributed.Client, "__init__", no_dask)
    result = run_parallel_step(
        step, InProcessBackend(), str(tmp_path / "run"), str(folder.root / "table")
    )
    assert result.status == "Completed", result.cause
    assert [int(x.split()[0]) for x in read_lines(result.outputs["result"])] == list(range(500))
    with open(
        os.path.join(result.logs_dir, "sys", "job_report", "processed_mini-batches.csv")
    ) as fh:
        rows = list(csv.DictReader(fh))
    first = [r for r in rows if r["mini_batch_id"] == "0"]
    assert [r["status"] for r in first] == ["PROCESS_CRASHED", "RUN_DONE"]
    # the crash came after loading: its items count as failed (the count went through the
    # process's LoadStatus, not a pipe message)
    crashed, done = first
    assert int(crashed["total"]) == int(crashed["failed"]) == int(done["total"]) > 0
    assert result.info["workers_used"] == 2
