"""The fault matrix: every fault at once in one job, against a fault-free run of the same job.

Set DASKPRS_RELIABILITY_OUT=<file> to write the figures quoted in docs/reliability.md.
"""

from __future__ import annotations

import csv
import json
import os
import time

import daskprs
from tests.helpers.jobs import read_lines
from tests.helpers.leaks import entry_processes

TABLE = {"type": "mltable", "path": "./table", "mode": "direct"}

# first attempt of the mini batch starting at row id K suffers FAULTS[K]; the retry succeeds
SCRIPT = """
import os, time
FAULTS = {faults!r}

def init():
    global marker_dir
    marker_dir = os.environ["AZUREML_BI_OUTPUT_PATH"]

def run(mini_batch):
    first = int(mini_batch["id"].iloc[0])
    marker = os.path.join(marker_dir, f"seen-{{first}}")
    fault = FAULTS.get(first)
    if fault and not os.path.exists(marker):
        open(marker, "w").close()
        if fault == "exception":
            raise RuntimeError("injected")
        if fault == "spin":
            while True:
                pass
        if fault == "sleep":
            time.sleep(3600)
        if fault == "exit":
            os._exit(3)
        if fault == "segfault":
            import ctypes
            ctypes.string_at(0)
        if fault == "memory":
            hog = b"x" * (600 * 2**20)
            time.sleep(60)
        if fault == "short":
            return mini_batch.iloc[:1].assign(score=0)
    return mini_batch.assign(score=mini_batch["c0"] * 2)
"""
FAULT_KINDS = ["exception", "spin", "sleep", "exit", "segfault", "memory"]


def _run(job_folder, client, run_dir, faults):
    job_folder.script(SCRIPT.format(faults=faults))
    yml = job_folder.parallel_yaml(
        TABLE,
        mini_batch_size="2kb",
        retry_settings={"max_retries": 2, "timeout": 4},
        task={"program_arguments": "--process_memory_limit 300mb --resource_monitor_interval 0"},
    )
    return daskprs.run(str(yml), client=client, run_dir=str(run_dir), progress=False)


def test_every_fault_at_once_equals_the_fault_free_run(job_folder, client, tmp_path):
    job_folder.table(rows=1200)
    clean = _run(job_folder, client, tmp_path / "clean", {})
    assert clean.status == "Completed"
    expected = read_lines(clean.steps["job"].outputs["result"])
    # one fault per kind, on the first rows of distinct mini batches
    with open(
        os.path.join(clean.steps["job"].logs_dir, "sys", "job_report", "processed_mini-batches.csv")
    ) as fh:
        n = len(list(csv.DictReader(fh)))
    assert n >= len(FAULT_KINDS) + 2
    # the first id of each mini batch: take them from a dask-free replan of the same table
    from daskprs.data import load_mltable, load_piece, plan_mini_batches

    pieces = plan_mini_batches(load_mltable(str(job_folder.root / "table")), 2048)
    starts = [int(load_piece(p)["id"].iloc[0]) for p in pieces if len(load_piece(p))]
    faults = dict(zip(starts[1 : 1 + len(FAULT_KINDS)], FAULT_KINDS, strict=True))
    t0 = time.monotonic()
    faulty = _run(job_folder, client, tmp_path / "faulty", faults)
    seconds = time.monotonic() - t0
    step = faulty.steps["job"]
    assert faulty.status == "Completed", step.cause
    got = read_lines(step.outputs["result"])
    assert got == expected  # same rows, same order: nothing lost, nothing twice
    with open(os.path.join(step.logs_dir, "sys", "job_report", "processed_mini-batches.csv")) as fh:
        rows = list(csv.DictReader(fh))
    statuses = sorted(r["status"] for r in rows if r["status"] != "RUN_DONE")
    assert statuses == sorted(
        [
            "RUN_EXCEPTION",
            "RUN_TIMEOUT",
            "RUN_TIMEOUT",
            "PROCESS_CRASHED",
            "PROCESS_CRASHED",
            "PROCESS_CRASHED",
        ]
    )
    assert not entry_processes()
    figures = {
        "mini_batches": step.counts["mini_batches"],
        "rows": len(expected),
        "faults_injected": len(faults),
        "fault_kinds": FAULT_KINDS,
        "attempts": len(rows),
        "retried": step.counts["retried"],
        "rows_lost": len(set(expected) - set(got)),
        "rows_duplicated": len(got) - len(set(got)) - (len(expected) - len(set(expected))),
        "seconds_with_faults": round(seconds, 2),
        "statuses": statuses,
    }
    out = os.environ.get("DASKPRS_RELIABILITY_OUT")
    if out:
        with open(out, "w") as fh:
            json.dump(figures, fh, indent=2)
