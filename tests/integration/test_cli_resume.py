"""The CLI as a user runs it: JSON on stdout, exit codes, SIGKILL of the driver and --resume."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time

import psutil

from tests.helpers.jobs import start_driver, wait_for_commits

TABLE = {"type": "mltable", "path": "./table", "mode": "direct"}

SLOW_SCORE = """
import time
def run(mini_batch):
    time.sleep(0.15)
    return mini_batch[["id", "c1"]]
"""


def cli(*args, **kw):
    return subprocess.run(
        [sys.executable, "-m", "daskprs", "job", *args],
        capture_output=True,
        text=True,
        timeout=300,
        **kw,
    )


def test_cli_json_and_exit_codes(job_folder, tmp_path):
    job_folder.table(rows=200)
    job_folder.script("def run(mini_batch):\n    return mini_batch\n")
    yml = job_folder.parallel_yaml(TABLE)
    proc = cli("create", "--file", str(yml), "--run-dir", str(tmp_path / "r"), "-q")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["status"] == "Completed" and doc["steps"]["job"]["counts"]["succeeded_items"] == 200
    assert os.path.exists(doc["outputs"]["job.result"])
    show = cli("show", "--run-dir", str(tmp_path / "r"))
    assert show.returncode == 0 and json.loads(show.stdout)["status"] == "Completed"
    # the same run dir again without --resume is refused before anything runs
    again = cli("create", "--file", str(yml), "--run-dir", str(tmp_path / "r"), "-q")
    assert again.returncode == 2 and "--resume" in again.stderr
    bad = job_folder.parallel_yaml(TABLE, mini_batch_size="10 KB")
    proc = cli("create", "--file", str(bad), "-q")
    assert proc.returncode == 2
    assert "mini_batch_size" in proc.stderr and str(bad) in proc.stderr
    assert "Traceback" not in proc.stderr


def _children_of(pid):
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def test_driver_sigkill_then_resume_gives_byte_identical_output(job_folder, tmp_path):
    job_folder.table(rows=1500)
    job_folder.script(SLOW_SCORE)
    yml = job_folder.parallel_yaml(
        TABLE, mini_batch_size="1kb", instance_count=1, max_concurrency_per_instance=2
    )
    ref = cli("create", "--file", str(yml), "--run-dir", str(tmp_path / "ref"), "-q")
    assert ref.returncode == 0, ref.stderr
    ref_out = json.loads(ref.stdout)["outputs"]["job.result"]

    run_dir = tmp_path / "killed"
    driver = start_driver(yml, run_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ledger = wait_for_commits(run_dir, 8)
    children = _children_of(driver.pid)
    assert children, "the driver should have entry-script processes"
    killed_at = time.time()
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    gone, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, f"stray processes after the driver was killed: {alive}"
    committed_before = {
        json.loads(line)["mini_batch_id"]
        for line in ledger.read_text().splitlines()
        if '"final":true' in line
    }
    assert committed_before

    resumed = cli("create", "--file", str(yml), "--run-dir", str(run_dir), "--resume", "-q")
    assert resumed.returncode == 0, resumed.stderr
    out = json.loads(resumed.stdout)["outputs"]["job.result"]
    with open(out, "rb") as a, open(ref_out, "rb") as b:
        assert a.read() == b.read()
    # the ledger commits each mini batch once across both sessions
    finals = [
        json.loads(line) for line in ledger.read_text().splitlines() if '"final":true' in line
    ]
    ids = [f["mini_batch_id"] for f in finals]
    assert sorted(ids) == list(
        range(json.loads(resumed.stdout)["steps"]["job"]["counts"]["mini_batches"])
    )
    # and the resumed session did not run again what had been committed
    with open(run_dir / "job" / "logs" / "sys" / "job_report" / "processed_mini-batches.csv") as fh:
        rows = list(csv.DictReader(fh))
    import datetime as dt

    def started(r):
        return (
            dt.datetime.fromisoformat(r["start_time"]).replace(tzinfo=dt.timezone.utc).timestamp()
        )

    rerun = {int(r["mini_batch_id"]) for r in rows if started(r) > killed_at}
    assert rerun and not (rerun & committed_before)
