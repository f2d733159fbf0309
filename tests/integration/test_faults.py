"""Faults on real processes: hard timeouts, crashes, init() failures, bad entry scripts."""

from __future__ import annotations

import csv
import os

import pytest

import daskprs
from tests.helpers.files import read_text
from tests.helpers.jobs import read_lines
from tests.helpers.leaks import entry_processes

TABLE = {"type": "mltable", "path": "./table", "mode": "direct"}


def attempts(result, step="job"):
    path = os.path.join(
        result.steps[step].logs_dir, "sys", "job_report", "processed_mini-batches.csv"
    )
    with open(path) as fh:
        return list(csv.DictReader(fh))


# A fault on the first attempt of mini batches whose first id is in FAULTY; a marker file per
# mini batch makes the second attempt succeed.
FIRST_ATTEMPT_FAULT = """
import os, time
FAULTY = {faulty}

def init():
    global marker_dir
    marker_dir = os.environ["AZUREML_BI_OUTPUT_PATH"]
    with open(os.path.join(marker_dir, "inits.txt"), "a") as fh:
        fh.write(f"{{os.getpid()}}\\n")

def run(mini_batch):
    first = int(mini_batch["id"].iloc[0])
    marker = os.path.join(marker_dir, f"seen-{{first}}")
    if first in FAULTY and not os.path.exists(marker):
        open(marker, "w").close()
        {fault}
    return mini_batch[["id"]]
"""


@pytest.mark.parametrize(
    "fault,status",
    [
        ("while True: pass", "RUN_TIMEOUT"),
        ("time.sleep(3600)", "RUN_TIMEOUT"),
        ("os._exit(1)", "PROCESS_CRASHED"),
        ("import ctypes; ctypes.string_at(0)", "PROCESS_CRASHED"),
        ("raise RuntimeError('first attempt fails')", "RUN_EXCEPTION"),
    ],
)
def test_fault_on_first_attempt_is_retried_and_output_is_exactly_once(
    job_folder, client, tmp_path, fault, status
):
    job_folder.table(rows=400)
    job_folder.script(FIRST_ATTEMPT_FAULT.format(faulty="{0}", fault=fault))
    yml = job_folder.parallel_yaml(
        TABLE, mini_batch_size="2kb", retry_settings={"max_retries": 2, "timeout": 3}
    )
    result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "run"), progress=False)
    step = result.steps["job"]
    assert result.status == "Completed", step.cause
    ids = [int(x.split()[0]) for x in read_lines(step.outputs["result"])]
    assert ids == list(range(400))  # no loss, no duplicate, in order
    rows = attempts(result)
    first = [r for r in rows if r["mini_batch_id"] == "0"]
    assert [r["status"] for r in first] == [status, "RUN_DONE"]
    if status != "RUN_EXCEPTION":
        # the process was killed and replaced: the replacement ran init() again
        inits = read_lines(tmp_path / "run" / "job" / "outputs" / "inits.txt")
        assert len(inits) >= 3
    assert not entry_processes()  # nothing left behind


def test_memory_limit_kills_the_process_and_the_retry_succeeds(job_folder, client, tmp_path):
    job_folder.table(rows=400)
    job_folder.script(
        FIRST_ATTEMPT_FAULT.format(faulty="{0}", fault="hog = b'x' * (600 * 2**20); time.sleep(30)")
    )
    yml = job_folder.parallel_yaml(
        TABLE,
        mini_batch_size="2kb",
        retry_settings={"max_retries": 2, "timeout": 60},
        task={"program_arguments": "--process_memory_limit 300mb"},
    )
    result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "run"), progress=False)
    step = result.steps["job"]
    assert result.status == "Completed", step.cause
    first = [r for r in attempts(result) if r["mini_batch_id"] == "0"]
    assert [r["status"] for r in first] == ["PROCESS_CRASHED", "RUN_DONE"]
    assert "process_memory_limit" in first[0]["error"]
    assert float(first[0]["elapsed_seconds"]) < 20
    ids = [int(x.split()[0]) for x in read_lines(step.outputs["result"])]
    assert ids == list(range(400))


def test_timeout_frees_the_cpu_of_a_spinning_run(job_folder, client, tmp_path):
    job_folder.table(rows=100)
    job_folder.script("def run(mini_batch):\n    while True:\n        pass\n")
    yml = job_folder.parallel_yaml(
        TABLE, mini_batch_size="100kb", retry_settings={"max_retries": 0, "timeout": 2}
    )
    result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "run"), progress=False)
    assert result.status == "Failed"
    assert [r["status"] for r in attempts(result)] == ["RUN_TIMEOUT"]
    assert float(attempts(result)[0]["elapsed_seconds"]) < 10
    assert not entry_processes()


def test_init_failure_fails_the_job_naming_init(job_folder, client, tmp_path):
    job_folder.table(rows=100)
    job_folder.script("import not_a_real_module_xyz\ndef run(mini_batch):\n    return mini_batch\n")
    yml = job_folder.parallel_yaml(TABLE, instance_count=1)
    result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "run"), progress=False)
    step = result.steps["job"]
    assert result.status == "Failed"
    assert "init()" in step.cause and "not_a_real_module_xyz" in step.cause
    first, second = read_lines(os.path.join(step.logs_dir, "job_result.txt"))[:2]
    assert "init()" in first
    assert "user/error" in second
    assert not entry_processes()


@pytest.mark.parametrize(
    "body,needle",
    [
        ("def run(mini_batch):\n    return None\n", "returned None"),
        ("def run(mini_batch):\n    return 42\n", "returned builtins.int"),
    ],
)
def test_bad_return_values_fail_the_attempt_with_a_clear_message(
    job_folder, client, tmp_path, body, needle
):
    job_folder.table(rows=50)
    job_folder.script(body)
    yml = job_folder.parallel_yaml(TABLE, retry_settings={"max_retries": 0, "timeout": 30})
    result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "run"), progress=False)
    rows = attempts(result)
    assert rows and all(r["status"] == "RUN_EXCEPTION" and needle in r["error"] for r in rows)


def test_context_argument_and_shutdown(job_folder, client, tmp_path):
    job_folder.table(rows=300)
    job_folder.script(
        """
        import os
        def run(mini_batch, mini_batch_context):
            return [f"{mini_batch_context.minibatch_index} {len(mini_batch)}"]
        def shutdown():
            open(os.path.join(os.environ["AZUREML_BI_OUTPUT_PATH"], f"shutdown-{os.getpid()}"), "w").close()
        """
    )
    yml = job_folder.parallel_yaml(TABLE, mini_batch_size="1kb", summary_only=False)
    result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "run"), progress=False)
    step = result.steps["job"]
    lines = read_lines(step.outputs["result"])
    assert [int(x.split()[0]) for x in lines] == list(range(len(lines)))
    assert sum(int(x.split()[1]) for x in lines) == 300
    outdir = tmp_path / "run" / "job" / "outputs"
    assert any(n.startswith("shutdown-") for n in os.listdir(outdir))


def test_threshold_crossing_stops_the_job_fast(job_folder, client, tmp_path):
    import time

    job_folder.table(rows=3000)
    job_folder.script(
        """
        import time
        def run(mini_batch):
            if int(mini_batch["id"].iloc[0]) == 0:
                raise ValueError("the first mini batch is bad")
            time.sleep(2)
            return mini_batch
        """
    )
    yml = job_folder.parallel_yaml(
        TABLE,
        mini_batch_size="1kb",
        mini_batch_error_threshold=0,
        retry_settings={"max_retries": 0, "timeout": 60},
    )
    t0 = time.monotonic()
    result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "run"), progress=False)
    elapsed = time.monotonic() - t0
    step = result.steps["job"]
    assert result.status == "Failed" and "mini_batch_error_threshold 0" in step.cause
    n = step.counts["mini_batches"]
    assert n > 40
    # stopped early: most mini batches never ran (each takes 2 s; all of them would take
    # n * 2 s / 2 processes). Counted, not timed: the machines are 2-core and noisy.
    rows = attempts(result)
    assert len(rows) < n / 2, f"{len(rows)} of {n} mini batches ran ({elapsed:.1f} s)"
    assert step.counts["succeeded_mini_batches"] >= 0
    assert not entry_processes()


def test_fail_fast_kills_a_process_still_in_init(job_folder, client, tmp_path):
    """A threshold crossed while a process is still in init(): it is killed, not waited for
    (a task waiting for it held the step up to the 15 s grace, then close: 16 s for a 1 s job;
    likely the 28 s abort once seen on a fresh clone, where the first imports are slow)."""
    job_folder.table(rows=3000)
    job_folder.script(
        """
        import os, time
        def init():
            out = os.environ["AZUREML_BI_OUTPUT_PATH"]
            try:  # the first process here is ready at once, the others take 10 s
                os.mkdir(os.path.join(out, "first"))
            except FileExistsError:
                time.sleep(10)
            open(os.path.join(out, f"init-done-{os.getpid()}"), "w").close()
        def run(mini_batch):
            raise ValueError("every mini batch is bad")
        """
    )
    yml = job_folder.parallel_yaml(
        TABLE,
        mini_batch_size="1kb",
        mini_batch_error_threshold=0,
        retry_settings={"max_retries": 0, "timeout": 60},
    )
    result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "run"), progress=False)
    step = result.steps["job"]
    assert result.status == "Failed" and "mini_batch_error_threshold 0" in step.cause
    out = tmp_path / "run" / "job" / "outputs"
    done = [n for n in os.listdir(out) if n.startswith("init-done-")]
    assert len(done) == 1, f"the processes in init() were waited for: {done}"
    assert step.counts["init_failures"] == 0  # killed by the abort, not failed in init()
    assert not entry_processes()


def test_run_with_a_wrong_signature_is_an_init_failure_naming_it(job_folder, client, tmp_path):
    job_folder.table(rows=50)
    job_folder.script("def run():\n    return []\n")
    yml = job_folder.parallel_yaml(TABLE, instance_count=1)
    result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "run"), progress=False)
    step = result.steps["job"]
    assert result.status == "Failed"
    assert "run() in score.py cannot take a mini batch" in step.cause


def test_shutdown_raising_is_logged_and_the_job_completes(job_folder, client, tmp_path):
    job_folder.table(rows=50)
    job_folder.script(
        "def run(mini_batch):\n    return mini_batch\n"
        "def shutdown():\n    raise RuntimeError('cannot close the model')\n"
    )
    yml = job_folder.parallel_yaml(TABLE, instance_count=1)
    result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "run"), progress=False)
    step = result.steps["job"]
    assert result.status == "Completed", step.cause
    errors = read_text(os.path.join(step.logs_dir, "job_error.txt"))
    assert "shutdown() raised" in errors


def test_no_progress_fails_the_job_after_progress_update_timeout(job_folder, client, tmp_path):
    import time

    job_folder.table(rows=50)
    job_folder.script(
        "import time\ndef run(mini_batch):\n    time.sleep(30)\n    return mini_batch\n"
    )
    yml = job_folder.parallel_yaml(
        TABLE,
        instance_count=1,
        retry_settings={"max_retries": 0, "timeout": 60},
        task={"program_arguments": "--progress_update_timeout 3"},
    )
    t0 = time.monotonic()
    result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "run"), progress=False)
    assert result.status == "Failed"
    assert result.steps["job"].cause == "No progress update in 3 seconds."
    assert time.monotonic() - t0 < 25
    assert not entry_processes()


# A file system that stalls the first read inside an entry process: loading a mini batch hangs
# (a stuck network mount, say) until --task_overhead_timeout stops it.
STALL_FS = """
import os
import time

import fsspec
from fsspec.spec import AbstractFileSystem


def _first(marker):  # True in the one process that creates the marker, even if two race
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


class StallFS(AbstractFileSystem):
    protocol = "stall"

    @classmethod
    def _strip_protocol(cls, path):
        path = path[len("stall://"):] if path.startswith("stall://") else path
        return "/" + path.lstrip("/")

    def info(self, path, **kwargs):
        path = self._strip_protocol(path)
        if not os.path.exists(path):
            raise FileNotFoundError(path)
        kind = "directory" if os.path.isdir(path) else "file"
        return {"name": path, "size": os.path.getsize(path), "type": kind}

    def ls(self, path, detail=True, **kwargs):
        path = self._strip_protocol(path)
        entries = [self.info(os.path.join(path, n)) for n in sorted(os.listdir(path))]
        return entries if detail else [e["name"] for e in entries]

    def _open(self, path, mode="rb", **kwargs):
        marker = os.environ.get("STALL_MARKER")
        if marker and _first(marker):
            time.sleep(3600)
        return open(self._strip_protocol(path), mode)


fsspec.register_implementation("stall", StallFS, clobber=True)
"""


def test_a_stalled_load_is_a_load_timeout_and_the_retry_succeeds(job_folder, client, tmp_path):
    import importlib.util

    folder = job_folder.table(rows=400)
    (job_folder.root / "code" / "stallfs.py").write_text(STALL_FS)
    spec = importlib.util.spec_from_file_location(
        "stallfs", job_folder.root / "code" / "stallfs.py"
    )
    assert spec is not None and spec.loader is not None
    spec.loader.exec_module(importlib.util.module_from_spec(spec))  # the driver plans with it
    (folder / "MLTable").write_text(
        f"paths:\n  - file: stall://{folder / 'part0.csv'}\n"
        "transformations:\n  - read_delimited:\n      delimiter: ','\n"
    )
    marker = tmp_path / "stalled"
    job_folder.script(
        f"""
        import os
        import stallfs

        def init():
            os.environ["STALL_MARKER"] = {str(marker)!r}

        def run(mini_batch):
            return mini_batch[["id"]]
        """
    )
    yml = job_folder.parallel_yaml(
        TABLE,
        mini_batch_size="2kb",
        retry_settings={"max_retries": 2, "timeout": 30},
        task={"program_arguments": "--task_overhead_timeout 3"},
    )
    result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "run"), progress=False)
    step = result.steps["job"]
    assert result.status == "Completed", step.cause
    assert marker.exists()
    rows = attempts(result)
    stalled = [r for r in rows if r["status"] == "LOAD_TIMEOUT"]
    assert len(stalled) == 1, rows
    assert "loading the mini batch did not finish in 3 seconds" in stalled[0]["error"]
    assert 3 <= float(stalled[0]["elapsed_seconds"]) < 15
    again = [r["status"] for r in rows if r["mini_batch_id"] == stalled[0]["mini_batch_id"]]
    assert again == ["LOAD_TIMEOUT", "RUN_DONE"]
    ids = [int(x) for x in read_lines(step.outputs["result"])]
    assert ids == list(range(400))
    assert not entry_processes()
