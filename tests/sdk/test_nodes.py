"""Nodes: attributes settable after construction reach the validated job; calling a node
copies it; a node alone runs as a standalone job."""

from __future__ import annotations

from pathlib import Path

import pytest

from daskprs.errors import PipelineSpecError
from daskprs.sdk import (
    Environment,
    Input,
    Output,
    Parallel,
    RetrySettings,
    RunFunction,
    command,
    parallel_run_function,
    pipeline,
)
from daskprs.spec.model import CommandStep, ParallelStep


def scorer(folder: Path, **kwargs) -> Parallel:
    return parallel_run_function(
        name="score",
        inputs={"data": Input(type="mltable", mode="direct"), "k": Input(type="integer")},
        outputs={"scores": Output(type="uri_file")},
        input_data="${{inputs.data}}",
        task=RunFunction(
            code=str(folder / "src"),
            entry_script="score.py",
            environment=Environment(image="python:3.11"),
            program_arguments="--k ${{inputs.k}}",
            append_row_to="${{outputs.scores}}",
        ),
        **kwargs,
    )


def one_step(folder: Path, node_setup=None, **kwargs) -> ParallelStep:
    score = scorer(folder, **kwargs)

    @pipeline
    def p(table):
        step = score(data=table, k=3)
        if node_setup is not None:
            node_setup(step)
        return {"scores": step.outputs.scores}

    job = p(table=Input(type="mltable", path=str(folder / "table"), mode="direct")).to_job()
    step = job.steps["score"]
    assert isinstance(step, ParallelStep)
    return step


def test_unset_settings_are_none_like_azure(folder: Path) -> None:
    node = scorer(folder)
    # azure-ai-ml leaves these None on a fresh node; the parser applies the defaults
    assert node.logging_level is None and node.max_concurrency_per_instance is None
    assert node.error_threshold is None and node.mini_batch_error_threshold is None
    assert node.mini_batch_size is None and node.partition_keys is None
    assert node.retry_settings.timeout is None and node.retry_settings.max_retries is None
    assert node.resources.instance_count is None
    assert node.task is not None and node.task.type == "run_function"


def test_defaults_after_loading_are_azures(folder: Path) -> None:
    step = one_step(folder)
    assert step.logging_level == "INFO"
    assert step.max_concurrency_per_instance == 1
    assert step.error_threshold == -1 and step.mini_batch_error_threshold == -1
    assert (step.retry.max_retries, step.retry.timeout) == (2, 60)
    assert step.instance_count == 1
    assert step.mini_batch_size is None  # the default for the input kind (1 MiB of rows)
    assert step.program_arguments == ("--k", "3")
    assert step.append_row_to == "scores"


def test_attributes_set_after_construction(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere" / "scores.txt"

    def setup(node: Parallel) -> None:
        node.resources.instance_count = 2
        node.mini_batch_error_threshold = 5
        node.error_threshold = 7
        node.max_concurrency_per_instance = 3
        node.logging_level = "DEBUG"
        node.mini_batch_size = "10kb"
        node.retry_settings.timeout = 30
        node.retry_settings.max_retries = 1
        node.environment_variables["COLOR"] = "blue"
        node.outputs.scores.path = str(out)
        node.task.program_arguments = "--k ${{inputs.k}} --error_threshold 9"

    step = one_step(folder, setup)
    assert step.instance_count == 2
    assert step.mini_batch_error_threshold == 5
    assert step.error_threshold == 7
    assert step.max_concurrency_per_instance == 3
    assert step.logging_level == "DEBUG"
    assert step.mini_batch_size == 10 * 1024
    assert (step.retry.timeout, step.retry.max_retries) == (30, 1)
    assert step.environment_variables == {"COLOR": "blue"}
    assert step.outputs["scores"].path == str(out)
    assert step.prs.error_threshold == 9


def test_constructor_settings_and_replacing_settings_objects(folder: Path) -> None:
    def setup(node: Parallel) -> None:
        node.retry_settings = {"timeout": 5}
        node.resources = {"instance_count": 4}
        node.set_resources(instance_type="Standard_D2")

    step = one_step(
        folder,
        setup,
        instance_count=2,
        partition_keys=["a"],
        retry_settings=RetrySettings(max_retries=0, timeout=10),
    )
    assert step.instance_count == 4
    assert step.retry.timeout == 5 and step.retry.max_retries == 2  # the dict replaced it
    assert step.partition_keys == ("a",)
    assert step.cloud["resources.instance_type"] == "Standard_D2"


def test_calling_a_node_copies_it(folder: Path) -> None:
    score = scorer(folder, mini_batch_error_threshold=1, instance_count=2)
    a = score(k=1)
    b = score(k=2)
    a.resources.instance_count = 5
    a.task.entry_script = "other.py"
    a.retry_settings.timeout = 1
    assert score.resources.instance_count == 2 and b.resources.instance_count == 2
    assert score.task.entry_script == "score.py" and b.task.entry_script == "score.py"
    assert score.retry_settings.timeout is None
    assert (a.inputs.k._data, b.inputs.k._data, score.inputs.k._data) == (1, 2, None)
    assert a.mini_batch_error_threshold == 1 and a.name == "score"  # parallel keeps its name


def test_calling_checks_input_names(folder: Path) -> None:
    score = scorer(folder)
    with pytest.raises(TypeError, match="unexpected input.*'datta'.*its inputs: data, k"):
        score(datta=1)
    with pytest.raises(TypeError, match="keyword arguments"):
        score(1)
    with pytest.raises(AttributeError, match="no input 'nope'"):
        score.inputs.nope = 1
    with pytest.raises(AttributeError, match="valid names: scores"):
        _ = score.outputs.nope


def test_node_io_attributes(folder: Path) -> None:
    node = scorer(folder)(data=Input(type="mltable", path="./t"))
    assert node.inputs.data.type == "mltable" and node.inputs.data.path == "./t"
    node.inputs.data.mode = "direct"
    assert node.inputs["data"].mode == "direct"
    assert node.outputs.scores.type == "uri_file" and node.outputs.scores.path is None
    node.outputs.scores.mode = "upload"
    assert node.outputs.scores.mode == "upload"
    assert list(node.inputs) == ["data", "k"] and "scores" in node.outputs


def test_standalone_parallel_node_runs_as_a_one_step_job(folder: Path) -> None:
    node = parallel_run_function(
        name="score_alone",
        inputs={"data": Input(type="mltable", path=str(folder / "table"), mode="direct")},
        outputs={"scores": Output(type="uri_file")},
        input_data="${{inputs.data}}",
        mini_batch_size="1kb",
        task=RunFunction(
            code=str(folder / "src"),
            entry_script="score.py",
            environment="azureml:env:1",
            append_row_to="${{outputs.scores}}",
        ),
    )
    job = node.to_job()
    assert job.name == "score_alone" and list(job.steps) == ["score_alone"]
    step = job.steps["score_alone"]
    assert isinstance(step, ParallelStep)
    assert step.input_data.path == str(folder / "table") and step.mini_batch_size == 1024


def test_standalone_node_with_a_binding_is_refused(folder: Path) -> None:
    other = command(name="prep", command="echo", environment="azureml:e:1", outputs={"o": Output()})

    @pipeline
    def p():
        first = other()
        second = scorer(folder)(data=first.outputs.o)
        return {"x": second.outputs.scores}

    job = p()
    with pytest.raises(ValueError, match="standalone job needs values"):
        job.jobs["score"].to_job()


def test_command_node_settings(folder: Path) -> None:
    prep = command(
        name="prep",
        command="python prep.py --n ${{inputs.n}} $[[--opt ${{inputs.opt}}]] --out ${{outputs.out}}",
        code="src",
        environment=Environment(image="python:3.11"),
        environment_variables={"A": "1"},
        inputs={"n": 3, "opt": Input(type="string", optional=True)},
        outputs={"out": Output(type="uri_folder")},
        instance_count=2,
        timeout=600,
    )
    import os

    cwd = os.getcwd()
    os.chdir(folder)  # relative paths are relative to the current directory, as in Azure
    try:
        job = prep.to_job()
    finally:
        os.chdir(cwd)
    step = job.steps["prep"]
    assert isinstance(step, CommandStep)
    assert step.code_dir == str(folder / "src")
    assert step.inputs["n"].value == 3 and "opt" not in step.inputs
    assert step.environment_variables == {"A": "1"}
    assert step.cloud["limits"] == {"timeout": 600}


def test_parser_errors_name_the_key(folder: Path) -> None:
    with pytest.raises(PipelineSpecError, match="jobs.score.mini_batch_size") as first:
        one_step(folder, lambda n: setattr(n, "mini_batch_size", "ten"))
    with pytest.raises(PipelineSpecError, match="jobs.score.task.entry_script") as second:
        one_step(folder, lambda n: setattr(n.task, "entry_script", "missing.py"))
    for info in (first, second):  # the generated YAML is kept for the message: clean up
        Path(str(info.value.file)).unlink()


def test_invalid_job_yaml_is_kept_for_the_error_message(folder: Path) -> None:
    with pytest.raises(PipelineSpecError) as info:
        one_step(folder, lambda n: setattr(n, "logging_level", "LOUD"))
    assert info.value.file is not None and Path(info.value.file).read_text().count("LOUD") == 1
    Path(info.value.file).unlink()
