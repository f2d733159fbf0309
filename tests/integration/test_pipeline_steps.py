"""Multi-step pipelines on the engine: dependency order, failed steps, continue_on_step_failure."""

from __future__ import annotations

import pytest
import yaml

import daskprs


def _pipeline(root, continue_on_failure: bool):
    (root / "src").mkdir(parents=True, exist_ok=True)
    doc = {
        "type": "pipeline",
        "settings": {"continue_on_step_failure": continue_on_failure},
        "jobs": {
            "broken": {
                "type": "command",
                "code": "./src",
                "command": "echo about to fail >&2; exit 3",
                "environment": {"image": "python:3.11"},
                "outputs": {"out": {"type": "uri_folder"}},
            },
            "independent": {
                "type": "command",
                "code": "./src",
                "command": "echo fine > ${{outputs.out}}/ok.txt",
                "environment": {"image": "python:3.11"},
                "outputs": {"out": {"type": "uri_folder"}},
            },
            "dependant": {
                "type": "command",
                "code": "./src",
                "command": "cat ${{inputs.x}}/anything",
                "environment": {"image": "python:3.11"},
                "inputs": {"x": "${{parent.jobs.broken.outputs.out}}"},
            },
        },
    }
    path = root / "pipeline.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@pytest.mark.parametrize("keep_going", [True, False])
def test_a_failed_step_stops_its_dependants(tmp_path, client, keep_going):
    path = _pipeline(tmp_path / "p", keep_going)
    result = daskprs.run(str(path), client=client, run_dir=str(tmp_path / "run"), progress=False)
    assert result.status == "Failed"
    steps = result.steps
    assert steps["broken"].status == "Failed"
    assert "exit" in steps["broken"].cause and "about to fail" in steps["broken"].cause
    assert steps["dependant"].status == "Skipped" and "broken" in steps["dependant"].cause
    if keep_going:
        assert steps["independent"].status == "Completed"
        assert (
            tmp_path / "run" / "independent" / "outputs" / "out" / "ok.txt"
        ).read_text() == "fine\n"
    else:
        # without continue_on_step_failure nothing after the failure runs (whichever order)
        assert steps["independent"].status in ("Completed", "Skipped")
    assert set(steps) == {"broken", "independent", "dependant"}


def test_first_task_creation_timeout_fails_the_step(tmp_path, client, job_folder, monkeypatch):
    import time

    import daskprs.engine.plan as step_mod

    job_folder.table(rows=10)
    job_folder.script("def run(mini_batch):\n    return mini_batch\n")
    yml = job_folder.parallel_yaml(
        {"type": "mltable", "path": "./table", "mode": "direct"},
        task={"program_arguments": "--first_task_creation_timeout 1"},
    )
    real = step_mod.plan_step

    def slow_plan(*args, **kwargs):  # a data source that takes long to list
        time.sleep(3)
        return real(*args, **kwargs)

    monkeypatch.setattr(step_mod, "plan_step", slow_plan)
    result = daskprs.run(str(yml), client=client, run_dir=str(tmp_path / "run"), progress=False)
    assert result.status == "Failed"
    assert result.steps["job"].cause == "Unable to create any task within 1 seconds."
    first = (tmp_path / "run" / "job" / "logs" / "job_result.txt").read_text().splitlines()[0]
    assert first == "Unable to create any task within 1 seconds."
