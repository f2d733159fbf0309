"""What the example and the Python API need from code outside daskprs.sdk:

* ``daskprs.run`` accepts the pipeline object a ``@pipeline`` function returns, as
  azure-ai-ml's ``ml_client.jobs.create_or_update(pipeline_job)`` does;
* the names of product spec 1.2 are importable from ``daskprs``;
* a command step's ``python`` is the interpreter running the job (Azure runs the command in
  the environment's Python; daskprs runs it "in the current Python environment").
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import daskprs
import daskprs.api
from daskprs.engine.command import run_command_step
from daskprs.sdk import Output, command, pipeline
from daskprs.spec.model import PipelineJob


def hello() -> Any:
    return command(
        name="hello",
        command="echo hi > ${{outputs.out}}/hi.txt",
        environment="azureml:env:1",
        outputs={"out": Output(type="uri_folder")},
    )


def test_run_accepts_the_sdk_pipeline_object(monkeypatch, tmp_path) -> None:
    step = hello()

    @pipeline
    def greet():
        say = step()
        return {"greeting": say.outputs.out}

    seen: list[Any] = []
    monkeypatch.setattr(daskprs.api, "run_job", lambda job, **kw: seen.append(job))
    daskprs.run(greet(), run_dir=str(tmp_path / "r"), progress=False)
    assert len(seen) == 1 and isinstance(seen[0], PipelineJob)
    assert list(seen[0].steps) == ["say"]


def test_sdk_names_are_exported_from_daskprs() -> None:
    from daskprs import sdk

    for name in ("parallel_run_function", "RunFunction", "RetrySettings", "Input", "Output"):
        assert getattr(daskprs, name) is getattr(sdk, name)
    for name in ("pipeline", "load_component", "command"):
        assert getattr(daskprs, name) is getattr(sdk, name)


def test_command_steps_run_the_jobs_python(monkeypatch, tmp_path: Path) -> None:
    other = tmp_path / "other-bin"
    other.mkdir()
    (other / "python").write_text("#!/bin/sh\necho /some/other/python\n")
    (other / "python").chmod(0o755)
    monkeypatch.setenv("PATH", f"{other}{os.pathsep}{os.environ['PATH']}")
    where = command(
        name="where",
        command="python -c 'import sys; print(sys.executable)' > ${{outputs.out}}/python.txt",
        environment="azureml:env:1",
        outputs={"out": Output(type="uri_folder")},
    )
    step = where.to_job().steps["where"]
    # the command-step runner alone: no cluster (no in-process threads) needed
    result = run_command_step(step, str(tmp_path / "run"), {})
    assert result.status == "Completed", result.cause
    found = (Path(result.outputs["out"]) / "python.txt").read_text().strip()
    assert os.path.realpath(found) == os.path.realpath(sys.executable)
