"""load_job on Azure's iris example (issue 2): every setting read, with Azure's defaults."""

from __future__ import annotations

import pickle

import pytest

from daskprs.errors import PipelineSpecError
from daskprs.spec.load import load_job, validate_job
from daskprs.spec.model import ParallelStep, PrsArguments, RetrySettings


def test_example_pipeline_settings(project):
    path = project.write(project.pipeline())
    job = load_job(path)
    assert job.name == "pipeline"
    assert job.source_file == str(path)
    assert list(job.steps) == ["batch_prediction"]
    step = job.steps["batch_prediction"]
    assert isinstance(step, ParallelStep)
    root = str(project.root)
    assert step.input_data.type == "mltable"
    assert step.input_data.path == f"{root}/neural-iris-mltable"
    assert step.input_data.mode == "direct"
    assert step.inputs["score_model"].path == f"{root}/iris-model"
    assert step.outputs["job_output_file"].type == "uri_file"
    assert step.outputs["job_output_file"].path is None
    assert step.append_row_to == "job_output_file"
    assert step.code_dir == f"{root}/script"
    assert step.entry_script == "iris_prediction.py"
    assert step.mini_batch_size == 10240
    assert (step.instance_count, step.max_concurrency_per_instance, step.processes) == (2, 2, 4)
    assert step.logging_level == "DEBUG"
    assert step.mini_batch_error_threshold == 5
    assert step.error_threshold == -1
    assert step.retry == RetrySettings(max_retries=2, timeout=60)
    assert step.prs == PrsArguments(
        error_threshold=5,
        allowed_failed_percent=30.0,
        task_overhead_timeout=1200,
        progress_update_timeout=600,
        first_task_creation_timeout=600,
        copy_logs_to_parent=True,
        resource_monitor_interval=20,
    )
    # the entry script sees every token, the runtime's own included, bindings substituted
    assert step.program_arguments[:2] == ("--model", f"{root}/iris-model")
    assert "--error_threshold" in step.program_arguments
    assert len(step.program_arguments) == 16
    assert step.cloud["compute"] == "azureml:cpu-cluster"
    assert job.cloud["settings.default_compute"] == "azureml:cpu-cluster"
    assert job.cloud["display_name"] == "iris-batch-prediction-using-parallel"
    assert job.raw["jobs"]["batch_prediction"]["mini_batch_size"] == "10kb"
    assert validate_job(path) == job
    assert pickle.loads(pickle.dumps(job)) == job


def test_defaults_are_azures(project):
    doc = project.pipeline()
    step = doc["jobs"]["batch_prediction"]
    for key in (
        "mini_batch_size",
        "resources",
        "max_concurrency_per_instance",
        "logging_level",
        "mini_batch_error_threshold",
        "retry_settings",
    ):
        del step[key]
    del step["task"]["program_arguments"]
    del step["task"]["append_row_to"]
    s = load_job(project.write(doc)).steps["batch_prediction"]
    assert isinstance(s, ParallelStep)
    assert s.mini_batch_size is None  # the engine picks 1 MiB (tabular) / 10 files
    assert (s.instance_count, s.max_concurrency_per_instance) == (1, 1)
    assert s.logging_level == "INFO"
    assert (s.mini_batch_error_threshold, s.error_threshold) == (-1, -1)
    assert s.retry == RetrySettings(max_retries=2, timeout=60)
    assert s.prs == PrsArguments()
    assert s.prs.effective_progress_update_timeout(60) == 270
    assert s.program_arguments == ()
    assert s.append_row_to is None


def test_standalone_parallel_job_is_a_one_step_pipeline(project):
    step = project.pipeline()["jobs"]["batch_prediction"]
    step.pop("compute")
    doc = {"type": "parallel", **step}
    job = load_job(project.write(doc, "score-iris.yml"))
    assert list(job.steps) == ["score-iris"]
    s = job.steps["score-iris"]
    assert isinstance(s, ParallelStep)
    assert s.input_data.path == f"{project.root}/neural-iris-mltable"
    assert s.mini_batch_size == 10240 and s.append_row_to == "job_output_file"
    assert s.program_arguments[1] == f"{project.root}/iris-model"
    named = load_job(project.write({"name": "score", **doc}, "other.yml"))
    assert list(named.steps) == ["score"] and named.name == "score"


def test_set_overrides_apply_before_validation(project):
    path = project.write(project.pipeline())
    job = load_job(
        path,
        overrides=[
            "jobs.batch_prediction.mini_batch_size=1mb",
            "jobs.batch_prediction.resources.instance_count=3",
            "jobs.batch_prediction.retry_settings.timeout=5",
            "jobs.batch_prediction.environment_variables.FOO=bar",
        ],
    )
    s = job.steps["batch_prediction"]
    assert isinstance(s, ParallelStep)
    assert s.mini_batch_size == 1024 * 1024
    assert s.instance_count == 3
    assert s.retry.timeout == 5
    assert s.environment_variables == {"FOO": "bar"}
    assert job.raw["jobs"]["batch_prediction"]["mini_batch_size"] == "1mb"
    # a YAML integer from --set is rejected just like one in the file
    with pytest.raises(PipelineSpecError, match="must be a string"):
        load_job(path, overrides=["jobs.batch_prediction.mini_batch_size=5"])
    with pytest.raises(PipelineSpecError, match="KEY=VALUE"):
        load_job(path, overrides=["jobs.batch_prediction.mini_batch_size"])


def test_error_names_file_and_dotted_key(project):
    doc = project.pipeline()
    doc["jobs"]["batch_prediction"]["retry_settings"]["timeout"] = -5
    path = project.write(doc)
    with pytest.raises(PipelineSpecError) as info:
        load_job(path)
    err = info.value
    assert err.file == str(path)
    assert err.key == "jobs.batch_prediction.retry_settings.timeout"
    assert str(err).startswith(f"{path}: jobs.batch_prediction.retry_settings.timeout: ")
    assert "positive" in str(err)
    assert pickle.loads(pickle.dumps(err)).key == err.key


def test_lenient_keys_are_accepted_and_recorded(project):
    doc = project.pipeline()
    step = doc["jobs"]["batch_prediction"]
    step["task"]["extra"] = 1  # Azure INCLUDEs unknown task / retry_settings / settings keys
    step["retry_settings"]["extra"] = 2
    doc["settings"]["extra"] = 3
    step["resources"]["instance_type"] = "Standard_D2"
    step["resources"]["shm_size"] = "2g"
    step["identity"] = {"type": "managed"}
    job = load_job(project.write(doc))
    s = job.steps["batch_prediction"]
    assert s.cloud["task.extra"] == 1
    assert s.cloud["retry_settings.extra"] == 2
    assert s.cloud["resources.instance_type"] == "Standard_D2"
    assert s.cloud["resources.shm_size"] == "2g"
    assert s.cloud["identity"] == {"type": "managed"}
    assert job.cloud["settings.extra"] == 3


def test_integers_are_read_as_azure_reads_them(project):
    doc = project.pipeline(max_concurrency_per_instance="3", error_threshold=10)
    doc["jobs"]["batch_prediction"]["retry_settings"] = {"timeout": "30", "max_retries": 0}
    s = load_job(project.write(doc)).steps["batch_prediction"]
    assert isinstance(s, ParallelStep)
    assert s.max_concurrency_per_instance == 3
    assert s.retry == RetrySettings(max_retries=0, timeout=30)
    assert s.error_threshold == 10


def test_file_input_counts_files(project):
    doc = project.pipeline(mini_batch_size="5")
    doc["jobs"]["batch_prediction"]["inputs"]["input_data"] = {
        "type": "uri_folder",
        "path": "./iris-model",
        "mode": "ro_mount",
    }
    s = load_job(project.write(doc)).steps["batch_prediction"]
    assert isinstance(s, ParallelStep)
    assert s.mini_batch_size == 5 and s.input_data.type == "uri_folder"


def test_partition_keys(project):
    s = load_job(project.write(project.pipeline(partition_keys=["a", "b"]))).steps[
        "batch_prediction"
    ]
    assert isinstance(s, ParallelStep)
    assert s.partition_keys == ("a", "b")
    assert s.mini_batch_size == 10240  # kept as given; partition_keys win when planning


def test_urls_are_accepted_unchecked(project):
    doc = project.pipeline(mini_batch_size="5")
    doc["jobs"]["batch_prediction"]["inputs"]["input_data"] = {
        "type": "uri_folder",
        "path": "s3://bucket/data",
    }
    s = load_job(project.write(doc)).steps["batch_prediction"]
    assert isinstance(s, ParallelStep)
    assert s.input_data.path == "s3://bucket/data"


def test_remote_mltable_is_not_opened_while_parsing(project):
    doc = project.pipeline()
    doc["jobs"]["batch_prediction"]["inputs"]["input_data"]["path"] = "s3://no-such-bucket/table"
    s = load_job(project.write(doc)).steps["batch_prediction"]
    assert s.input_data.path == "s3://no-such-bucket/table"
