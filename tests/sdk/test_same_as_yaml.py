"""A pipeline built with the Python API loads to the same PipelineJob as its YAML."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path
from typing import Any

import daskprs
from daskprs.sdk import Environment, Input, Output, RunFunction, parallel_run_function, pipeline

ROOT = Path(__file__).resolve().parents[2]
IRIS = ROOT / "examples" / "iris"
MANY = ROOT / "examples" / "many-models"


def load_example(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"example_{path.parent.name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_same_job(built: Any, loaded: Any, *, same_name: bool = True) -> None:
    assert list(built.steps) == list(loaded.steps)
    for name in loaded.steps:
        ours, theirs = built.steps[name], loaded.steps[name]
        # the YAML records cloud-only settings as written (relative conda_file paths...)
        assert set(ours.cloud) == set(theirs.cloud), name
        strip = {"source_file": "", "cloud": {}}
        assert dataclasses.replace(ours, **strip) == dataclasses.replace(theirs, **strip), name
    assert built.inputs == loaded.inputs
    assert built.outputs == loaded.outputs
    assert built.continue_on_step_failure == loaded.continue_on_step_failure
    assert set(built.cloud) == set(loaded.cloud) - {"$schema"}
    if same_name:
        assert built.name == loaded.name


def test_many_models_pipeline_py_builds_pipeline_yml() -> None:
    example = load_example(MANY / "pipeline.py")
    built = example.build().to_job()
    loaded = daskprs.load_job(MANY / "pipeline.yml")
    assert_same_job(built, loaded)
    step = built.steps["parallel_train"]
    assert step.partition_keys == ("Store", "Brand") and step.instance_count == 2
    assert step.input_data.from_step == ("partition_job", "tabular_output_data")


def test_iris_pipeline_built_in_python_matches_the_yaml() -> None:
    batch_prediction = parallel_run_function(
        name="batch_prediction",
        inputs=dict(
            input_data=Input(type="mltable", mode="direct"),
            score_model=Input(type="uri_folder", mode="download"),
        ),
        outputs=dict(job_output_file=Output(type="uri_file", mode="rw_mount")),
        input_data="${{inputs.input_data}}",
        mini_batch_size="10kb",
        instance_count=2,
        max_concurrency_per_instance=2,
        logging_level="DEBUG",
        mini_batch_error_threshold=5,
        retry_settings=dict(max_retries=2, timeout=60),
        compute="azureml:cpu-cluster",
        task=RunFunction(
            code=str(IRIS / "script"),
            entry_script="iris_prediction.py",
            environment=Environment(
                name="prs-env",
                version=1,
                image="some/image",
                conda_file=str(IRIS / "environment" / "environment_parallel.yml"),
            ),
            program_arguments="--model ${{inputs.score_model}} --error_threshold 5 "
            "--allowed_failed_percent 30 --task_overhead_timeout 1200 "
            "--progress_update_timeout 600 --first_task_creation_timeout 600 "
            "--copy_logs_to_parent True --resource_monitor_interval 20",
            append_row_to="${{outputs.job_output_file}}",
        ),
    )

    @pipeline(
        display_name="iris-batch-prediction",
        description="Batch scoring of the iris data with a nearest-centroid model, as an "
        "Azure ML parallel job.",
        default_compute="azureml:cpu-cluster",
    )
    def iris():
        batch_prediction(
            input_data=Input(type="mltable", path=str(IRIS / "neural-iris-mltable"), mode="direct"),
            score_model=Input(type="uri_folder", path=str(IRIS / "iris-model"), mode="download"),
        )

    built = iris().to_job()
    loaded = daskprs.load_job(IRIS / "pipeline.yml")
    assert_same_job(built, loaded, same_name=False)
    step = built.steps["batch_prediction"]
    assert step.mini_batch_size == 10240 and step.prs.task_overhead_timeout == 1200
