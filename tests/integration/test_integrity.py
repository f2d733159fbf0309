"""Faults outside the user's code (issue: "Nothing lost, ever"): our own processes killed,
concurrent and changed runs, honest counts, final statuses, nothing left behind.

Each test states the rows expected and checks the rows written: all of them, once, in order.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time

import dask.config
import psutil
import pytest

import daskprs
from tests.helpers.jobs import read_lines, start_driver, stop_driver, wait_for_commits
from tests.helpers.leaks import (
    SESSION_MARK,
    entry_processes,
    new_processes,
    session_processes,
    zygote_processes,
)

TABLE = {"type": "mltable", "path": "./table", "mode": "direct"}


def attempts(run_dir, step="job"):
    path = os.path.join(run_dir, step, "logs", "sys", "job_report", "processed_mini-batches.csv")
    with open(path) as fh:
        return list(csv.DictReader(fh))


def ids_of(path):
    return [int(line.split()[0]) for line in read_lines(path)]


def cli(*args, env=None, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "daskprs", "job", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


# ------------------------------------------------------------------ the zygote dies mid-job
KILL_PARENT = """
import os, signal, time
def init():
    global out
    out = os.environ["AZUREML_BI_OUTPUT_PATH"]

def run(mini_batch):
    first = int(mini_batch["id"].iloc[0])
    marker = os.path.join(out, f"killed-{{first}}")
    if first in {ids} and {again}:
        open(marker, "a").close()
        os.kill(os.getppid(), signal.SIGKILL)   # the process that forked this one
        time.sleep(5)
    return mini_batch[["id"]]
"""


def test_zygote_killed_once_loses_nothing_and_uses_no_attempt(job_folder, client, tmp_path):
    """max_retries 0 and mini_batch_error_threshold 0: if the loss were charged to the user,
    the job would fail."""
    job_folder.table(rows=600)
    job_folder.script(KILL_PARENT.format(ids="{0, 301}", again="not os.path.exists(marker)"))
    yml = job_folder.parallel_yaml(
        TABLE,
        mini_batch_size="1kb",
        max_concurrency_per_instance=2,
        retry_settings={"max_retries": 0, "timeout": 30},
        mini_batch_error_threshold=0,
    )
    t0 = time.monotonic()
    result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "r"), progress=False)
    step = result.steps["job"]
    assert result.status == "Completed", step.cause
    assert ids_of(step.outputs["result"]) == list(range(600))
    rows = attempts(tmp_path / "r")
    lost = [r for r in rows if r["status"] == "WORKER_LOST"]
    assert lost and all(r["attempt"] == "1" for r in rows)  # no mini batch used a 2nd attempt
    assert step.counts["failed_mini_batches"] == 0 and step.counts["infra_losses"] == len(lost)
    assert step.counts["items"] == 600
    assert time.monotonic() - t0 < 60


def test_zygote_killed_every_time_fails_the_job_at_the_cap(job_folder, client, tmp_path):
    job_folder.table(rows=300)
    job_folder.script(KILL_PARENT.format(ids="{0}", again="True"))
    yml = job_folder.parallel_yaml(TABLE, mini_batch_size="1kb", instance_count=1)
    result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "r"), progress=False)
    step = result.steps["job"]
    assert result.status == "Failed"
    assert "lost to infrastructure failures" in step.cause
    first = (tmp_path / "r" / "job" / "logs" / "job_result.txt").read_text().splitlines()[0]
    assert "Mini batch 0 was lost" in first


def test_whole_process_tree_killed_from_outside(job_folder, client, tmp_path):
    """As the OOM killer takes a tree: the zygote and every entry process at once, twice."""
    job_folder.table(rows=900)
    job_folder.script(
        "import time\ndef run(mini_batch):\n    time.sleep(0.05)\n    return mini_batch[['id']]\n"
    )
    yml = job_folder.parallel_yaml(
        TABLE, mini_batch_size="1kb", retry_settings={"max_retries": 0, "timeout": 30}
    )
    killed: list[int] = []

    def killer():
        for _ in range(2):
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                victims = entry_processes()
                if victims:
                    # only real zygotes: an orphan's parent may be init, or this process
                    zygotes = {
                        z.pid for z in zygote_processes() if z.pid in {v.ppid for v in victims}
                    }
                    for pid in [*zygotes, *(v.pid for v in victims)]:
                        if pid <= 1 or pid == os.getpid():
                            continue
                        try:
                            os.kill(pid, signal.SIGKILL)
                            killed.append(pid)
                        except ProcessLookupError:
                            pass
                    break
                time.sleep(0.05)
            time.sleep(0.6)

    t = threading.Thread(target=killer)
    t.start()
    result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "r"), progress=False)
    t.join()
    step = result.steps["job"]
    assert killed
    assert result.status == "Completed", step.cause
    assert ids_of(step.outputs["result"]) == list(range(900))
    assert step.counts["failed_mini_batches"] == 0


# --------------------------------------------------------------------------- honest counts
def test_a_timed_out_mini_batch_counts_its_rows_as_failed(job_folder, client, tmp_path):
    job_folder.table(rows=400)
    job_folder.script(
        "import time\n"
        "def run(mini_batch):\n"
        "    if int(mini_batch['id'].iloc[0]) == 0:\n"
        "        time.sleep(60)\n"
        "    return mini_batch[['id']]\n"
    )
    settings = dict(
        mini_batch_size="2kb",
        retry_settings={"max_retries": 0, "timeout": 2},
        mini_batch_error_threshold=-1,
    )
    yml = job_folder.parallel_yaml(TABLE, **settings)
    result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "a"), progress=False)
    step = result.steps["job"]
    timed_out = [r for r in attempts(tmp_path / "a") if r["status"] == "RUN_TIMEOUT"]
    assert len(timed_out) == 1 and int(timed_out[0]["total"]) > 10
    assert int(timed_out[0]["failed"]) == int(timed_out[0]["total"])
    # the totals equal the input's: the timed-out rows are failed items, not missing ones
    assert result.status == "Completed", step.cause
    assert step.counts["items"] == 400
    assert step.counts["failed_items"] == int(timed_out[0]["total"])
    assert step.counts["succeeded_items"] + step.counts["failed_items"] == 400
    job_result = (tmp_path / "a" / "job" / "logs" / "job_result.txt").read_text()
    assert "with 400 items" in job_result
    # so error_threshold acts on them
    yml = job_folder.parallel_yaml(
        TABLE, task={"program_arguments": "--error_threshold 10"}, **settings
    )
    result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "b"), progress=False)
    assert result.status == "Failed"
    assert "failed items" in result.steps["job"].cause


# -------------------------------------------------------------------- nothing left behind
LEAKY = """
import os, subprocess, time
def init():
    subprocess.Popen(["sleep", "300"])                           # same process group
    subprocess.Popen(["sleep", "301"], start_new_session=True)   # setsid
    subprocess.Popen(["setsid", "sh", "-c", "sleep 302 &"], env={{"PATH": os.environ["PATH"]}})
    if os.fork() == 0:                                            # double fork, no exec
        os.setsid()
        if os.fork() == 0:
            time.sleep(303)
        os._exit(0)

def run(mini_batch):
    if int(mini_batch["id"].iloc[0]) == 0:
        subprocess.Popen(["sleep", "304"], start_new_session=True)
    return mini_batch[["id"]]

def shutdown():
    with open(os.path.join(os.environ["AZUREML_BI_OUTPUT_PATH"], "shutdowns.txt"), "a") as fh:
        fh.write(f"{{time.time()}}\\n")
    {shutdown}
"""


def test_processes_started_by_entry_scripts_do_not_outlive_the_job(job_folder, client, tmp_path):
    mark = os.environ[SESSION_MARK]
    before = session_processes(mark)
    job_folder.table(rows=300)
    job_folder.script(LEAKY.format(shutdown="pass"))
    yml = job_folder.parallel_yaml(TABLE, mini_batch_size="2kb", max_concurrency_per_instance=2)
    result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "r"), progress=False)
    assert result.status == "Completed", result.steps["job"].cause
    assert new_processes(before, mark, grace=5.0) == []


def test_nothing_left_behind_after_the_cli_exits(job_folder, tmp_path):
    mark = os.environ[SESSION_MARK]
    before = session_processes(mark)
    job_folder.table(rows=300)
    job_folder.script(LEAKY.format(shutdown="pass"))
    yml = job_folder.parallel_yaml(TABLE, mini_batch_size="2kb", max_concurrency_per_instance=2)
    tmp = tmp_path / "tmp"  # the job's own temp dir: what is left in it is ours
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    proc = cli("create", "--file", str(yml), "--run-dir", str(tmp_path / "r"), "-q", env=env)
    assert proc.returncode == 0, proc.stderr
    assert new_processes(before, mark, grace=5.0) == []
    assert not [n for n in os.listdir(tmp) if n.startswith("daskprs-process")]


def test_a_hung_shutdown_is_bounded_parallel_and_reported(job_folder, client, tmp_path):
    job_folder.table(rows=200)
    job_folder.script(LEAKY.format(shutdown="time.sleep(3600)"))
    yml = job_folder.parallel_yaml(TABLE, mini_batch_size="2kb", instance_count=2)
    with dask.config.set({"daskprs.shutdown-timeout": 5}):
        result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "r"), progress=False)
    step = result.steps["job"]
    assert result.status == "Completed"
    assert len(step.info["shutdown_errors"]) == 2  # one per worker's process
    assert all("did not finish in 5 seconds" in e for e in step.info["shutdown_errors"])
    job_result = (tmp_path / "r" / "job" / "logs" / "job_result.txt").read_text()
    assert "shutdown() failed in 2 process(es)" in job_result
    assert "shutdown:" in (tmp_path / "r" / "job" / "logs" / "job_error.txt").read_text()
    # in parallel: the second shutdown() began before the first one's 5 s ran out
    starts = sorted(float(x) for x in (tmp_path / "r" / "job" / "outputs" / "shutdowns.txt")
                    .read_text().split())  # fmt: skip
    assert len(starts) == 2 and starts[1] - starts[0] < 4.0


# ------------------------------------------------------------- the run dir: one driver, resume
SLOW = """
import time
def run(mini_batch):
    time.sleep(0.2)
    return mini_batch[["id"]]
"""


def test_a_second_driver_on_the_same_run_dir_is_refused(job_folder, tmp_path):
    job_folder.table(rows=3000)
    job_folder.script(SLOW.replace("0.2", "0.4"))
    yml = job_folder.parallel_yaml(TABLE, mini_batch_size="1kb", instance_count=1)
    run_dir = tmp_path / "r"
    first = start_driver(yml, run_dir)
    try:
        wait_for_commits(run_dir, 2)
        second = cli("create", "--file", str(yml), "--run-dir", str(run_dir), "--resume", "-q")
        assert second.returncode == 2
        assert "in use by another daskprs driver" in second.stderr
        assert f"pid {first.pid}" in second.stderr
        other = job_folder.parallel_yaml(TABLE, name="other", mini_batch_size="1kb")
        third = cli("create", "--file", str(other), "--run-dir", str(run_dir), "-q")
        assert third.returncode == 2 and "in use by another daskprs driver" in third.stderr
        out, err = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            stop_driver(first)
    assert first.returncode == 0, err
    doc = json.loads(out)
    assert ids_of(doc["outputs"]["job.result"]) == list(range(3000))
    ledger = (run_dir / "job" / "state" / "ledger.jsonl").read_text().splitlines()
    assert (
        len([x for x in ledger if '"final":true' in x])
        == doc["steps"]["job"]["counts"]["mini_batches"]
    )


def test_sigterm_and_sigkill_leave_a_true_status_and_resume_completes(job_folder, tmp_path):
    job_folder.table(rows=1200)
    job_folder.script(SLOW)
    yml = job_folder.parallel_yaml(TABLE, mini_batch_size="1kb", instance_count=1)
    run_dir = tmp_path / "r"
    # SIGTERM: Canceled, exit 143
    driver = start_driver(yml, run_dir)
    wait_for_commits(run_dir, 3)
    driver.send_signal(signal.SIGTERM)
    _, err = driver.communicate(timeout=120)
    assert driver.returncode == 143, err
    assert json.loads((run_dir / "job.json").read_text())["status"] == "Canceled"
    # SIGKILL: job.json still says Running, `job show` sees the dead driver
    driver = start_driver(yml, run_dir, "--resume")
    wait_for_commits(run_dir, 8)
    stop_driver(driver)
    assert json.loads((run_dir / "job.json").read_text())["status"] == "Running"
    show = cli("show", "--run-dir", str(run_dir))
    assert show.returncode == 1
    shown = json.loads(show.stdout)
    assert shown["status"] == "Running (driver dead)" and shown["driver_alive"] is False
    # resume: the complete output, once, in order
    done = cli("create", "--file", str(yml), "--run-dir", str(run_dir), "--resume", "-q")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)["outputs"]["job.result"]
    assert ids_of(out) == list(range(1200))
    # resuming a Completed run changes nothing and exits 0
    job_json = (run_dir / "job.json").read_bytes()
    mtime = os.path.getmtime(out)
    again = cli("create", "--file", str(yml), "--run-dir", str(run_dir), "--resume", "-q")
    assert again.returncode == 0 and "completed already" in again.stderr
    assert json.loads(again.stdout)["status"] == "Completed"
    assert (run_dir / "job.json").read_bytes() == job_json
    assert os.path.getmtime(out) == mtime


def test_resume_with_a_changed_plan_is_refused_unless_forced(job_folder, tmp_path):
    job_folder.table(rows=1200)
    job_folder.script(SLOW)
    yml = job_folder.parallel_yaml(TABLE, mini_batch_size="1kb", instance_count=1)
    run_dir = tmp_path / "r"
    driver = start_driver(yml, run_dir)
    wait_for_commits(run_dir, 4)
    stop_driver(driver)
    changed = job_folder.parallel_yaml(TABLE, mini_batch_size="4kb", instance_count=1)
    refused = cli("create", "--file", str(changed), "--run-dir", str(run_dir), "--resume", "-q")
    assert refused.returncode == 2
    assert "mini_batch_size (1024 -> 4096)" in refused.stderr
    assert "--force-replan" in refused.stderr
    assert json.loads((run_dir / "job.json").read_text())["status"] == "Running"  # untouched
    forced = cli(
        "create", "--file", str(changed), "--run-dir", str(run_dir), "--resume",
        "--force-replan", "-q",
    )  # fmt: skip
    assert forced.returncode == 0, forced.stderr
    doc = json.loads(forced.stdout)
    assert ids_of(doc["outputs"]["job.result"]) == list(range(1200))
    size = (job_folder.root / "table" / "part0.csv").stat().st_size
    assert doc["steps"]["job"]["counts"]["mini_batches"] == -(-size // 4096)


def test_resume_refuses_a_changed_input_file(job_folder, tmp_path):
    table = job_folder.table(rows=600)
    job_folder.script(SLOW)
    yml = job_folder.parallel_yaml(TABLE, mini_batch_size="1kb", instance_count=1)
    run_dir = tmp_path / "r"
    driver = start_driver(yml, run_dir)
    wait_for_commits(run_dir, 2)
    stop_driver(driver)
    with open(table / "part0.csv", "a") as fh:
        fh.write("600,1.5,2.5,3.5\n")
    refused = cli("create", "--file", str(yml), "--run-dir", str(run_dir), "--resume", "-q")
    assert refused.returncode == 2
    assert "the input files" in refused.stderr


def test_unreachable_scheduler_leaves_failed_status(job_folder, tmp_path):
    job_folder.table(rows=50)
    job_folder.script(SLOW)
    yml = job_folder.parallel_yaml(TABLE)
    env = {**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "1s"}
    proc = cli(
        "create", "--file", str(yml), "--run-dir", str(tmp_path / "r"), "-q",
        "--scheduler", "tcp://127.0.0.1:9", env=env,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "daskprs: error:" in proc.stderr
    doc = json.loads((tmp_path / "r" / "job.json").read_text())
    assert doc["status"] == "Failed" and doc["cause"]


# ------------------------------------------------------------------------------- disk full
@pytest.fixture
def small_fs(tmp_path):
    """A 2 MiB tmpfs (root only; skipped where mounting is not allowed)."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    res = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True
    )
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.decode().strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_disk_full_fails_cleanly_and_resume_after_freeing_space_is_identical(
    job_folder, tmp_path, small_fs
):
    job_folder.table(rows=30000)
    job_folder.script(
        "def run(mini_batch):\n    return [f'{i} ' + 'x' * 100 for i in mini_batch['id']]\n"
    )
    yml = job_folder.parallel_yaml(TABLE, mini_batch_size="64kb", instance_count=1)
    ref = cli("create", "--file", str(yml), "--run-dir", str(tmp_path / "ref"), "-q")
    assert ref.returncode == 0, ref.stderr
    ref_out = json.loads(ref.stdout)["outputs"]["job.result"]
    run_dir = small_fs / "r"
    full = cli("create", "--file", str(yml), "--run-dir", str(run_dir), "-q")
    assert full.returncode == 1, full.stderr
    assert "Traceback" not in full.stderr
    assert json.loads((run_dir / "job.json").read_text())["status"] == "Failed"
    doc = json.loads(full.stdout)
    causes = doc["cause"] + " ".join(s["cause"] for s in doc["steps"].values())
    assert "space left" in causes.lower(), causes
    strays = [p for p in run_dir.rglob("*") if p.name.endswith((".tmp", ".daskprs-tmp"))]
    assert not strays
    header = run_dir / "job" / "logs" / "sys" / "job_report" / "processed_mini-batches.csv"
    assert header.read_text().startswith("mini_batch_id,attempt,")
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_fs)], check=True)
    resumed = cli("create", "--file", str(yml), "--run-dir", str(run_dir), "--resume", "-q")
    assert resumed.returncode == 0, resumed.stderr
    out = json.loads(resumed.stdout)["outputs"]["job.result"]
    with open(out, "rb") as a, open(ref_out, "rb") as b:
        assert a.read() == b.read()


def test_leak_check_catches_a_planted_leak():
    """The check every test runs under must fail when a process is left behind, however it
    was started: in the tree, or double-forked out of it."""
    mark = os.environ[SESSION_MARK]
    before = session_processes(mark)
    child = subprocess.Popen(["sleep", "300"], start_new_session=True)
    subprocess.run(
        [sys.executable, "-c", "import os, time\nif os.fork() == 0:\n    os.setsid()\n"
         "    time.sleep(300)\n"],
        check=True,
    )  # fmt: skip
    try:
        left = new_processes(before, mark, grace=0.5)
        cmds = [p.cmdline for p in left]
        assert any("sleep 300" in c for c in cmds)
        assert any("time.sleep(300)" in c for c in cmds)  # an orphan, reparented away
    finally:
        for p in new_processes(before, mark, grace=0):
            psutil.Process(p.pid).kill()
        child.wait()


def test_entry_processes_are_found_while_a_job_runs(job_folder, client, tmp_path):
    """The old check looked for `daskprs.runtime.child` and found 0 of the live processes
    (they are forked from the zygote). This one sees them."""
    job_folder.table(rows=1500)
    job_folder.script(SLOW)
    yml = job_folder.parallel_yaml(TABLE, mini_batch_size="1kb", max_concurrency_per_instance=2)
    seen: list[int] = []

    def watch():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(set(seen)) < 2:  # they start one by one
            seen.extend(p.pid for p in entry_processes())
            time.sleep(0.05)

    t = threading.Thread(target=watch)
    t.start()
    result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "r"), progress=False)
    t.join()
    assert result.status == "Completed"
    assert len(set(seen)) >= 2
    assert not entry_processes()
