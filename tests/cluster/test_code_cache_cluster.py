"""The code cache of a real worker (a stock `dask worker` process) is verified on every reuse:
editing the unpacked entry script does not change what the next job runs (issue 17, point 1)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

from tests.helpers.cluster import dask_cluster, wait_for_workers

SCRIPT = "def run(mini_batch):\n    return ['original'] * len(mini_batch)\n"
TAMPERED = "def run(mini_batch):\n    return ['TAMPERED'] * len(mini_batch)\n"


def _create(yml, run_dir, address):
    proc = subprocess.run(
        [sys.executable, "-m", "daskprs", "job", "create", "-q", "--file", str(yml)]
        + ["--run-dir", str(run_dir), "--scheduler", address],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)["outputs"]["job.result"]
    with open(out) as fh:
        return set(fh.read().split())


def test_an_edited_code_cache_is_unpacked_again(tmp_path, job_folder, monkeypatch):
    worker_tmp = tmp_path / "worker-tmp"
    worker_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(worker_tmp))  # the cluster's (and driver's) temp dir
    job_folder.table(rows=60)
    job_folder.script(SCRIPT)
    yml = job_folder.parallel_yaml(
        {"type": "mltable", "path": "./table", "mode": "direct"}, instance_count=1
    )
    with dask_cluster(tmp_path / "cluster", n_workers=1) as (address, _):
        wait_for_workers(address, 1)
        assert _create(yml, tmp_path / "a", address) == {"original"}
        cache = worker_tmp / f"daskprs-code-{os.getuid()}"
        assert stat.S_IMODE(cache.stat().st_mode) == 0o700
        [folder] = [p for p in cache.iterdir() if not p.name.startswith(".")]
        unpacked = folder / "score.py"
        assert unpacked.read_text() == SCRIPT

        unpacked.write_text(TAMPERED)  # what an attacker (or a careless edit) does
        assert _create(yml, tmp_path / "b", address) == {"original"}
        assert unpacked.read_text() == SCRIPT  # unpacked afresh

        (folder / "sitecustomize.py").write_text("raise SystemExit('planted')\n")
        assert _create(yml, tmp_path / "c", address) == {"original"}
        assert sorted(p.name for p in folder.iterdir() if p.name != "__pycache__") == ["score.py"]
