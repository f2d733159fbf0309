"""Multi-step pipelines: command steps, components, parent bindings, ordering and cycles."""

from __future__ import annotations

import pytest

from daskprs.errors import PipelineSpecError
from daskprs.spec.load import load_job
from daskprs.spec.model import CommandStep, InputSpec, OutputSpec, ParallelStep

COMPONENT = """\
$schema: https://azuremlschemas.azureedge.net/latest/parallelComponent.schema.json
type: parallel
name: score
version: 1
inputs:
  data: {type: mltable}
  model: {type: uri_folder, optional: true}
  n: {type: integer, default: 3}
outputs:
  scores: {type: uri_file}
input_data: ${{inputs.data}}
mini_batch_size: "10kb"
retry_settings: {max_retries: 4, timeout: 30}
logging_level: WARNING
task:
  type: run_function
  code: ./src
  entry_script: score.py
  environment: {image: python:3.11}
  program_arguments: --n ${{inputs.n}} $[[--model ${{inputs.model}}]]
  append_row_to: ${{outputs.scores}}
"""

PIPELINE = """\
type: pipeline
name: many_models
settings:
  default_compute: azureml:cpu-cluster
  continue_on_step_failure: true
inputs:
  raw: {type: uri_file, path: ./raw.csv}
  threshold: 0.5
outputs:
  final:
    type: uri_file
    path: ./out/${{name}}/scores.txt
jobs:
  report:
    type: command
    command: python report.py --scores ${{inputs.scores}} --out ${{outputs.report}}
    code: ./script
    environment: azureml:reporting-env:1
    inputs:
      scores: ${{parent.jobs.score.outputs.scores}}
    outputs:
      report: {type: uri_folder}
  score:
    type: parallel
    component: ./components/score.yml
    inputs:
      data: ${{parent.jobs.prep.outputs.table}}
    outputs:
      scores: ${{parent.outputs.final}}
    mini_batch_size: "20kb"
  prep:
    type: command
    command: >-
      python prep.py --raw ${{inputs.raw}} --t ${{inputs.t}} --flag ${{inputs.flag}}
      $[[--extra ${{inputs.extra}}]] --out ${{outputs.table}}
    code: ./script
    environment: {image: python:3.11, conda_file: ./environment/environment_parallel.yml}
    environment_variables: {MODE: fast}
    inputs:
      raw: ${{parent.inputs.raw}}
      t: ${{parent.inputs.threshold}}
      flag: true
    outputs:
      table: {type: mltable}
"""


@pytest.fixture
def multi(project):
    (project.root / "raw.csv").write_text("a\n1\n")
    (project.root / "components" / "src").mkdir(parents=True)
    (project.root / "components" / "src" / "score.py").write_text("def run(mb):\n    return mb\n")
    project.write(COMPONENT, "components/score.yml")
    return project


def test_multi_step_pipeline(multi):
    job = load_job(multi.write(PIPELINE))
    root = str(multi.root)
    assert job.name == "many_models"
    assert list(job.steps) == ["prep", "score", "report"]  # dependency order
    assert job.continue_on_step_failure is True
    assert job.inputs["raw"] == InputSpec("raw", "uri_file", path=f"{root}/raw.csv")
    assert job.inputs["threshold"] == InputSpec("threshold", "literal", value=0.5)
    assert job.outputs["final"] == OutputSpec(
        "final", "uri_file", path=f"{root}/out/many_models/scores.txt"
    )

    prep = job.steps["prep"]
    assert isinstance(prep, CommandStep)
    assert "${{inputs.raw}}" in prep.command and "$[[--extra" in prep.command  # kept for run time
    assert prep.code_dir == f"{root}/script"
    assert prep.environment_variables == {"MODE": "fast"}
    assert prep.inputs["raw"].path == f"{root}/raw.csv"
    assert prep.inputs["t"] == InputSpec("t", "literal", value=0.5)
    assert prep.inputs["flag"] == InputSpec("flag", "literal", value=True)
    assert prep.outputs["table"] == OutputSpec("table", "mltable")
    assert prep.depends_on == ()

    score = job.steps["score"]
    assert isinstance(score, ParallelStep)
    assert score.depends_on == ("prep",)
    assert score.input_data == InputSpec("data", "mltable", from_step=("prep", "table"))
    assert score.code_dir == f"{root}/components/src"  # relative to the component file
    assert score.mini_batch_size == 20 * 1024  # the node wins over its component
    assert (score.retry.max_retries, score.retry.timeout) == (4, 30)
    assert score.logging_level == "WARNING"
    assert score.inputs["n"] == InputSpec("n", "literal", value=3)  # component default
    assert "model" not in score.inputs  # optional, unset
    assert score.program_arguments == ("--n", "3")  # the $[[ ]] segment dropped
    assert score.append_row_to == "scores"
    out = score.outputs["scores"]
    assert out.parent_output == "final" and out.path == f"{root}/out/many_models/scores.txt"
    assert score.cloud["component.version"] == 1

    report = job.steps["report"]
    assert isinstance(report, CommandStep)
    assert report.depends_on == ("score",)
    assert report.inputs["scores"] == InputSpec("scores", "uri_file", from_step=("score", "scores"))
    assert report.cloud["environment"] == "azureml:reporting-env:1"


def test_optional_input_set_keeps_the_segment(multi):
    job = load_job(
        multi.write(
            PIPELINE.replace(
                "      data: ${{parent.jobs.prep.outputs.table}}",
                "      data: ${{parent.jobs.prep.outputs.table}}\n      model: {type: uri_folder, path: ./iris-model}",
            )
        )
    )
    score = job.steps["score"]
    assert isinstance(score, ParallelStep)
    assert score.program_arguments == ("--n", "3", "--model", f"{multi.root}/iris-model")


def test_inline_component_and_node_overrides(multi):
    text = PIPELINE.replace(
        "component: ./components/score.yml",
        "component:\n" + _indent(COMPONENT.replace("./src", "./components/src"), 6),
    )
    score = load_job(multi.write(text)).steps["score"]
    assert isinstance(score, ParallelStep)
    assert score.code_dir == f"{multi.root}/components/src"  # relative to the pipeline file
    assert score.mini_batch_size == 20 * 1024


def _indent(text: str, n: int) -> str:
    return "".join(" " * n + line + "\n" for line in text.splitlines())


@pytest.mark.parametrize(
    "old,new,key,fragment",
    [
        (
            "${{parent.inputs.raw}}",
            "${{parent.inputs.nope}}",
            "jobs.prep.inputs.raw",
            "no input 'nope'",
        ),
        (
            "${{parent.jobs.prep.outputs.table}}",
            "${{parent.jobs.nope.outputs.table}}",
            "jobs.score.inputs.data",
            "no step 'nope'",
        ),
        (
            "${{parent.jobs.prep.outputs.table}}",
            "${{parent.jobs.prep.outputs.nope}}",
            "jobs.score.inputs.data",
            "no output 'nope'",
        ),
        (
            "${{parent.outputs.final}}",
            "${{parent.outputs.nope}}",
            "jobs.score.outputs.scores",
            "no output 'nope'",
        ),
        (
            "--out ${{outputs.report}}",
            "--out ${{outputs.nope}}",
            "jobs.report.command",
            "unbound ${{outputs.nope}}",
        ),
        (
            "--t ${{inputs.t}}",
            "--t ${{inputs.nope}}",
            "jobs.prep.command",
            "unbound ${{inputs.nope}}",
        ),
        (
            "$[[--extra ${{inputs.extra}}]]",
            "--extra ${{inputs.extra}}",
            "jobs.prep.command",
            "unbound ${{inputs.extra}}",
        ),
        (
            "component: ./components/score.yml",
            "component: ./components/nope.yml",
            "jobs.score.component",
            "file not found",
        ),
        (
            "component: ./components/score.yml",
            "component: azureml:score:1",
            "jobs.score.component",
            "local file",
        ),
        (
            "component: ./components/score.yml",
            "component: azureml://registries/r/components/score/versions/1",
            "jobs.score.component",
            "local file",
        ),
        (
            "      data: ${{parent",
            "      nope: 1\n      data: ${{parent",
            "jobs.score.inputs.nope",
            "declares no input 'nope'",
        ),
        ("    type: parallel\n", "    type: command\n", "jobs.score.type", "must match"),
        (
            "    code: ./script\n    environment: azureml",
            "    code: ./nope\n    environment: azureml",
            "jobs.report.code",
            "does not exist",
        ),
        (
            "    command: python report.py",
            "    foo: 1\n    command: python report.py",
            "jobs.report.foo",
            "unknown key",
        ),
        (
            "    environment: azureml:reporting-env:1\n",
            "",
            "jobs.report.environment",
            "is required",
        ),
        (
            "      flag: true",
            "      flag: {type: boolean, default: true, bogus: 1}",
            "jobs.prep.inputs.flag.bogus",
            "unknown key",
        ),
        (
            "path: ./out/${{name}}/scores.txt",
            "path: ./out/${{parent.inputs.x}}/s.txt",
            "outputs.final.path",
            "${{name}}",
        ),
    ],
)
def test_pipeline_errors(multi, old, new, key, fragment):
    assert old in PIPELINE
    with pytest.raises(PipelineSpecError) as info:
        load_job(multi.write(PIPELINE.replace(old, new, 1)))
    assert info.value.key == key, str(info.value)
    assert fragment in str(info.value)


def test_component_errors_name_the_component_file(multi):
    multi.write(
        COMPONENT.replace('mini_batch_size: "10kb"', "mini_batch_size: 10"), "components/score.yml"
    )
    with pytest.raises(PipelineSpecError) as info:
        load_job(multi.write(PIPELINE.replace('    mini_batch_size: "20kb"\n', "")))
    assert info.value.file == str(multi.root / "components" / "score.yml")
    assert info.value.key == "mini_batch_size"
    multi.write(COMPONENT.replace("name: score", "name: score\nfoo: 1"), "components/score.yml")
    with pytest.raises(PipelineSpecError, match="unknown key 'foo' for a parallel component"):
        load_job(multi.write(PIPELINE))


def test_cycle_between_steps(project):
    doc = {
        "type": "pipeline",
        "jobs": {
            name: {
                "type": "command",
                "command": "echo ${{inputs.x}} ${{outputs.o}}",
                "environment": {"image": "python:3.11"},
                "inputs": {"x": f"${{{{parent.jobs.{other}.outputs.o}}}}"},
                "outputs": {"o": {"type": "uri_folder"}},
            }
            for name, other in (("a", "b"), ("b", "c"), ("c", "a"))
        },
    }
    with pytest.raises(PipelineSpecError, match="cycle: a -> b -> c -> a") as info:
        load_job(project.write(doc))
    assert info.value.key == "jobs.a"


def test_command_step_without_code_and_standalone_command(project):
    doc = {
        "type": "pipeline",
        "jobs": {
            "hello": {
                "type": "command",
                "command": "echo ${{inputs.who}}",
                "inputs": {"who": "world"},
                "environment": "azureml:env:1",
            }
        },
    }
    step = load_job(project.write(doc)).steps["hello"]
    assert isinstance(step, CommandStep)
    assert step.code_dir is None and step.inputs["who"].value == "world"
    cmd = {
        "type": "command",
        "command": "echo hi",
        "code": "./script",
        "environment": "azureml:e:1",
    }
    job = load_job(project.write(cmd, "hi.yml"))
    assert isinstance(job.steps["hi"], CommandStep)


def test_datastore_output_path_goes_to_the_run_dir(project):
    doc = project.pipeline()
    doc["jobs"]["batch_prediction"]["outputs"]["job_output_file"]["path"] = (
        "azureml://datastores/${{default_datastore}}/paths/${{name}}/out.csv"
    )
    s = load_job(project.write(doc)).steps["batch_prediction"]
    assert s.outputs["job_output_file"].path is None
    key = "jobs.batch_prediction.outputs.job_output_file.path"
    assert s.cloud[key] == "azureml://datastores/workspaceblobstore/paths/pipeline/out.csv"


def test_output_path_is_substituted_into_program_arguments(project):
    doc = project.pipeline()
    step = doc["jobs"]["batch_prediction"]
    step["outputs"]["job_output_file"]["path"] = "./results/out.txt"
    step["outputs"]["extra"] = {"type": "uri_folder"}
    step["task"]["program_arguments"] = "--o ${{outputs.job_output_file}} --e ${{outputs.extra}}"
    s = load_job(project.write(doc)).steps["batch_prediction"]
    # known now -> substituted; under the run dir -> left for the engine to fill at run time
    assert s.program_arguments == (
        "--o",
        f"{project.root}/results/out.txt",
        "--e",
        "${{outputs.extra}}",
    )


def test_setting_bound_to_pipeline_input(project):
    doc = project.pipeline(mini_batch_size="${{parent.inputs.size}}")
    doc["inputs"] = {"size": "2kb", "retries": 5}
    doc["jobs"]["batch_prediction"]["retry_settings"]["max_retries"] = "${{parent.inputs.retries}}"
    s = load_job(project.write(doc)).steps["batch_prediction"]
    assert isinstance(s, ParallelStep)
    assert s.mini_batch_size == 2048 and s.retry.max_retries == 5


def test_many_models_shape():
    """Azure's orange-juice example: a command step writes an MLTable that a partitioned
    parallel step consumes."""
    from pathlib import Path

    corpus = Path(__file__).resolve().parents[1] / "oracle_spec"
    job = load_job(corpus / "ok_many_models.yml")
    assert list(job.steps) == ["partition_job", "parallel_train"]
    prep = job.steps["partition_job"]
    assert isinstance(prep, CommandStep)
    assert prep.inputs["partition_keys"] == InputSpec(
        "partition_keys", "literal", value="Store,Brand"
    )
    assert prep.code_dir == str(corpus / "components" / "partition")
    assert prep.outputs["tabular_output_data"].type == "mltable"
    train = job.steps["parallel_train"]
    assert isinstance(train, ParallelStep)
    assert train.input_data == InputSpec(
        "data_source", "mltable", mode="direct", from_step=("partition_job", "tabular_output_data")
    )
    assert train.depends_on == ("partition_job",)
    assert train.partition_keys == ("Store", "Brand")
    assert train.environment_variables == {"AZUREML_PARALLEL_EXAMPLE": "1a_yml"}
    assert train.prs.error_threshold == -1 and train.prs.copy_logs_to_parent is True
    assert train.program_arguments[:4] == (
        "--drop_cols",
        "Revenue,Advert,Store,Brand",
        "--output_dir",
        "${{outputs.model_folder}}",  # under the run dir: filled by the engine (fill_run_time)
    )
