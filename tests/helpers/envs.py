"""Real environment builds against the package index this machine reaches (pip's configured
indexes). Builds are cached in one session-wide env dir, so each distinct environment is built
once per test session."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

# the package the driver lacks, for command steps: small, pure Python
DRIVER_LACKS = "tabulate==0.9.0"
# what most tests' steps pin: one environment, built once per session in ``env_dir``
PINS = ["cloudpickle==2.2.1", DRIVER_LACKS]


def write_csv(path: Path, rows: int) -> None:
    path.write_text("id,x\n" + "".join(f"{i},{i * 0.5}\n" for i in range(rows)))


def conda(path: Path, pip: list[str], python: str | None = "python=3.11") -> Path:
    deps: list = [python] if python else []
    deps += ["pip", {"pip": pip}]
    path.write_text(yaml.safe_dump({"name": "t", "dependencies": deps}, sort_keys=False))
    return path


PROBE_SCRIPT = """\
import importlib.util
import sys

import cloudpickle


def init():
    pass


def run(mini_batch):
    dask_installed = importlib.util.find_spec("dask") is not None
    line = f"{cloudpickle.__version__}|{sys.executable}|dask={dask_installed}"
    return [line] * len(mini_batch)
"""


def pipeline(root: Path, pins: list[str], command: bool = False) -> Path:
    """A pipeline: a parallel step (entry script reports cloudpickle's version and whether dask
    is installed) on a CSV, then (optionally) a command step importing tabulate (and mltable,
    served by daskprs.mltable) and writing its interpreter; both use the conda file ``env.yml``
    pinning ``pins``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "code").mkdir(exist_ok=True)
    (root / "code" / "score.py").write_text(PROBE_SCRIPT)
    (root / "data").mkdir(exist_ok=True)
    write_csv(root / "data" / "part0.csv", 40)
    (root / "data" / "MLTable").write_text(
        textwrap.dedent(
            """\
            type: mltable
            paths:
              - pattern: ./*.csv
            transformations:
              - read_delimited:
                  delimiter: ","
                  header: all_files_same_headers
            """
        )
    )
    conda(root / "env.yml", pins)
    jobs: dict = {
        "probe": {
            "type": "parallel",
            "inputs": {"data": {"type": "mltable", "path": "./data"}},
            "outputs": {"result": {"type": "uri_file"}},
            "input_data": "${{inputs.data}}",
            "mini_batch_size": "200",
            "resources": {"instance_count": 1},
            "max_concurrency_per_instance": 2,
            "task": {
                "type": "run_function",
                "code": "./code",
                "entry_script": "score.py",
                "environment": {"image": "python:3.11", "conda_file": "./env.yml"},
                "append_row_to": "${{outputs.result}}",
            },
        }
    }
    if command:
        jobs["table"] = {
            "type": "command",
            "command": (
                "python -c \"import tabulate, sys, mltable; open(sys.argv[1], 'w').write("
                "tabulate.tabulate([[1, 2]], headers=['a', 'b']) + ' ' + sys.executable)\" "
                "${{outputs.out}}/t.txt"
            ),
            "environment": {"image": "python:3.11", "conda_file": "./env.yml"},
            "outputs": {"out": {"type": "uri_folder"}},
        }
    doc = {"type": "pipeline", "name": "envs", "jobs": jobs}
    path = root / "pipeline.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def cli(*args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "daskprs", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def job_json(run_dir: Path) -> dict:
    return json.loads((run_dir / "job.json").read_text())
