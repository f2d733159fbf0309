"""The core engine end to end on a real LocalCluster with real entry-script processes."""

from __future__ import annotations

import csv
import os

import daskprs
from tests.helpers.files import read_text
from tests.helpers.jobs import read_lines

TABLE = {"type": "mltable", "path": "./table", "mode": "direct"}
FILES = {"type": "uri_folder", "path": "./files", "mode": "ro_mount"}

SCORE = """
import os, sys
import pandas as pd

def init():
    global tag
    tag = "ok"
    with open(os.path.join(os.environ["AZUREML_BI_OUTPUT_PATH"], f"init-{os.getpid()}"), "w") as fh:
        fh.write(" ".join(sys.argv))

def run(mini_batch):
    out = pd.DataFrame({"id": mini_batch["id"], "double": mini_batch["c0"] * 2})
    return out
"""


def attempts(result, step="job"):
    path = os.path.join(
        result.steps[step].logs_dir, "sys", "job_report", "processed_mini-batches.csv"
    )
    with open(path) as fh:
        return list(csv.DictReader(fh))


def test_tabular_job_output_in_input_order_exactly_once(job_folder, client, tmp_path):
    job_folder.table(rows=800, files=2)
    job_folder.script(SCORE)
    yml = job_folder.parallel_yaml(
        TABLE, mini_batch_size="3kb", task={"program_arguments": "--model m1 --x 1"}
    )
    result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "run"), progress=False)
    assert result.status == "Completed", result.steps["job"].cause
    out = result.outputs["job.result"]
    lines = read_lines(out)
    ids = [int(line.split()[0]) for line in lines]
    assert ids == list(range(800)) * 2  # two files, each in order, file order kept
    rows = attempts(result)
    assert {r["status"] for r in rows} == {"RUN_DONE"}
    assert len(rows) == result.steps["job"].counts["mini_batches"] > 2
    assert sum(int(r["total"]) for r in rows) == 1600
    summary = result.steps["job"].summary()
    assert summary["counts"]["succeeded_items"] == 1600
    logs = result.steps["job"].logs_dir
    assert read_text(os.path.join(logs, "job_result.txt")).startswith(
        "The ParallelRunStep processed all mini batches."
    )
    assert os.path.exists(os.path.join(logs, "readme.txt"))
    assert any(n.startswith("job_progress_overview.") for n in os.listdir(logs))
    # init ran once per entry-script process, with the runtime's args then the user's
    outdir = os.path.join(tmp_path / "run", "job", "outputs")
    inits = [n for n in os.listdir(outdir) if n.startswith("init-")]
    assert 1 <= len(inits) <= 2
    argv = read_text(os.path.join(outdir, inits[0]))
    assert "--mini_batch_size 3072" in argv and argv.endswith("--model m1 --x 1")


def test_file_list_job_gets_at_most_n_full_paths(job_folder, client, tmp_path):
    job_folder.files(23)
    job_folder.script(
        """
        import os
        def run(mini_batch):
            assert all(os.path.isabs(p) and os.path.exists(p) for p in mini_batch)
            return [f"{len(mini_batch)} {os.path.basename(p)}" for p in mini_batch]
        """
    )
    yml = job_folder.parallel_yaml(FILES, mini_batch_size="5")
    result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "run"), progress=False)
    assert result.status == "Completed", result.steps["job"].cause
    lines = read_lines(result.outputs["job.result"])
    assert len(lines) == 23
    assert all(int(line.split()[0]) <= 5 for line in lines)
    assert result.steps["job"].counts["mini_batches"] == 5
    # listing is recursive and sorted by relative path
    names = [line.split()[1] for line in lines]
    expected = sorted([f"f{i:03d}.txt" for i in range(23) if i % 3], key=lambda n: n) + sorted(
        f"f{i:03d}.txt" for i in range(23) if i % 3 == 0
    )
    assert names == expected


FAILING = """
def run(mini_batch):
    if int(mini_batch["id"].iloc[0]) % 100 < 50:
        raise ValueError("bad batch starting at %s" % mini_batch["id"].iloc[0])
    return mini_batch
"""


def test_threshold_crossed_fails_with_cause_and_counts(job_folder, client, tmp_path):
    job_folder.table(rows=1000)
    job_folder.script(FAILING)
    yml = job_folder.parallel_yaml(
        TABLE,
        mini_batch_size="1kb",
        mini_batch_error_threshold=1,
        retry_settings={"max_retries": 0, "timeout": 30},
    )
    result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "run"), progress=False)
    step = result.steps["job"]
    assert result.status == "Failed" and step.status == "Failed"
    first, second = read_lines(os.path.join(step.logs_dir, "job_result.txt"))[:2]
    assert "mini_batch_error_threshold 1" in first and "failed mini batches is" in first
    assert "Open " in second and "user/error" in second
    assert not os.path.exists(tmp_path / "run" / "job" / "outputs" / "result")
    errors = read_text(os.path.join(step.logs_dir, "job_error.txt"))
    assert "run() on mini batch" in errors
    tb_files = [
        os.path.join(r, f)
        for r, _, fs in os.walk(os.path.join(step.logs_dir, "user", "error"))
        for f in fs
    ]
    assert any("ValueError: bad batch" in read_text(p) for p in tb_files)


def test_failures_below_threshold_complete_and_are_counted(job_folder, client, tmp_path):
    job_folder.table(rows=300)
    job_folder.script(FAILING.replace("% 100 < 50", "== 0"))
    yml = job_folder.parallel_yaml(
        TABLE,
        mini_batch_size="2kb",
        mini_batch_error_threshold=-1,
        retry_settings={"max_retries": 1, "timeout": 30},
    )
    result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "run"), progress=False)
    step = result.steps["job"]
    assert result.status == "Completed", step.cause
    counts = step.counts
    assert counts["failed_mini_batches"] >= 1
    rows = attempts(result)
    failed_ids = {r["mini_batch_id"] for r in rows if r["status"] == "RUN_EXCEPTION"}
    assert all(
        sorted(int(r["attempt"]) for r in rows if r["mini_batch_id"] == i) == [1, 2]
        for i in failed_ids
    )
    out_ids = [int(line.split()[0]) for line in read_lines(step.outputs["result"])]
    assert out_ids == sorted(out_ids) and len(out_ids) == counts["succeeded_items"]
    assert counts["succeeded_items"] + counts["failed_items"] == 300


def test_environment_entry_script_helper_perf_logs_and_copy_to_parent(job_folder, client, tmp_path):
    job_folder.table(rows=200)
    job_folder.script(
        """
        import os, logging
        from azureml_user.parallel_run import EntryScript

        def init():
            EntryScript().logger.info("init in %s", EntryScript().agent_name)

        def run(mini_batch):
            es = EntryScript()
            es.logger.info("mini batch of %d", len(mini_batch))
            print("hello from run")
            logging.info("root logger line")
            return [f"{os.environ['MY_SETTING']} {os.environ['AZUREML_NODE_COUNT']} {es.output_dir == os.environ['AZUREML_BI_OUTPUT_PATH']}"] * len(mini_batch)
        """
    )
    yml = job_folder.parallel_yaml(
        TABLE,
        environment_variables={"MY_SETTING": "forty-two"},
        task={"program_arguments": "--resource_monitor_interval 1 --copy_logs_to_parent True"},
    )
    result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "run"), progress=False)
    step = result.steps["job"]
    assert result.status == "Completed", step.cause
    assert set(read_lines(step.outputs["result"])) == {"forty-two 2 True"}
    logs = step.logs_dir

    def texts(sub):
        root = os.path.join(logs, "user", sub)
        return "".join(read_text(os.path.join(r, f)) for r, _, fs in os.walk(root) for f in fs)

    assert "mini batch of" in texts("entry_script_log") and "|INFO|" in texts("entry_script_log")
    assert "hello from run" in texts("stdout") and "root logger line" in texts("stdout")
    perf = os.path.join(logs, "sys", "perf")
    nodes = os.listdir(perf)
    assert nodes and all(
        {"node_resource_usage.csv", "node_disk_usage.csv", "processes_resource_usage.csv"}
        <= set(os.listdir(os.path.join(perf, n)))
        for n in nodes
    )
    parent = tmp_path / "run" / "logs" / "job"
    assert (parent / "job_result.txt").read_text() == read_text(
        os.path.join(logs, "job_result.txt")
    )


def test_embedded_cluster_and_dashboard_listen_on_loopback_only():
    import psutil

    from daskprs.engine.cluster import open_client

    def listening():
        return {
            (c.laddr.ip, c.laddr.port)
            for c in psutil.Process().net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN
        }

    before = listening()  # other clusters of this test session
    example = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "iris")
    job = daskprs.load_job(os.path.join(example, "pipeline.yml"))
    with open_client(job) as (client, info):
        assert info.kind == "embedded" and info.workers == 2 and info.threads_per_worker == 2
        assert info.address.startswith("inproc://")  # the scheduler has no network listener
        assert info.dashboard.startswith("http://127.0.0.1:")
        mine = listening() - before
        assert mine and all(ip in ("127.0.0.1", "::1") for ip, _ in mine)


def test_append_row_dataframe_header_puts_one_header_on_top(job_folder, client, tmp_path):
    job_folder.table(rows=300)
    job_folder.script(SCORE)
    yml = job_folder.parallel_yaml(
        TABLE,
        mini_batch_size="1kb",
        task={"program_arguments": "--append_row_dataframe_header True"},
    )
    result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "run"), progress=False)
    assert result.status == "Completed", result.steps["job"].cause
    lines = read_lines(result.outputs["job.result"])
    assert lines[0] == "id double"
    assert [int(x.split()[0]) for x in lines[1:]] == list(range(300))


def test_a_finished_run_leaves_nothing_behind_in_a_long_lived_client(job_folder, client, tmp_path):
    """A notebook runs many jobs on one client: the driver's per-run state (pieces, records,
    accounting) must be freed when a run ends, not kept by the client's event handlers, nor
    by the in-process attempt callback."""
    import gc
    import weakref

    from daskprs.engine import step as step_module
    from daskprs.runtime import plugin as plugin_module

    runs: list[weakref.ref] = []
    original = step_module._Run.__init__

    def remember(self, *args, **kwargs):
        original(self, *args, **kwargs)
        runs.append(weakref.ref(self))

    job_folder.table(rows=300)
    job_folder.script(SCORE)
    yml = job_folder.parallel_yaml(TABLE, mini_batch_size="2kb")
    step_module._Run.__init__ = remember  # type: ignore[method-assign]
    try:
        result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "r"), progress=False)
    finally:
        step_module._Run.__init__ = original  # type: ignore[method-assign]
    assert result.status == "Completed"
    assert len(runs) == 1
    gc.collect()
    assert runs[0]() is None, gc.get_referrers(runs[0]())
    assert not plugin_module._LOCAL_SINKS
