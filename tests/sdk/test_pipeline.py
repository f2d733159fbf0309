"""The @pipeline decorator: node names, pipeline inputs and outputs, settings, bindings."""

from __future__ import annotations

from pathlib import Path

import pytest

from daskprs.sdk import (
    Command,
    Input,
    Output,
    PipelineJob,
    RunFunction,
    command,
    load_component,
    parallel_run_function,
    pipeline,
)
from daskprs.spec.model import CommandStep, ParallelStep


def prep_builder(**kwargs) -> Command:
    return command(
        name="prep",
        command="echo ${{inputs.text}} > ${{outputs.out}}/x.txt",
        environment="azureml:env:1",
        inputs={"text": Input(type="string")},
        outputs={"out": Output(type="uri_folder")},
        **kwargs,
    )


def test_node_names_come_from_variables_then_names_then_components() -> None:
    prep = prep_builder()

    @pipeline
    def p():
        first = prep(text="a")
        prep(text="b")  # anonymous: the component name
        prep(text="c")  # anonymous again: deduplicated
        named = prep(text="d")
        named.name = "chosen"
        return {"out": first.outputs.out}

    job = p()
    assert isinstance(job, PipelineJob)
    assert list(job.jobs) == ["first", "prep", "prep_1", "chosen"]
    loaded = job.to_job()
    assert list(loaded.steps) == ["first", "prep", "prep_1", "chosen"]
    assert all(isinstance(s, CommandStep) for s in loaded.steps.values())


def test_only_called_nodes_join_the_pipeline() -> None:
    @pipeline
    def p():
        builder = prep_builder()  # like azure-ai-ml: a builder's own node is not a step
        step = builder(text="x")
        return {"out": step.outputs.out}

    assert list(p().jobs) == ["step"]


def test_pipeline_inputs_and_outputs(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("a\n1\n")
    copy_step = command(
        name="copy",
        command="cp ${{inputs.src}} ${{outputs.dst}}/ && echo ${{inputs.times}}",
        environment="azureml:env:1",
        inputs={"src": Input(type="uri_file"), "times": Input(type="integer")},
        outputs={"dst": Output(type="uri_folder", mode="rw_mount")},
    )

    @pipeline(name="copier", continue_on_step_failure=True, default_compute="azureml:c")
    def p(src: Input, times: int = 2, label=None):
        step = copy_step(src=src, times=times)
        return {"copied": step.outputs.dst}

    job = p(src=Input(type="uri_file", path=str(tmp_path / "data.csv")))
    job.outputs.copied.path = str(tmp_path / "out")
    raw = job.to_dict()
    assert raw["inputs"] == {
        "src": {"type": "uri_file", "path": str(tmp_path / "data.csv")},
        "times": 2,
        "label": {"type": "string", "optional": True},
    }
    assert raw["outputs"] == {
        "copied": {"type": "uri_folder", "path": str(tmp_path / "out"), "mode": "rw_mount"}
    }
    assert raw["jobs"]["step"]["outputs"] == {"dst": "${{parent.outputs.copied}}"}
    assert raw["settings"] == {"default_compute": "azureml:c", "continue_on_step_failure": True}

    loaded = job.to_job()
    assert loaded.name == "copier" and loaded.continue_on_step_failure is True
    step = loaded.steps["step"]
    assert step.inputs["src"].path == str(tmp_path / "data.csv")
    assert step.inputs["times"].value == 2
    assert step.outputs["dst"].path == str(tmp_path / "out")
    assert step.outputs["dst"].parent_output == "copied"
    assert loaded.outputs["copied"].path == str(tmp_path / "out")


def test_node_output_settings_carry_to_the_pipeline_output(tmp_path: Path) -> None:
    prep = prep_builder()

    @pipeline
    def p():
        step = prep(text="x")
        step.outputs.out.path = str(tmp_path / "o")
        return {"result": step.outputs.out}

    job = p()
    assert job.outputs.result.path == str(tmp_path / "o")
    job.jobs["step"].outputs.out.mode = "upload"  # after the build: the pipeline output
    assert job.outputs.result.mode == "upload"


def test_step_outputs_bind_later_steps(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "score.py").write_text("def run(mini_batch):\n    return mini_batch\n")
    prep = command(
        name="prep",
        command="make-table ${{outputs.table}}",
        environment="azureml:env:1",
        outputs={"table": Output(type="mltable")},
    )
    score = parallel_run_function(
        name="score",
        inputs={"data": Input(type="mltable", mode="direct")},
        input_data="${{inputs.data}}",
        partition_keys=["k"],
        task=RunFunction(code=str(tmp_path / "src"), entry_script="score.py", environment="e"),
    )

    @pipeline
    def p():
        made = prep()
        score(data=made.outputs.table)

    job = p()
    assert job.to_dict()["jobs"]["score"]["inputs"]["data"] == {
        "type": "mltable",
        "path": "${{parent.jobs.made.outputs.table}}",
        "mode": "direct",
    }
    loaded = job.to_job()
    step = loaded.steps["score"]
    assert isinstance(step, ParallelStep)
    assert step.depends_on == ("made",)
    assert step.input_data.from_step == ("made", "table") and step.input_data.mode == "direct"


def test_load_component_nodes_refer_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "comp.yml").write_text(
        "type: command\nname: greet\ninputs:\n  who: {type: string, default: world}\n"
        "outputs:\n  out: {type: uri_folder}\ncode: ./\nenvironment: azureml:env:1\n"
        "command: echo hello ${{inputs.who}} > ${{outputs.out}}/x\n"
    )
    greet = load_component(tmp_path / "comp.yml")
    assert greet.name == "greet" and greet.type == "command"
    assert greet.inputs["who"].default == "world" and greet.outputs["out"].type == "uri_folder"

    @pipeline
    def p():
        default = greet()  # noqa: F841 - the variable names the step
        custom = greet(who="you")
        custom.environment_variables = {"X": "1"}

    job = p()
    raw = job.to_dict()["jobs"]
    assert raw["default"] == {"type": "command", "component": str(tmp_path / "comp.yml")}
    assert raw["custom"]["inputs"] == {"who": "you"}
    loaded = job.to_job()
    assert loaded.steps["default"].inputs["who"].value == "world"
    assert loaded.steps["custom"].inputs["who"].value == "you"
    assert loaded.steps["custom"].code_dir == str(tmp_path)
    assert loaded.steps["custom"].environment_variables == {"X": "1"}
    with pytest.raises(TypeError, match="unexpected input"):
        greet(whom="x")


def test_binding_to_a_node_outside_the_pipeline_is_refused() -> None:
    prep = prep_builder()
    outside = prep(text="x")  # called outside any pipeline: not a step

    @pipeline
    def p():
        step = prep(text="y")
        step.inputs.text = outside.outputs.out

    with pytest.raises(ValueError, match="not part of this pipeline"):
        p().to_dict()


def test_nested_pipelines_and_bad_returns_are_refused() -> None:
    prep = prep_builder()

    @pipeline
    def inner():
        prep(text="x")

    @pipeline
    def outer():
        inner()

    with pytest.raises(NotImplementedError, match="not supported"):
        outer()

    @pipeline
    def bad():
        return prep(text="x")

    with pytest.raises(TypeError, match="must return a mapping"):
        bad()


def test_pipeline_parameters_check_their_arguments() -> None:
    @pipeline
    def p(a, b=1):
        pass

    with pytest.raises(TypeError, match="p\\(\\)"):
        p(c=1)
    job = p(5)
    assert job.inputs.a.result() == 5 and job.inputs.b.result() == 1
    assert str(job.inputs.a) == "${{parent.inputs.a}}"
