"""Every kind of bad spec fails in load_job with the file, the dotted key and what is valid."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from daskprs.errors import PipelineSpecError
from daskprs.spec.load import load_job

S = "jobs.batch_prediction"


def _step(doc: dict[str, Any]) -> dict[str, Any]:
    step: dict[str, Any] = doc["jobs"]["batch_prediction"]
    return step


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(doc: dict[str, Any]) -> None:
        node: Any = _step(doc)
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    return apply


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def apply(doc: dict[str, Any]) -> None:
        node: Any = _step(doc)
        parts = path.split(".")
        for part in parts[:-1]:
            node = node[part]
        del node[parts[-1]]

    return apply


CASES: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("mbs-yaml-int", _set("mini_batch_size", 5), f"{S}.mini_batch_size", "must be a string"),
    ("mbs-space", _set("mini_batch_size", "10 KB"), f"{S}.mini_batch_size", "regex"),
    ("mbs-float", _set("mini_batch_size", "1.5MB"), f"{S}.mini_batch_size", "regex"),
    (
        "unknown-node-key",
        _set("mini_batch_sise", "1"),
        f"{S}.mini_batch_sise",
        "did you mean 'mini_batch_size'",
    ),
    ("unknown-resources-key", _set("resources.gpus", 1), f"{S}.resources.gpus", "unknown key"),
    (
        "unknown-input-key",
        _set("inputs.input_data.foo", 1),
        f"{S}.inputs.input_data.foo",
        "unknown key",
    ),
    (
        "unknown-output-key",
        _set("outputs.job_output_file.foo", 1),
        f"{S}.outputs.job_output_file.foo",
        "unknown key",
    ),
    ("logging-lower", _set("logging_level", "debug"), f"{S}.logging_level", "DEBUG, INFO, WARNING"),
    ("logging-error", _set("logging_level", "ERROR"), f"{S}.logging_level", "DEBUG, INFO, WARNING"),
    (
        "timeout-negative",
        _set("retry_settings.timeout", -5),
        f"{S}.retry_settings.timeout",
        "positive",
    ),
    (
        "timeout-text",
        _set("retry_settings.timeout", "abc"),
        f"{S}.retry_settings.timeout",
        "integer",
    ),
    (
        "retries-negative",
        _set("retry_settings.max_retries", -1),
        f"{S}.retry_settings.max_retries",
        "0 or more",
    ),
    ("error-threshold-below", _set("error_threshold", -5), f"{S}.error_threshold", "-1"),
    (
        "mb-threshold-below",
        _set("mini_batch_error_threshold", -2),
        f"{S}.mini_batch_error_threshold",
        "-1",
    ),
    (
        "mb-threshold-text",
        _set("mini_batch_error_threshold", "x"),
        f"{S}.mini_batch_error_threshold",
        "integer",
    ),
    (
        "instance-count-zero",
        _set("resources.instance_count", 0),
        f"{S}.resources.instance_count",
        "at least 1",
    ),
    (
        "concurrency-zero",
        _set("max_concurrency_per_instance", 0),
        f"{S}.max_concurrency_per_instance",
        "at least 1",
    ),
    (
        "concurrency-bool",
        _set("max_concurrency_per_instance", True),
        f"{S}.max_concurrency_per_instance",
        "integer",
    ),
    (
        "unbound-program-argument",
        _set("task.program_arguments", "--m ${{inputs.nope}}"),
        f"{S}.task.program_arguments",
        "unbound ${{inputs.nope}}",
    ),
    (
        "unbound-output-argument",
        _set("task.program_arguments", "--o ${{outputs.nope}}"),
        f"{S}.task.program_arguments",
        "no output 'nope'",
    ),
    (
        "unknown-binding-form",
        _set("task.program_arguments", "--o ${{inputs}}"),
        f"{S}.task.program_arguments",
        "valid forms",
    ),
    (
        "unbound-input-data",
        _set("input_data", "${{inputs.nope}}"),
        f"{S}.input_data",
        "unbound ${{inputs.nope}}",
    ),
    ("input-data-not-binding", _set("input_data", "./data"), f"{S}.input_data", "binding"),
    ("input-data-missing", _drop("input_data"), f"{S}.input_data", "required"),
    (
        "unbound-append-row",
        _set("task.append_row_to", "${{outputs.nope}}"),
        f"{S}.task.append_row_to",
        "no output 'nope'",
    ),
    (
        "append-row-not-output",
        _set("task.append_row_to", "./out.txt"),
        f"{S}.task.append_row_to",
        "binding",
    ),
    (
        "program-arguments-list",
        _set("task.program_arguments", ["--a", "b"]),
        f"{S}.task.program_arguments",
        "must be a string",
    ),
    (
        "program-arguments-quote",
        _set("task.program_arguments", "--a 'b"),
        f"{S}.task.program_arguments",
        "split",
    ),
    (
        "allowed-percent-text",
        _set("task.program_arguments", "--allowed_failed_percent lots"),
        f"{S}.task.program_arguments",
        "0 to 100",
    ),
    (
        "allowed-percent-high",
        _set("task.program_arguments", "--allowed_failed_percent 120"),
        f"{S}.task.program_arguments",
        "0 to 100",
    ),
    (
        "overhead-negative",
        _set("task.program_arguments", "--task_overhead_timeout -3"),
        f"{S}.task.program_arguments",
        "between 1 and",
    ),
    (
        "copy-logs-not-bool",
        _set("task.program_arguments", "--copy_logs_to_parent yes"),
        f"{S}.task.program_arguments",
        "True or False",
    ),
    (
        "prs-arg-no-value",
        _set("task.program_arguments", "--error_threshold"),
        f"{S}.task.program_arguments",
        "needs a value",
    ),
    (
        "entry-script-missing",
        _set("task.entry_script", "nope.py"),
        f"{S}.task.entry_script",
        "not found",
    ),
    ("entry-script-no-key", _drop("task.entry_script"), f"{S}.task.entry_script", "required"),
    ("code-missing", _set("task.code", "./nocode"), f"{S}.task.code", "does not exist"),
    ("task-type-bad", _set("task.type", "bogus"), f"{S}.task.type", "run_function"),
    ("task-type-model", _set("task.type", "model"), f"{S}.task.type", "not supported"),
    ("task-missing", _drop("task"), f"{S}.task", "required"),
    ("environment-missing", _drop("task.environment"), f"{S}.task.environment", "required"),
    (
        "conda-file-missing",
        _set("task.environment.conda_file", "./nope.yml"),
        f"{S}.task.environment.conda_file",
        "does not exist",
    ),
    (
        "registry-environment",
        _set(
            "task.environment",
            "azureml://registries/azureml/environments/sklearn-1.5/labels/latest",
        ),
        f"{S}.task.environment",
        "current Python environment",
    ),
    (
        "input-path-missing",
        _set("inputs.input_data.path", "./nope"),
        f"{S}.inputs.input_data.path",
        "does not exist",
    ),
    (
        "input-azureml-data",
        _set("inputs.input_data.path", "azureml:iris:1"),
        f"{S}.inputs.input_data.path",
        "local path",
    ),
    (
        "input-azureml-datastore",
        _set("inputs.input_data.path", "azureml://datastores/blob/paths/iris"),
        f"{S}.inputs.input_data.path",
        "fsspec URL",
    ),
    (
        "input-type-bad",
        _set("inputs.input_data.type", "bogus"),
        f"{S}.inputs.input_data.type",
        "uri_folder",
    ),
    (
        "input-mode-bad",
        _set("inputs.input_data.mode", "bogus"),
        f"{S}.inputs.input_data.mode",
        "ro_mount",
    ),
    ("partition-keys-string", _set("partition_keys", "a"), f"{S}.partition_keys", "list"),
    (
        "env-vars-int",
        _set("environment_variables", {"A": 1}),
        f"{S}.environment_variables.A",
        "strings",
    ),
    (
        "env-vars-list",
        _set("environment_variables", ["A"]),
        f"{S}.environment_variables",
        "mapping",
    ),
    ("step-type-sweep", _set("type", "sweep"), f"{S}.type", "sweep"),
    ("step-type-automl", _set("type", "automl"), f"{S}.type", "AutoML"),
    ("step-type-unknown", _set("type", "bogus"), f"{S}.type", "parallel or command"),
    (
        "size-on-file-input",
        _set("inputs.input_data", {"type": "uri_folder", "path": "./iris-model"}),
        f"{S}.mini_batch_size",
        "number of files",
    ),
    (
        "size-on-file-mltable",
        _set("inputs.input_data.path", "./files-mltable"),
        f"{S}.mini_batch_size",
        "without a reader",
    ),
]


@pytest.mark.parametrize("mutate,key,fragment", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_step_is_rejected_with_its_key(project, mutate, key, fragment):
    doc = project.pipeline()
    mutate(doc)
    path = project.write(doc)
    with pytest.raises(PipelineSpecError) as info:
        load_job(path)
    assert info.value.key == key, str(info.value)
    assert info.value.file == str(path)
    assert fragment in str(info.value)


def test_entry_script_without_run(project):
    (project.root / "script" / "iris_prediction.py").write_text("def init():\n    pass\n")
    with pytest.raises(PipelineSpecError, match=r"defines no top-level run\(\)") as info:
        load_job(project.write(project.pipeline()))
    assert info.value.key == f"{S}.task.entry_script"


def test_entry_script_with_syntax_error(project):
    (project.root / "script" / "iris_prediction.py").write_text("def run(:\n")
    with pytest.raises(PipelineSpecError, match="not valid Python"):
        load_job(project.write(project.pipeline()))


@pytest.mark.parametrize(
    "change,key,fragment",
    [
        ({"foo": 1}, "foo", "unknown key 'foo' for a pipeline job"),
        ({"type": "sweep"}, "type", "not supported"),
        ({"type": "bogus"}, "type", "pipeline, parallel or command"),
        ({"jobs": {}}, "jobs", "at least one step"),
        (
            {"settings": {"default_compute": "cpu"}},
            "settings.default_compute",
            "azureml:cpu-cluster",
        ),
        (
            {"settings": {"continue_on_step_failure": "maybe"}},
            "settings.continue_on_step_failure",
            "boolean",
        ),
        ({"tags": {"a": 1}}, "tags.a", "string"),
        ({"component": "./pipeline_component.yml"}, "component", "not supported"),
    ],
)
def test_bad_pipeline_level(project, change, key, fragment):
    doc = project.pipeline()
    doc.update(change)
    with pytest.raises(PipelineSpecError) as info:
        load_job(project.write(doc))
    assert info.value.key == key, str(info.value)
    assert fragment in str(info.value)


def test_bad_step_name(project):
    doc = project.pipeline()
    doc["jobs"]["Batch-Prediction"] = doc["jobs"].pop("batch_prediction")
    with pytest.raises(PipelineSpecError, match="lower-case Python identifiers"):
        load_job(project.write(doc))


def test_not_a_mapping_and_bad_yaml(project):
    with pytest.raises(PipelineSpecError, match="mapping"):
        load_job(project.write("- a\n- b\n"))
    with pytest.raises(PipelineSpecError, match="not valid YAML"):
        load_job(project.write("a: [\n"))
    with pytest.raises(PipelineSpecError, match="file not found"):
        load_job(project.root / "missing.yml")


def test_compute_reference_is_fine_but_data_reference_is_not(project):
    doc = project.pipeline(compute="azureml:gpu-cluster")
    assert (
        load_job(project.write(doc)).steps["batch_prediction"].cloud["compute"]
        == "azureml:gpu-cluster"
    )


def test_mini_batch_size_zero_means_unset_as_azure_ai_ml_writes_it(tmp_path):
    """azure-ai-ml loads "0" as 0 and dumps an unset mini_batch_size as '0'."""
    import shutil

    from daskprs.spec.load import load_job

    example = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "iris")
    shutil.copytree(example, tmp_path / "iris")
    job = load_job(
        tmp_path / "iris" / "pipeline.yml", overrides=['jobs.batch_prediction.mini_batch_size="0"']
    )
    assert job.steps["batch_prediction"].mini_batch_size is None
