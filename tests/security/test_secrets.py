"""environment_variables values never reach job.json, report.html, the logs or the JSON on
stdout, while the entry processes still get them; job.json and report.html are 0600, the
other run-dir files follow the umask (issue 17, point 5)."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys

import pytest
import yaml

import daskprs
from daskprs.cli import main
from daskprs.errors import PipelineSpecError
from daskprs.spec.redact import redact
from tests.helpers.files import read_text
from tests.helpers.jobs import JobFolder

SECRET = "s3cr3t-T0KEN-4f9a"
DIGEST = hashlib.sha256(SECRET.encode()).hexdigest()
SCRIPT = """\
import hashlib, os
def run(mini_batch):
    token = os.environ["SECRET_TOKEN"]
    print("the script may print it itself, but daskprs never does")
    return [hashlib.sha256(token.encode()).hexdigest()]
"""


@pytest.fixture
def folder(tmp_path) -> JobFolder:
    jf = JobFolder(tmp_path / "job")
    jf.table(rows=40)
    jf.script(SCRIPT)
    yml = jf.parallel_yaml({"type": "mltable", "path": "./table"}, instance_count=1)
    doc = yaml.safe_load(yml.read_text())
    doc["environment_variables"] = {"SECRET_TOKEN": SECRET, "PLAIN": "visible-name"}
    yml.write_text(yaml.safe_dump(doc))
    return jf


def _files(root):
    for dirpath, _, names in os.walk(root):
        for name in names:
            yield os.path.join(dirpath, name)


def test_secrets_are_redacted_everywhere_the_run_writes(folder, tmp_path):
    run_dir = tmp_path / "run"
    old = os.umask(0o022)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "daskprs", "job", "create", "--file"]
            + [str(folder.root / "job.yml"), "--run-dir", str(run_dir)],
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        os.umask(old)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    # the entry process got the real value
    with open(result["outputs"]["job.result"]) as fh:
        assert set(fh.read().split()) == {DIGEST}
    # ... and nothing daskprs wrote or printed holds it
    assert SECRET not in proc.stdout and SECRET not in proc.stderr
    leaks = [p for p in _files(run_dir) if SECRET.encode() in read_text(p, "rb")]
    assert leaks == []
    job_json = json.loads((run_dir / "job.json").read_text())
    assert job_json["spec"]["environment_variables"] == {"SECRET_TOKEN": "***", "PLAIN": "***"}
    report = (run_dir / "report.html").read_text()
    assert "SECRET_TOKEN=***" in report
    # modes: the spec holders are private, user data follows the umask (022 here)
    for name in ("job.json", "report.html"):
        assert stat.S_IMODE(os.stat(run_dir / name).st_mode) == 0o600, name
    output = result["outputs"]["job.result"]
    assert stat.S_IMODE(os.stat(output).st_mode) == 0o644
    logs = run_dir / "job" / "logs"
    assert {stat.S_IMODE(os.stat(p).st_mode) for p in _files(logs)} == {0o644}


def test_job_show_prints_no_secret(folder, tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert (
        main(
            [
                "job",
                "create",
                "-q",
                "--file",
                str(folder.root / "job.yml"),
                "--run-dir",
                str(run_dir),
            ]
        )
        == 0
    )
    assert main(["job", "show", "--run-dir", str(run_dir)]) == 0
    out, err = capsys.readouterr()
    assert SECRET not in out and SECRET not in err


def test_spec_errors_do_not_quote_secret_values(folder, capsys):
    yml = folder.root / "job.yml"
    doc = yaml.safe_load(yml.read_text())
    doc["environment_variables"] = {"SECRET_TOKEN": 4242424242}
    yml.write_text(yaml.safe_dump(doc))
    with pytest.raises(PipelineSpecError, match="must be strings") as err:
        daskprs.load_job(yml)
    assert "4242424242" not in str(err.value)
    doc["environment_variables"] = f"SECRET_TOKEN={SECRET}"
    yml.write_text(yaml.safe_dump(doc))
    with pytest.raises(PipelineSpecError, match="must be a mapping") as err:
        daskprs.load_job(yml)
    assert SECRET not in str(err.value)


def test_set_errors_do_not_quote_secret_values(folder, capsys):
    yml = folder.root / "job.yml"
    code = main(["job", "validate", "-f", str(yml), "--set", f"environment_variables.T=[{SECRET}"])
    _, err = capsys.readouterr()
    assert code == 2 and "environment_variables.T=***" in err and SECRET not in err
    code = main(["job", "validate", "-f", str(yml), "--set", f"environment_variables.T.x={SECRET}"])
    _, err = capsys.readouterr()
    assert code == 2 and SECRET not in err


def test_redact_finds_every_environment_variables_mapping():
    spec = {
        "environment_variables": {"A": "1"},
        "jobs": {
            "s": {
                "environment_variables": {"B": "2"},
                "task": {"environment_variables": {"C": "3"}},
            },
            "t": {"component": {"environment_variables": {"D": "4"}}, "inputs": {"x": "5"}},
        },
        "list": [{"environment_variables": {"E": "6"}}],
    }
    out = redact(spec)
    assert "'***'" in repr(out) and all(
        v not in repr(out) for v in ["'1'", "'2'", "'3'", "'4'", "'6'"]
    )
    assert out["jobs"]["t"]["inputs"] == {"x": "5"}
    assert spec["environment_variables"] == {"A": "1"}  # the job's own copy is untouched


def test_reprs_hold_no_secret(folder):
    """A job, a step or an entry-process config in a log line or a traceback shows no value."""
    from daskprs.runtime.protocol import ProcessConfig

    job = daskprs.load_job(folder.root / "job.yml")
    step = job.steps["job"]
    assert step.environment_variables["SECRET_TOKEN"] == SECRET  # the engine has the value
    config = ProcessConfig(
        "r", "job", "/code", "score.py", (), {"SECRET_TOKEN": SECRET}, "", "", ""
    )
    for obj in (job, step, config):
        assert SECRET not in repr(obj)
