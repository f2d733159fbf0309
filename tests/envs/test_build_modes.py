"""Builds under contention, both builders, cluster mode (builds on the workers) and
registered environments mapped with --env-python. Real builds from the package index."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import yaml
from distributed import Client, LocalCluster

import daskprs
from daskprs.envs import EnvironmentWarning, build
from daskprs.envs.conda import parse_conda, read_conda_file
from daskprs.envs.request import make_request
from tests.helpers.envs import PINS, cli, conda, pipeline

RUNNING = f"{sys.version_info[0]}.{sys.version_info[1]}"


def _request(*pip: str):
    doc = {"dependencies": [f"python={RUNNING}", "pip", {"pip": list(pip)}]}
    return make_request(parse_conda(doc, "env.yml"), "test", "k")


BUILD_ONE = """\
import json, os, sys, time
from daskprs.envs import build
from daskprs.envs.conda import parse_conda
from daskprs.envs.request import make_request
go, env_dir, pins = sys.argv[1], sys.argv[2], sys.argv[3:]
req = make_request(parse_conda({"dependencies": ["pip", {"pip": pins}]}, "env.yml"), "t", "k")
while not os.path.exists(go):
    time.sleep(0.01)
start = time.time()
built = build.ensure(req, env_dir)
print(json.dumps({"start": start, "end": time.time(), **built.as_dict()}))
"""


@pytest.mark.slow
def test_concurrent_builds_of_one_environment_are_serialized(tmp_path):
    env_dir, go = tmp_path / "envs", tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", BUILD_ONE, str(go), str(env_dir), "cloudpickle==2.2.0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    time.sleep(1.0)  # both waiting for the go
    go.touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
        results.append(json.loads(out))
    builder = [r for r in results if r["built"]]
    waiter = [r for r in results if not r["built"]]
    assert len(builder) == 1 and len(waiter) == 1  # one built it, the other reused it
    assert waiter[0]["start"] < builder[0]["end"]  # it asked while the build was running
    assert builder[0]["path"] == waiter[0]["path"]
    log = (env_dir / ".logs" / f"{builder[0]['hash']}.log").read_text()
    assert log.count(" venv ") + log.count(" -m venv ") == 1
    assert not os.listdir(env_dir / ".tmp") or all(
        not n.startswith(builder[0]["hash"]) or n.endswith(".txt")
        for n in os.listdir(env_dir / ".tmp")
    )


def test_a_lookup_waits_for_a_build_in_progress_and_reuses_it(tmp_path):
    """Without building: while the lock is held (a build running elsewhere), ensure() waits;
    when the "build" completes it reuses the result instead of building again."""
    import threading

    req = _request("cloudpickle==2.2.0")
    env_dir = tmp_path / "envs"
    path = env_dir / req.key
    got: list = []
    with build.locked(str(env_dir), req.key):
        worker = threading.Thread(target=lambda: got.append(build.ensure(req, str(env_dir))))
        worker.start()
        worker.join(1.0)
        assert worker.is_alive() and not got  # waiting for the lock
        (path / "bin").mkdir(parents=True)  # what a finished build leaves
        (path / "bin" / "python").symlink_to(sys.executable)
        (path / build.MARKER).write_text(json.dumps({"python_version": "3", "builder": "x"}))
    worker.join(60)
    assert got and got[0].built is False and got[0].path == str(path)


@pytest.mark.slow
def test_a_killed_build_leaves_nothing_that_is_used(tmp_path):
    """A build's temporary folder is never taken for the environment; the next build
    removes it."""
    req = _request("cloudpickle==2.2.0")
    env_dir = tmp_path / "envs"
    stale = env_dir / ".tmp" / f"{req.key}-99999999"
    (stale / "bin").mkdir(parents=True)
    (stale / build.MARKER).write_text("{}")
    assert build.read_marker(str(env_dir / req.key)) is None
    built = build.ensure(req, str(env_dir))
    assert built.built and not stale.exists()


@pytest.mark.slow
def test_pip_builder(tmp_path, monkeypatch):
    """``python -m venv`` + pip (no uv): the same environment, scripts pointing at the final
    folder."""
    monkeypatch.setenv(build.BUILDER_ENV, "pip")
    built = build.ensure(_request("cloudpickle==2.2.1"), str(tmp_path / "envs"))
    assert built.built and built.builder == "pip"
    out = subprocess.run(
        [built.python, "-c", "import cloudpickle, pandas; print(cloudpickle.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "2.2.1"
    pip = subprocess.run(
        [os.path.join(built.path, "bin", "pip"), "--version"], capture_output=True, text=True
    )
    assert pip.returncode == 0 and built.path in pip.stdout


@pytest.mark.slow
def test_uv_builder_when_available(tmp_path, monkeypatch):
    pytest.importorskip("uv")
    monkeypatch.setenv(build.BUILDER_ENV, "uv")
    built = build.ensure(_request("cloudpickle==2.2.0"), str(tmp_path / "envs"))
    assert built.builder == "uv"
    pip = subprocess.run(
        [os.path.join(built.path, "bin", "pip"), "--version"], capture_output=True, text=True
    )
    assert pip.returncode == 0 and built.path in pip.stdout  # relocated from .tmp


def test_cluster_mode_builds_on_every_worker(tmp_path, env_dir, client):
    yml = pipeline(tmp_path / "job", PINS)
    result = daskprs.run(
        str(yml),
        client=client,
        run_dir=str(tmp_path / "run"),
        progress=False,
        environments="build",
        env_dir=str(env_dir),
    )
    assert result.status == "Completed", result.steps["probe"].cause
    env = result.steps["probe"].summary()["environment"]
    assert set(env["workers"]) == set(client.scheduler_info()["workers"])
    lines = (tmp_path / "run" / "probe" / "outputs" / "result").read_text().splitlines()
    assert {ln.split("|")[0] for ln in lines} == {"2.2.1"}


def test_cluster_mode_build_failure_fails_the_step_with_the_workers_error(
    tmp_path, env_dir, client
):
    yml = pipeline(tmp_path / "job", ["daskprs-no-such-package-anywhere==0.0.2"])
    t0 = time.monotonic()
    result = daskprs.run(
        str(yml),
        client=client,
        run_dir=str(tmp_path / "run"),
        progress=False,
        environments="build",
        env_dir=str(env_dir),
    )
    assert result.status == "Failed"
    cause = result.steps["probe"].cause
    assert "worker" in cause and "daskprs-no-such-package-anywhere" in cause
    assert (tmp_path / "run" / "probe" / "logs" / "job_result.txt").read_text().strip() == cause
    print(f"failed in {time.monotonic() - t0:.1f} s")


def test_env_python_maps_a_registered_environment(tmp_path, env_dir, client):
    pins = conda(tmp_path / "pins.yml", PINS)  # the session's environment
    built = build.ensure(make_request(read_conda_file(str(pins)), "t", "k"), str(env_dir))
    yml = pipeline(tmp_path / "job", [])
    doc = yaml.safe_load(yml.read_text())
    doc["jobs"]["probe"]["task"]["environment"] = "azureml:scoring-env:3"
    yml.write_text(yaml.safe_dump(doc))
    run1, run2 = tmp_path / "run1", tmp_path / "run2"
    base = ["job", "create", "--file", str(yml), "-q", "--env-dir", str(env_dir)]
    proc = cli(*base, "--run-dir", str(run1), "--env-python", f"scoring-env={built.python}")
    assert proc.returncode == 0, proc.stderr
    lines = (run1 / "probe" / "outputs" / "result").read_text().splitlines()
    assert {ln.split("|")[1] for ln in lines} == {built.python}
    assert {ln.split("|")[0] for ln in lines} == {"2.2.1"}
    # unmapped in build mode: the current environment, with a warning naming the flag
    with pytest.warns(EnvironmentWarning, match="--env-python scoring-env="):
        result = daskprs.run(
            str(yml), client=client, run_dir=str(run2), progress=False, environments="build"
        )
    assert result.status == "Completed"
    lines = (run2 / "probe" / "outputs" / "result").read_text().splitlines()
    assert {ln.split("|")[2] for ln in lines} == {"dask=True"}
    # a mapped Python that cannot run the entry runtime is a spec error
    proc = cli(*base, "--run-dir", str(tmp_path / "run3"), "--env-python", "scoring-env=/bin/false")
    assert proc.returncode == 2 and "/bin/false" in proc.stderr


def test_env_build_on_every_worker_of_a_scheduler(tmp_path, env_dir):
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as c,
    ):  # fmt: skip
        yml = pipeline(tmp_path / "job", PINS)
        args = ["env", "build", "--file", str(yml), "--env-dir", str(env_dir)]
        proc = cli(*args, "--scheduler", cluster.scheduler_address)
        assert proc.returncode == 0, proc.stderr
        env = json.loads(proc.stdout)["probe"]
        assert set(env["workers"]) == set(c.scheduler_info()["workers"])
        # an unbuildable one: exit 1, the worker's own message
        yml = pipeline(tmp_path / "bad", ["daskprs-no-such-package-anywhere==0.0.3"])
        args = ["env", "build", "--file", str(yml), "--env-dir", str(env_dir)]
        proc = cli(*args, "--scheduler", cluster.scheduler_address)
        assert proc.returncode == 1
        assert "worker" in proc.stderr and "daskprs-no-such-package-anywhere" in proc.stderr
