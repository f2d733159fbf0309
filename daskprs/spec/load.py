"""Load a pipeline / parallel job YAML into a validated :class:`~daskprs.spec.model.PipelineJob`.

Everything that can be checked before a worker starts is checked here: keys and types (as the
azure-ai-ml schema has them), ``mini_batch_size``, bindings, cycles, the entry script and the
input paths. Each error is a :class:`~daskprs.errors.PipelineSpecError` naming the file, the
dotted key and what would be valid.

Flow: read YAML -> apply ``--set`` overrides -> build nodes (components merged underneath) ->
resolve pipeline inputs/outputs -> resolve each step's inputs/outputs and settings -> order the
steps (cycles are errors).

Modules, in that order: :mod:`~daskprs.spec.context` (the job being loaded),
:mod:`~daskprs.spec.ports` (inputs and outputs), :mod:`~daskprs.spec.step_common`,
:mod:`~daskprs.spec.command` and :mod:`~daskprs.spec.parallel` (one function per section).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

from daskprs.spec import keys as K
from daskprs.spec.command import command_step
from daskprs.spec.components import Node, build_node, read_yaml
from daskprs.spec.context import LoadContext, StepIO
from daskprs.spec.graph import CycleError, topological_order
from daskprs.spec.keys import Where
from daskprs.spec.model import InputSpec, OutputSpec, PipelineJob, Step
from daskprs.spec.output_paths import check_output_paths
from daskprs.spec.overrides import apply_overrides
from daskprs.spec.parallel import parallel_step
from daskprs.spec.ports import (
    declared_output_types,
    output_decl,
    pipeline_input,
    step_input,
    step_output,
)
from daskprs.spec.step_common import env_vars_of

__all__ = ["load_job", "validate_job"]


def load_job(source: str | os.PathLike[str], overrides: Sequence[str] = ()) -> PipelineJob:
    """Parse and validate a pipeline (``type: pipeline``) or standalone parallel job YAML.

    ``overrides`` are ``--set`` strings (``jobs.score.mini_batch_size=1mb``) applied to the raw
    YAML before validation. Raises :class:`~daskprs.errors.PipelineSpecError`.
    """
    file = os.path.abspath(os.fspath(source))
    raw = read_yaml(file, Where(file))
    raw = apply_overrides(raw, overrides, file)
    top = Where(file)
    kind = raw.get("type")
    if kind == "pipeline":
        return check_output_paths(_Pipeline(raw, file).build())
    if kind in ("parallel", "command"):
        return check_output_paths(_standalone(raw, file, str(kind)))
    if kind in K.UNSUPPORTED_STEP_TYPES:
        (top / "type").fail(
            f"type {kind!r} is not supported by daskprs: {K.UNSUPPORTED_STEP_TYPES[kind]}"
        )
    (top / "type").fail(f"must be pipeline, parallel or command; got {kind!r}")


def validate_job(source: str | os.PathLike[str], overrides: Sequence[str] = ()) -> PipelineJob:
    """Like :func:`load_job` (which already checks files, entry scripts and MLTables)."""
    return load_job(source, overrides)


class _Pipeline:
    def __init__(self, raw: dict[str, Any], file: str) -> None:
        self.raw = raw
        self.file = file
        self.top = Where(file)

    def build(self) -> PipelineJob:
        raw, top = self.raw, self.top
        K.check_keys(raw, K.PIPELINE_KEYS, top, "a pipeline job")
        K.check_cloud_types(raw, top)
        if "component" in raw:
            (top / "component").fail(
                "pipeline components are not supported yet; put the steps under jobs: instead"
            )
        name = _job_name(raw, self.file, top)
        ctx = LoadContext(self.file, name)
        cloud = K.cloud_part(raw)
        continue_on_failure = _pipeline_settings(raw, top, cloud)
        for key, value in K.as_mapping(raw.get("inputs"), top / "inputs", "inputs").items():
            ctx.inputs[key] = pipeline_input(key, value, top / "inputs" / key, ctx)
        for key, value in K.as_mapping(raw.get("outputs"), top / "outputs", "outputs").items():
            ctx.outputs[key] = output_decl(key, value, None, top / "outputs" / key, ctx, cloud)
        _build_nodes(raw, top, ctx)
        steps: dict[str, Step] = {}
        for step_name, node in ctx.nodes.items():
            steps[step_name] = _build_step(node, ctx)
        try:
            order = topological_order({n: list(s.depends_on) for n, s in steps.items()})
        except CycleError as exc:
            (top / "jobs" / exc.cycle[0]).fail(
                f"the steps depend on each other in a cycle: {' -> '.join(exc.cycle)}; "
                "a step can only consume outputs of steps that do not consume its own"
            )
        return PipelineJob(
            name=name,
            source_file=self.file,
            steps={n: steps[n] for n in order},
            inputs={k: v for k, v in ctx.inputs.items() if v is not None},
            outputs=dict(ctx.outputs),
            continue_on_step_failure=continue_on_failure,
            cloud=cloud,
            raw=self.raw,
        )


def _pipeline_settings(raw: dict[str, Any], top: Where, cloud: dict[str, Any]) -> bool:
    """``settings``: ``continue_on_step_failure`` is returned, the cloud-only ones recorded."""
    settings = K.as_mapping(raw.get("settings"), top / "settings", "settings")
    continue_on_failure = False
    for key, value in settings.items():
        w = top / "settings" / key
        if key == "continue_on_step_failure":
            continue_on_failure = K.as_bool(value, w)
        elif key == "force_rerun":
            cloud[f"settings.{key}"] = K.as_bool(value, w)
        elif key == "default_compute":
            if not isinstance(value, str) or not (
                value == "serverless" or value.startswith("azureml:")
            ):
                w.fail(
                    f"must be 'serverless' or a compute reference like azureml:cpu-cluster; got {value!r}"
                )
            cloud[f"settings.{key}"] = value
        elif key == "default_datastore":
            if not isinstance(value, str) or not value.startswith("azureml:"):
                w.fail(
                    f"must be a datastore reference like azureml:workspaceblobstore; got {value!r}"
                )
            cloud[f"settings.{key}"] = value
        else:  # Azure's settings schema INCLUDEs unknown keys: accepted and recorded
            cloud[f"settings.{key}"] = value
    return continue_on_failure


def _build_nodes(raw: dict[str, Any], top: Where, ctx: LoadContext) -> None:
    """``jobs``: each step's node (its component merged underneath) and its output types."""
    jobs = raw.get("jobs")
    if not isinstance(jobs, dict) or not jobs:
        (top / "jobs").fail("must be a mapping of step names to steps, with at least one step")
    for step_name, body in jobs.items():
        w = top / "jobs" / str(step_name)
        if not isinstance(step_name, str) or not _valid_node_name(step_name):
            w.fail(
                "step names must be lower-case Python identifiers (letters a-z, digits, "
                f"underscore; not starting with a digit); got {step_name!r}"
            )
        body = K.as_mapping(body, w, f"step {step_name!r}")
        node = build_node(step_name, body, w, ctx.base_dir)
        ctx.nodes[step_name] = node
        ctx.outputs_of[step_name] = declared_output_types(node, ctx)


def _standalone(raw: dict[str, Any], file: str, kind: str) -> PipelineJob:
    """A ``type: parallel`` (or ``command``) job file run as a one-step pipeline."""
    top = Where(file)
    allowed = (
        K.PARALLEL_STANDALONE_KEYS
        if kind == "parallel"
        else K.COMMAND_NODE_KEYS | K.COMMAND_COMPONENT_KEYS
    )
    K.check_keys(raw, allowed, top, f"a {kind} job")
    K.check_cloud_types(raw, top)
    name = _job_name(raw, file, top)
    ctx = LoadContext(file, name)
    node = Node(name=name, kind=kind, where=top)
    node.absorb(
        raw,
        top,
        frozenset({"inputs", "outputs", "type", "name"}) | (K.CLOUD_KEYS - {"environment"}),
    )
    node.cloud.update(K.cloud_part(raw))
    # standalone inputs are job inputs (type + path) or literals: resolve them like pipeline inputs
    for key, value in K.as_mapping(raw.get("inputs"), top / "inputs", "inputs").items():
        ctx.inputs[key] = pipeline_input(key, value, top / "inputs" / key, ctx)
        node.in_values[key] = f"${{{{parent.inputs.{key}}}}}"
    for key, value in K.as_mapping(raw.get("outputs"), top / "outputs", "outputs").items():
        ctx.outputs[key] = output_decl(key, value, None, top / "outputs" / key, ctx, node.cloud)
        node.out_values[key] = f"${{{{parent.outputs.{key}}}}}"
    ctx.nodes[name] = node
    ctx.outputs_of[name] = {}
    step = _build_step(node, ctx)
    return PipelineJob(
        name=name,
        source_file=file,
        steps={name: step},
        inputs={k: v for k, v in ctx.inputs.items() if v is not None},
        outputs=dict(ctx.outputs),
        cloud=dict(node.cloud),
        raw=raw,
    )


def _job_name(raw: dict[str, Any], file: str, top: Where) -> str:
    name = raw.get("name")
    if name is None:
        return os.path.splitext(os.path.basename(file))[0]
    return K.as_str(name, top / "name")


def _valid_node_name(name: str) -> bool:
    return re.fullmatch(r"[a-z_][a-z0-9_]*", name) is not None


def _build_step(node: Node, ctx: LoadContext) -> Step:
    inputs: dict[str, InputSpec] = {}
    unset: set[str] = set()
    names = list(node.in_ports) + [n for n in node.in_values if n not in node.in_ports]
    for name in names:
        w = (
            node.where / "inputs" / name
            if name in node.in_values
            else Where(node.component_file or ctx.file, f"inputs.{name}")
        )
        spec = step_input(name, node.in_values.get(name), node.in_ports.get(name), w, ctx, node)
        if spec is None:
            unset.add(name)
        else:
            inputs[name] = spec
    outputs: dict[str, OutputSpec] = {}
    for name in list(node.out_ports) + [n for n in node.out_values if n not in node.out_ports]:
        w = node.where / "outputs" / name
        outputs[name] = step_output(
            name, node.out_values.get(name), node.out_ports.get(name), w, ctx, node
        )
    depends = tuple(dict.fromkeys(s.from_step[0] for s in inputs.values() if s.from_step))
    env_vars = env_vars_of(node)
    io = StepIO(inputs, outputs, unset, depends)
    if node.kind == "command":
        return command_step(node, ctx, io, env_vars)
    return parallel_step(node, ctx, io, env_vars)
