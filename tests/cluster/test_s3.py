"""Inputs and outputs on an S3-protocol store (moto in server mode on localhost), on a real
cluster of dask worker processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from tests.helpers.cluster import dask_cluster, wait_for_workers
from tests.helpers.files import read_text, write_text

moto_server = pytest.importorskip("moto.server")
s3fs = pytest.importorskip("s3fs")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def s3(monkeypatch):
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "FSSPEC_S3_ENDPOINT_URL": endpoint,
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    fs = s3fs.S3FileSystem(endpoint_url=endpoint, key="testing", secret="testing")
    fs.mkdir("bucket")
    yield fs, env
    server.stop()


def test_s3_input_and_output_on_cluster(s3, job_folder, tmp_path):
    fs, env = s3
    rows = ["id,c0"] + [f"{i},{i * 3}" for i in range(500)]
    fs.pipe("bucket/table/data.csv", ("\n".join(rows) + "\n").encode())
    fs.pipe(
        "bucket/table/MLTable",
        b"type: mltable\npaths:\n  - file: ./data.csv\ntransformations:\n  - read_delimited:\n      header: all_files_same_headers\n",
    )
    job_folder.script("def run(mini_batch):\n    return mini_batch\n")
    yml = job_folder.parallel_yaml(
        {"type": "mltable", "path": "s3://bucket/table", "mode": "direct"}, mini_batch_size="1kb"
    )
    doc = read_text(yml).replace(
        "result:\n    type: uri_file",
        "result:\n    type: uri_file\n    path: s3://bucket/out/result.txt",
    )
    write_text(yml, doc)
    # workers see the store with their own credentials (here: the environment they started in)
    with dask_cluster(tmp_path / "cluster", n_workers=2) as (address, _):
        wait_for_workers(address, 2)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "daskprs",
                "job",
                "create",
                "--file",
                str(yml),
                "-q",
                "--run-dir",
                str(tmp_path / "run"),
                "--scheduler",
                address,
            ],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, **env},
        )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    out = json.loads(proc.stdout)
    assert out["outputs"]["job.result"] == "s3://bucket/out/result.txt"
    lines = fs.cat("bucket/out/result.txt").decode().splitlines()
    assert [int(x.split()[0]) for x in lines] == list(range(500))
    assert out["steps"]["job"]["counts"]["mini_batches"] > 1
