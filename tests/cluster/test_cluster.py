"""The same job on a real cluster (dask scheduler + dask worker processes) as on the embedded one."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.helpers.cluster import dask_cluster, wait_for_workers
from tests.helpers.files import read_text
from tests.helpers.jobs import start_driver, wait_for_commits

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "iris")


def cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "daskprs", "job", "create", *args, "-q"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def test_example_on_cluster_equals_embedded_run(cluster, tmp_path):
    address, _ = cluster
    example = tmp_path / "iris"
    shutil.copytree(EXAMPLE, example)
    embedded = cli("--file", str(example / "pipeline.yml"), "--run-dir", str(tmp_path / "emb"))
    assert embedded.returncode == 0, embedded.stderr
    on_cluster = cli(
        "--file",
        str(example / "pipeline.yml"),
        "--run-dir",
        str(tmp_path / "clu"),
        "--scheduler",
        address,
    )
    assert on_cluster.returncode == 0, on_cluster.stderr
    a = json.loads(embedded.stdout)
    b = json.loads(on_cluster.stdout)
    assert b["cluster"]["kind"] == "external" and b["cluster"]["workers"] == 2
    step = b["steps"]["batch_prediction"]
    assert step["workers_used"] == 2 and step["processes_per_worker"] == 2
    out_a = a["outputs"]["batch_prediction.job_output_file"]
    out_b = b["outputs"]["batch_prediction.job_output_file"]
    with open(out_a, "rb") as fa, open(out_b, "rb") as fb:
        assert fa.read() == fb.read()
    # both workers' processes took part
    assert sorted(
        os.listdir(os.path.join(tmp_path, "clu", "batch_prediction", "logs", "user", "stdout"))
    ) == [
        "w0",
        "w1",
    ]


def test_code_is_shipped_and_a_changed_script_is_picked_up(cluster, tmp_path, job_folder):
    address, _ = cluster
    job_folder.table(rows=100)
    script = "import os\ndef run(mini_batch):\n    return [f'{VERSION} {os.path.dirname(__file__)}'] * len(mini_batch)\n"
    job_folder.script("VERSION = 'v1'\n" + script)
    yml = job_folder.parallel_yaml(
        {"type": "mltable", "path": "./table", "mode": "direct"}, instance_count=1
    )
    first = cli("--file", str(yml), "--run-dir", str(tmp_path / "a"), "--scheduler", address)
    assert first.returncode == 0, first.stderr
    lines = read_text(json.loads(first.stdout)["outputs"]["job.result"]).splitlines()
    version, where = lines[0].split(" ", 1)
    assert (
        version == "v1" and "daskprs-code" in where and not where.startswith(str(job_folder.root))
    )
    assert json.loads(first.stdout)["steps"]["job"]["workers_used"] == 1
    job_folder.script("VERSION = 'v2'\n" + script)
    second = cli("--file", str(yml), "--run-dir", str(tmp_path / "b"), "--scheduler", address)
    assert second.returncode == 0, second.stderr
    lines = read_text(json.loads(second.stdout)["outputs"]["job.result"]).splitlines()
    assert {line.split()[0] for line in lines} == {"v2"}


def test_more_instances_than_workers_runs_on_what_exists(cluster, tmp_path, job_folder):
    address, _ = cluster
    job_folder.table(rows=100)
    job_folder.script("def run(mini_batch):\n    return mini_batch\n")
    yml = job_folder.parallel_yaml(
        {"type": "mltable", "path": "./table", "mode": "direct"}, instance_count=5
    )
    proc = cli("--file", str(yml), "--run-dir", str(tmp_path / "a"), "--scheduler", address)
    assert proc.returncode == 0, proc.stderr
    step = json.loads(proc.stdout)["steps"]["job"]
    assert step["workers_used"] == 2
    assert any("instance_count is 5" in n for n in step["placement_notes"])


def _self_signed(tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return {"ca": str(cert), "cert": str(cert), "key": str(key)}


@pytest.mark.skipif(
    shutil.which("openssl") is None, reason="openssl is needed to make certificates"
)
def test_tls_cluster(tmp_path, job_folder):
    from distributed.security import Security

    tls = _self_signed(tmp_path)
    job_folder.table(rows=100)
    job_folder.script("def run(mini_batch):\n    return mini_batch\n")
    yml = job_folder.parallel_yaml({"type": "mltable", "path": "./table", "mode": "direct"})
    with dask_cluster(tmp_path / "tls", n_workers=1, tls=tls) as (address, _):
        assert address.startswith("tls://")
        sec = Security(
            tls_ca_file=tls["ca"],
            tls_client_cert=tls["cert"],
            tls_client_key=tls["key"],
            require_encryption=True,
        )
        wait_for_workers(address, 1, security=sec)
        no_tls = cli("--file", str(yml), "--run-dir", str(tmp_path / "x"), "--scheduler", address)
        assert no_tls.returncode == 2 and "--tls-ca-file" in no_tls.stderr
        proc = cli(
            "--file",
            str(yml),
            "--run-dir",
            str(tmp_path / "a"),
            "--scheduler",
            address,
            "--tls-ca-file",
            tls["ca"],
            "--tls-cert",
            tls["cert"],
            "--tls-key",
            tls["key"],
        )
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["steps"]["job"]["counts"]["succeeded_items"] == 100


def test_worker_killed_mid_job_loses_nothing(tmp_path, job_folder):
    import signal

    import psutil

    job_folder.table(rows=1200)
    job_folder.script(
        "import time\ndef run(mini_batch):\n    time.sleep(0.3)\n    return mini_batch[['id']]\n"
    )
    # no retries and no failed mini batch allowed: a loss charged to the user would fail it
    yml = job_folder.parallel_yaml(
        {"type": "mltable", "path": "./table", "mode": "direct"},
        mini_batch_size="1kb",
        retry_settings={"max_retries": 0, "timeout": 30},
        mini_batch_error_threshold=0,
    )
    with dask_cluster(tmp_path / "c", n_workers=2) as (address, procs):
        wait_for_workers(address, 2)
        driver = start_driver(yml, tmp_path / "run", "--scheduler", address)
        wait_for_commits(tmp_path / "run", 4)
        victim = psutil.Process(procs[2].pid)  # the second `dask worker` (nanny + worker process)
        tree = [victim, *victim.children(recursive=True)]
        for p in tree:
            with contextlib.suppress(psutil.Error):
                p.send_signal(signal.SIGKILL)
        out, err = driver.communicate(timeout=300)
        assert driver.returncode == 0, err
        gone, alive = psutil.wait_procs(tree, timeout=10)
        assert not alive
    doc = json.loads(out)
    lines = read_text(doc["outputs"]["job.result"]).splitlines()
    assert [int(x) for x in lines] == list(range(1200))  # nothing lost, nothing twice, in order
    assert doc["steps"]["job"]["counts"]["failed_mini_batches"] == 0


def test_a_worker_joining_mid_job_gets_work(tmp_path, job_folder):

    job_folder.table(rows=3000)
    job_folder.script(
        "import time\ndef run(mini_batch):\n    time.sleep(0.5)\n    return mini_batch[['id']]\n"
    )
    yml = job_folder.parallel_yaml(
        {"type": "mltable", "path": "./table", "mode": "direct"},
        mini_batch_size="1kb",
        instance_count=2,
    )
    with dask_cluster(tmp_path / "c", n_workers=1) as (address, procs):
        wait_for_workers(address, 1)
        driver = start_driver(yml, tmp_path / "run", "--scheduler", address)
        wait_for_commits(tmp_path / "run", 3)
        late = subprocess.Popen(
            [
                os.path.join(os.path.dirname(sys.executable), "dask"),
                "worker",
                address,
                "--nthreads",
                "2",
                "--name",
                "late",
                "--host",
                "127.0.0.1",
                "--dashboard-address",
                ":0",
            ],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            out, err = driver.communicate(timeout=300)
        finally:
            late.terminate()
            late.wait(timeout=30)
        assert driver.returncode == 0, err
    doc = json.loads(out)
    lines = read_text(doc["outputs"]["job.result"]).splitlines()
    assert [int(x) for x in lines] == list(range(3000))
    import csv

    with open(
        tmp_path / "run" / "job" / "logs" / "sys" / "job_report" / "processed_mini-batches.csv"
    ) as fh:
        nodes = {r["process"].split("/")[0] for r in csv.DictReader(fh)}
    assert nodes == {"w0", "late"}
