"""--environments build end to end, with real builds from the package index."""

from __future__ import annotations

import importlib.util
import json
import os
import time

import pytest

from tests.helpers.envs import PINS, cli, conda, job_json, pipeline

CLOUDPICKLE = PINS[0]


def test_driver_does_not_have_what_the_steps_pin():
    """The premise of the tests below: the driver runs another cloudpickle, has Dask and lacks
    tabulate (else they could pass in the driver's own environment)."""
    import importlib.metadata as md
    import importlib.util

    assert md.version("cloudpickle") != "2.2.1"
    assert importlib.util.find_spec("dask") is not None
    assert importlib.util.find_spec("tabulate") is None


def test_steps_run_in_their_built_environments_then_reuse_them(tmp_path, env_dir):
    yml = pipeline(tmp_path / "job", PINS, command=True)
    base = ["job", "create", "--file", str(yml), "-q", "--environments", "build"]
    first = tmp_path / "run1"
    proc = cli(*base, "--env-dir", str(env_dir), "--run-dir", str(first))
    assert proc.returncode == 0, proc.stderr
    # the entry processes ran in the environment: cloudpickle 2.2.1, no Dask installed there
    lines = (first / "probe" / "outputs" / "result").read_text().splitlines()
    assert len(lines) == 40
    versions = {line.split("|")[0] for line in lines}
    pythons = {line.split("|")[1] for line in lines}
    assert versions == {"2.2.1"}
    assert {line.split("|")[2] for line in lines} == {"dask=False"}
    (python,) = pythons
    assert python.startswith(str(env_dir))
    # the command step used the environment's tabulate (the driver has none)
    table = (first / "table" / "outputs" / "out" / "t.txt").read_text()
    assert "a    b" in table and table.endswith(python)  # the environment's python
    # job.json and the logs tree say which environment ran each step
    doc = job_json(first)
    env = doc["steps"]["probe"]["environment"]
    assert env["mode"] == "build" and env["python"] == python
    assert env["path"] == os.path.dirname(os.path.dirname(python))
    assert env["hash"] == os.path.basename(env["path"])
    if importlib.util.find_spec("uv") is not None:
        assert env["builder"] == "uv"
    build_log = first / "probe" / "logs" / "sys" / "environment" / "build.log"
    assert CLOUDPICKLE in build_log.read_text()
    recorded = json.loads(build_log.with_name("environment.json").read_text())
    assert recorded["hash"] == env["hash"]
    assert doc["steps"]["table"]["environment"]["hash"] == env["hash"]  # one build for both
    assert f"<td>{env['hash']}</td>" in (first / "report.html").read_text()

    # second run: nothing built, the same environments found and verified
    second = tmp_path / "run2"
    t0 = time.monotonic()
    proc = cli(*base, "--env-dir", str(env_dir), "--run-dir", str(second))
    wall = time.monotonic() - t0
    assert proc.returncode == 0, proc.stderr
    again = job_json(second)["steps"]
    for step in ("probe", "table"):
        assert again[step]["environment"]["built"] is False
        assert again[step]["environment"]["hash"] == doc["steps"][step]["environment"]["hash"]
    lookup = again["probe"]["environment"]["lookup_seconds"]
    print(f"cached lookup: {lookup:.4f} s (whole second run {wall:.1f} s)")


def test_current_mode_warns_per_step_and_runs_in_the_driver(tmp_path, env_dir):
    yml = pipeline(tmp_path / "job", PINS)
    run_dir = tmp_path / "run"
    proc = cli("job", "create", "--file", str(yml), "-q", "--run-dir", str(run_dir))
    assert proc.returncode == 0, proc.stderr
    warnings = [ln for ln in proc.stderr.splitlines() if ln.startswith("daskprs: warning:")]
    assert len(warnings) == 1, proc.stderr
    assert "'probe'" in warnings[0] and "cloudpickle==2.2.1" in warnings[0]
    assert "tabulate==0.9.0 (not installed)" in warnings[0]
    assert "installed" in warnings[0] and "--environments build" in warnings[0]
    lines = (run_dir / "probe" / "outputs" / "result").read_text().splitlines()
    assert {line.split("|")[2] for line in lines} == {"dask=True"}  # the driver's Python
    env = job_json(run_dir)["steps"]["probe"]["environment"]
    assert env["mode"] == "current" and env["unsatisfied"]


def test_an_unbuildable_environment_is_a_spec_error_before_anything_runs(tmp_path, env_dir):
    missing = "daskprs-no-such-package-anywhere==0.0.1"
    yml = pipeline(tmp_path / "job", [missing])
    run_dir = tmp_path / "run"
    proc = cli(
        "job", "create", "--file", str(yml), "-q", "--environments", "build",
        "--env-dir", str(env_dir), "--run-dir", str(run_dir),
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr
    assert "'probe'" in err  # the step
    assert str(tmp_path / "job" / "env.yml") in err  # the conda file
    assert "daskprs-no-such-package-anywhere" in err  # the resolver's own message
    assert not run_dir.exists()  # nothing written


@pytest.mark.parametrize("python", ["python=2.7", "python=3.9", "python=3.99"])
def test_a_python_this_host_cannot_provide_is_a_spec_error(tmp_path, env_dir, python):
    yml = pipeline(tmp_path / "job", [CLOUDPICKLE])
    conda(tmp_path / "job" / "env.yml", [CLOUDPICKLE], python=python)
    run_dir = tmp_path / "run"
    proc = cli(
        "job", "create", "--file", str(yml), "-q", "--environments", "build",
        "--env-dir", str(env_dir), "--run-dir", str(run_dir),
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    version = python.split("=")[1]
    assert f"Python {version}" in proc.stderr and "env.yml" in proc.stderr
    assert not run_dir.exists()


def test_env_build_list_and_prune(tmp_path, env_dir):
    yml = pipeline(tmp_path / "job", PINS)
    proc = cli("env", "build", "--file", str(yml), "--env-dir", str(env_dir))
    assert proc.returncode == 0, proc.stderr
    built = json.loads(proc.stdout)["probe"]
    listing = json.loads(cli("env", "list", "--env-dir", str(env_dir)).stdout)
    assert built["hash"] in {row["hash"] for row in listing}
    row = next(r for r in listing if r["hash"] == built["hash"])
    assert row["complete"] and CLOUDPICKLE in row["requirements"]
    # prune --days keeps what was just used; --dry-run removes nothing
    kept = json.loads(cli("env", "prune", "--env-dir", str(env_dir), "--days", "1").stdout)
    assert built["path"] not in kept["removed"]
    dry = json.loads(cli("env", "prune", "--env-dir", str(env_dir), "--dry-run").stdout)
    assert built["path"] in dry["removed"] and os.path.isdir(built["path"])
