"""Builders for small but real job folders (data, MLTable, entry script, YAML) and for driving
`daskprs job create` as a user does."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import yaml


def write_csv(path: Path, rows: int, cols: int = 3) -> None:
    with open(path, "w") as fh:
        fh.write("id," + ",".join(f"c{j}" for j in range(cols)) + "\n")
        for i in range(rows):
            fh.write(f"{i}," + ",".join(f"{(i * 7 + j) % 97}.5" for j in range(cols)) + "\n")


class JobFolder:
    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "code").mkdir(parents=True, exist_ok=True)

    def table(self, rows: int = 500, files: int = 1, name: str = "table") -> Path:
        folder = self.root / name
        folder.mkdir(exist_ok=True)
        for f in range(files):
            write_csv(folder / f"part{f}.csv", rows)
        (folder / "MLTable").write_text(
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
        return folder

    def files(self, n: int, name: str = "files") -> Path:
        folder = self.root / name
        (folder / "sub").mkdir(parents=True, exist_ok=True)
        for i in range(n):
            target = folder / ("sub" if i % 3 == 0 else ".") / f"f{i:03d}.txt"
            target.write_text(f"file {i}\n" * (i + 1))
        return folder

    def script(self, body: str, name: str = "score.py") -> None:
        (self.root / "code" / name).write_text(textwrap.dedent(body))

    def parallel_yaml(self, input_data: dict, name: str = "job", **settings) -> Path:
        doc = {
            "type": "parallel",
            "name": name,
            "inputs": {"data": input_data},
            "outputs": {"result": {"type": "uri_file"}},
            "input_data": "${{inputs.data}}",
            "mini_batch_size": settings.pop("mini_batch_size", "2kb"),
            "resources": {"instance_count": settings.pop("instance_count", 2)},
            "max_concurrency_per_instance": settings.pop("max_concurrency_per_instance", 1),
            "retry_settings": settings.pop("retry_settings", {"max_retries": 2, "timeout": 30}),
            "task": {
                "type": "run_function",
                "code": "./code",
                "entry_script": settings.pop("entry_script", "score.py"),
                "environment": {"image": "python:3.11"},
                "append_row_to": "${{outputs.result}}",
                **settings.pop("task", {}),
            },
        }
        if settings.pop("summary_only", False):
            del doc["task"]["append_row_to"]
        doc.update(settings)
        path = self.root / "job.yml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        return path


def read_lines(path: str | os.PathLike) -> list[str]:
    with open(path) as fh:
        return fh.read().splitlines()


def stop_driver(driver: subprocess.Popen) -> None:
    """SIGKILL a driver started by :func:`start_driver` and close its pipes."""
    driver.kill()
    driver.communicate()


def start_driver(yml, run_dir, *extra: str, **popen) -> subprocess.Popen:
    """`daskprs job create` as a background process (to kill it, or to change the cluster under
    it); stdout and stderr are pipes unless given."""
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen(
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
            str(run_dir),
            *extra,
        ],
        text=True,
        **popen,
    )


def wait_for_commits(run_dir, n: int, step: str = "job", timeout: float = 120) -> Path:
    """Wait until the step's ledger has ``n`` lines (attempts finished); returns its path."""
    ledger = Path(run_dir) / step / "state" / "ledger.jsonl"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if ledger.exists() and len(ledger.read_text().splitlines()) >= n:
            return ledger
        time.sleep(0.05)
    raise AssertionError(f"{ledger} did not reach {n} lines in {timeout} s")
