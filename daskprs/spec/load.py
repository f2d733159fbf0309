"""Load a pipeline / parallel job YAML into a validated :class:`~daskprs.spec.model.PipelineJob`.

Everything that can be checked before a worker starts is checked here: keys and types (as the
azure-ai-ml schema has them), ``mini_batch_size``, bindings, cycles, the entry script and the
input paths. Each error is a :class:`~daskprs.errors.PipelineSpecError` naming the file, the
dotted key and what would be valid.

Flow: read YAML -> apply ``--set`` overrides -> build nodes (components merged underneath) ->
resolve pipeline inputs/outputs -> resolve each step's inputs/outputs and settings -> order the
steps (cycles are errors).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from daskprs.data.sizes import has_size_suffix, parse_mini_batch_size
from daskprs.errors import SpecError
from daskprs.spec import keys as K
from daskprs.spec import safe_yaml
from daskprs.spec.arguments import extract_prs, split_arguments
from daskprs.spec.bindings import (
    Binding,
    BindingSyntaxError,
    find_bindings,
    optional_bindings,
    parse_binding,
    resolve_optional,
    substitute,
)
from daskprs.spec.components import Node, build_node, read_yaml
from daskprs.spec.files import check_entry_script, is_url, resolve_path
from daskprs.spec.graph import CycleError, topological_order
from daskprs.spec.keys import Where
from daskprs.spec.model import (
    CommandStep,
    EnvironmentRef,
    InputSpec,
    OutputSpec,
    ParallelStep,
    PipelineJob,
    RetrySettings,
    Step,
)
from daskprs.spec.output_paths import check_output_paths
from daskprs.spec.overrides import apply_overrides

__all__ = ["load_job", "validate_job"]

_MODEL_TYPES = ("custom_model", "mlflow_model", "triton_model")
DEFAULT_DATASTORE = "workspaceblobstore"


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


# --------------------------------------------------------------------------- pipeline level


@dataclass
class _Context:
    file: str
    job_name: str
    inputs: dict[str, InputSpec | None] = field(default_factory=dict)
    outputs: dict[str, OutputSpec] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)
    outputs_of: dict[str, dict[str, str]] = field(default_factory=dict)  # step -> out -> type

    @property
    def base_dir(self) -> str:
        return os.path.dirname(self.file)


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
        ctx = _Context(self.file, name)
        cloud = K.cloud_part(raw)
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

        for key, value in K.as_mapping(raw.get("inputs"), top / "inputs", "inputs").items():
            ctx.inputs[key] = _pipeline_input(key, value, top / "inputs" / key, ctx)
        for key, value in K.as_mapping(raw.get("outputs"), top / "outputs", "outputs").items():
            ctx.outputs[key] = _output_decl(key, value, None, top / "outputs" / key, ctx, cloud)

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
            ctx.outputs_of[step_name] = _declared_output_types(node, ctx)

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
    ctx = _Context(file, name)
    node = Node(name=name, kind=kind, where=top)
    node.absorb(
        raw,
        top,
        frozenset({"inputs", "outputs", "type", "name"}) | (K.CLOUD_KEYS - {"environment"}),
    )
    node.cloud.update(K.cloud_part(raw))
    # standalone inputs are job inputs (type + path) or literals: resolve them like pipeline inputs
    for key, value in K.as_mapping(raw.get("inputs"), top / "inputs", "inputs").items():
        ctx.inputs[key] = _pipeline_input(key, value, top / "inputs" / key, ctx)
        node.in_values[key] = f"${{{{parent.inputs.{key}}}}}"
    for key, value in K.as_mapping(raw.get("outputs"), top / "outputs", "outputs").items():
        ctx.outputs[key] = _output_decl(key, value, None, top / "outputs" / key, ctx, node.cloud)
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
    import re

    return re.fullmatch(r"[a-z_][a-z0-9_]*", name) is not None


# --------------------------------------------------------------------------- inputs / outputs


def _data_type(typ: str) -> str:
    return "uri_folder" if typ in _MODEL_TYPES else typ


def _literal(name: str, value: Any) -> InputSpec:
    return InputSpec(name=name, type="literal", value=value)


def _pipeline_input(name: str, value: Any, w: Where, ctx: _Context) -> InputSpec | None:
    """A pipeline-level (or standalone job) input: a literal, or {type, path, mode}."""
    if isinstance(value, (bool, int, float)):
        return _literal(name, value)
    if isinstance(value, str):
        b = _binding_or_fail(value, w)
        if b is not None:
            if b.scope == "global":
                return _literal(name, _global_value(b, ctx))
            w.fail(f"pipeline inputs cannot be bound to {value}; give a value or {{type, path}}")
        return _literal(name, value)
    spec = K.as_mapping(value, w, f"input {name!r}")
    K.check_keys(spec, K.DATA_INPUT_KEYS | K.LITERAL_INPUT_KEYS, w, f"input {name!r}")
    typ = spec.get("type")
    if typ in K.LITERAL_TYPES or (typ is None and "path" not in spec):
        literal = spec.get("default", spec.get("value"))
        if literal is None:
            return None  # declared but unset (optional)
        return _literal(name, _coerce_literal(literal, typ, w / "default"))
    if typ is None:
        typ = "uri_folder"
    if typ not in K.DATA_TYPES:
        (w / "type").fail(
            f"must be one of {', '.join(K.DATA_TYPES + K.LITERAL_TYPES)}; got {typ!r}"
        )
    mode = _mode(spec.get("mode"), w / "mode")
    path = spec.get("path")
    if path is None:
        if spec.get("optional"):
            return None
        (w / "path").fail(
            f"input {name!r} ({typ}) needs a path: a local path relative to this file or an fsspec URL"
        )
    return InputSpec(
        name=name,
        type=_data_type(str(typ)),  # type: ignore[arg-type]
        path=resolve_path(path, ctx.base_dir, w / "path"),
        mode=mode,
    )


def _coerce_literal(value: Any, typ: Any, w: Where) -> Any:
    if typ == "integer":
        return K.as_int(value, w)
    if typ == "boolean":
        return K.as_bool(value, w)
    if typ == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            w.fail(f"must be a number, got {value!r}")
        try:
            return float(value)
        except ValueError:
            w.fail(f"must be a number, got {value!r}")
    if typ == "string" and not isinstance(value, str):
        return str(value)
    return value


def _mode(mode: Any, w: Where) -> str | None:
    if mode is None:
        return None
    return K.as_choice(mode, K.INPUT_MODES, w)


def _global_value(b: Binding, ctx: _Context) -> str:
    return ctx.job_name if b.name == "name" else DEFAULT_DATASTORE


def _binding_or_fail(text: str, w: Where) -> Binding | None:
    try:
        return parse_binding(text)
    except BindingSyntaxError as exc:
        w.fail(str(exc))


def _output_path(path: Any, w: Where, ctx: _Context, cloud: dict[str, Any]) -> str | None:
    if path is None:
        return None
    path = K.as_str(path, w)
    try:
        path = substitute(path, lambda b: _global_value(b, ctx) if b.scope == "global" else None)
    except BindingSyntaxError as exc:
        w.fail(str(exc))
    if path.startswith("azureml:"):
        # a datastore location (azureml://datastores/<ds>/paths/...): only meaningful in the
        # cloud; the output goes to the run directory instead, and the original is recorded
        cloud[w.key] = path
        return None
    if "${{" in path:
        w.fail(
            f"output paths may only use ${{{{name}}}} and ${{{{default_datastore}}}}; got {path!r}"
        )
    return resolve_path(path, ctx.base_dir, w, must_exist=False)


def _output_decl(
    name: str,
    value: Any,
    port: dict[str, Any] | None,
    w: Where,
    ctx: _Context,
    cloud: dict[str, Any],
) -> OutputSpec:
    """A pipeline-level output, or a step output given as a mapping / left empty."""
    port_type = (port or {}).get("type", "uri_folder")
    if value is None:
        typ0 = _data_type(port_type) if port_type in K.OUTPUT_TYPES else "uri_folder"
        return OutputSpec(name=name, type=typ0)  # type: ignore[arg-type]
    spec = K.as_mapping(value, w, f"output {name!r}")
    K.check_keys(spec, K.OUTPUT_KEYS, w, f"output {name!r}")
    typ = spec.get("type", port_type)
    if typ not in K.OUTPUT_TYPES:
        (w / "type").fail(f"must be one of {', '.join(K.OUTPUT_TYPES)}; got {typ!r}")
    mode = spec.get("mode")
    if mode is not None:
        K.as_choice(mode, ("rw_mount", "upload", "direct", "mount"), w / "mode")
    return OutputSpec(
        name=name,
        type=_data_type(str(typ)),  # type: ignore[arg-type]
        path=_output_path(spec.get("path"), w / "path", ctx, cloud),
        mode=mode,
    )


def _declared_output_types(node: Node, ctx: _Context) -> dict[str, str]:
    """Output name -> type for a node (so later steps can bind to it)."""
    out: dict[str, str] = {}
    for name, port in node.out_ports.items():
        out[name] = _data_type(str(port.get("type", "uri_folder")))
    for name, value in node.out_values.items():
        if isinstance(value, dict) and "type" in value:
            out[name] = _data_type(str(value["type"]))
        elif isinstance(value, str):
            b = parse_binding(value) if "${{" in value else None
            if (
                b is not None
                and b.scope == "parent"
                and b.kind == "outputs"
                and b.name in ctx.outputs
            ):
                out[name] = ctx.outputs[b.name].type
            else:
                out.setdefault(name, "uri_folder")
        else:
            out.setdefault(name, "uri_folder")
    return out


def _step_output(
    name: str, value: Any, port: dict[str, Any] | None, w: Where, ctx: _Context, node: Node
) -> OutputSpec:
    if isinstance(value, str):
        b = _binding_or_fail(value, w)
        if b is None or b.scope != "parent" or b.kind != "outputs":
            w.fail(
                "a step output must be {type, path, mode}, empty, or bound to a pipeline output "
                f"with ${{{{parent.outputs.<name>}}}}; got {value!r}"
            )
        if b.name not in ctx.outputs:
            valid = ", ".join(sorted(ctx.outputs)) or "none declared"
            w.fail(
                f"unbound {b}: the pipeline has no output {b.name!r} (pipeline outputs: {valid})"
            )
        parent = ctx.outputs[b.name]
        typ = parent.type
        if (
            port is not None
            and "type" in port
            and typ == "uri_folder"
            and port["type"] in K.OUTPUT_TYPES
        ):
            typ = _data_type(str(port["type"]))  # type: ignore[assignment]
        return OutputSpec(
            name=name, type=typ, path=parent.path, mode=parent.mode, parent_output=b.name
        )
    return _output_decl(name, value, port, w, ctx, node.cloud)


def _step_input(
    name: str, value: Any, port: dict[str, Any] | None, w: Where, ctx: _Context, node: Node
) -> InputSpec | None:
    """A step input: a binding, a literal, or {type, path, mode}; None when unset (optional)."""
    port_type = (port or {}).get("type")
    if value is None:
        if port is not None and "default" in port:
            return _literal(name, _coerce_literal(port["default"], port_type, w))
        if port is not None and not port.get("optional") and port_type in K.DATA_TYPES:
            w.fail(
                f"the component requires input {name!r} ({port_type}); give it a value here "
                f"(a {{type, path}} mapping or a binding like ${{{{parent.inputs.{name}}}}})"
            )
        return None
    if isinstance(value, str) and "${{" in value:
        b = _binding_or_fail(value, w)
        if b is None:
            if port_type in K.DATA_TYPES:
                w.fail(f"must be a single binding or a path; got {value!r}")
            return _literal(name, value)
        return _bound_input(name, b, port, None, w, ctx)
    if isinstance(value, dict) and isinstance(value.get("path"), str) and "${{" in value["path"]:
        K.check_keys(value, K.DATA_INPUT_KEYS, w, f"input {name!r}")
        b = _binding_or_fail(value["path"], w / "path")
        if b is None:
            (w / "path").fail(f"must be a single binding or a path; got {value['path']!r}")
        mode = _mode(value.get("mode"), w / "mode")
        return _bound_input(name, b, port, mode, w / "path", ctx, value.get("type"))
    if isinstance(value, str) and port_type in K.DATA_TYPES:
        value = {"type": port_type, "path": value}
    if isinstance(value, dict):
        if port_type in K.DATA_TYPES and "type" not in value and "path" in value:
            value = {**value, "type": port_type}
        spec = _pipeline_input(name, value, w, ctx)
        if spec is None and port is not None and "default" in port:
            return _literal(name, port["default"])
        return spec
    if port_type in K.DATA_TYPES:
        w.fail(f"input {name!r} is {port_type}: give {{type, path}} or a binding, not {value!r}")
    return _literal(name, _coerce_literal(value, port_type, w))


def _bound_input(
    name: str,
    b: Binding,
    port: dict[str, Any] | None,
    mode: str | None,
    w: Where,
    ctx: _Context,
    declared_type: Any = None,
) -> InputSpec | None:
    port_mode = (port or {}).get("mode")
    if b.scope == "global":
        return _literal(name, _global_value(b, ctx))
    if b.scope == "self":
        w.fail(
            f"{b} refers to the step itself; bind step inputs with ${{{{parent.inputs.<name>}}}}"
        )
    if b.scope == "parent":
        if b.kind != "inputs":
            w.fail(f"{b}: a step input can be bound to a pipeline input or another step's output")
        if b.name not in ctx.inputs:
            valid = ", ".join(sorted(ctx.inputs)) or "none declared"
            w.fail(f"unbound {b}: the pipeline has no input {b.name!r} (pipeline inputs: {valid})")
        spec = ctx.inputs[b.name]
        if spec is None:
            return None
        return InputSpec(
            name=name,
            type=spec.type,
            path=spec.path,
            mode=mode or spec.mode or port_mode,
            value=spec.value,
        )
    # parent.jobs.<step>.outputs.<out>
    assert b.step is not None
    if b.step not in ctx.nodes:
        valid = ", ".join(sorted(ctx.nodes)) or "none"
        w.fail(f"unbound {b}: there is no step {b.step!r} (steps: {valid})")
    if b.kind != "outputs":
        w.fail(f"{b}: bind to another step's outputs, not its inputs")
    outs = ctx.outputs_of[b.step]
    if b.name not in outs:
        valid = ", ".join(sorted(outs)) or "none"
        w.fail(f"unbound {b}: step {b.step!r} has no output {b.name!r} (its outputs: {valid})")
    typ = outs[b.name]
    if declared_type in K.DATA_TYPES:
        typ = _data_type(str(declared_type))
    if typ not in ("mltable", "uri_folder", "uri_file"):
        typ = "uri_folder"
    return InputSpec(name=name, type=typ, mode=mode or port_mode, from_step=(b.step, b.name))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- steps


def _build_step(node: Node, ctx: _Context) -> Step:
    inputs: dict[str, InputSpec] = {}
    unset: set[str] = set()
    names = list(node.in_ports) + [n for n in node.in_values if n not in node.in_ports]
    for name in names:
        w = (
            node.where / "inputs" / name
            if name in node.in_values
            else Where(node.component_file or ctx.file, f"inputs.{name}")
        )
        spec = _step_input(name, node.in_values.get(name), node.in_ports.get(name), w, ctx, node)
        if spec is None:
            unset.add(name)
        else:
            inputs[name] = spec
    outputs: dict[str, OutputSpec] = {}
    for name in list(node.out_ports) + [n for n in node.out_values if n not in node.out_ports]:
        w = node.where / "outputs" / name
        outputs[name] = _step_output(
            name, node.out_values.get(name), node.out_ports.get(name), w, ctx, node
        )
    depends = tuple(dict.fromkeys(s.from_step[0] for s in inputs.values() if s.from_step))
    env_vars = _env_vars(node)
    if node.kind == "command":
        return _command_step(node, ctx, inputs, outputs, unset, depends, env_vars)
    return _parallel_step(node, ctx, inputs, outputs, unset, depends, env_vars)


def _env_vars(node: Node) -> dict[str, str]:
    raw = node.get("environment_variables")
    w = node.at("environment_variables")
    if raw is not None and not isinstance(raw, dict):  # the value is not shown: a secret?
        w.fail(f"must be a mapping of names to string values, got a {type(raw).__name__}")
    env = K.as_mapping(raw, w, "environment_variables")
    for key, value in env.items():
        if not isinstance(value, str):
            (w / key).fail(
                "environment variable values must be strings (quote them in YAML); got a "
                f"{type(value).__name__}"
            )
    return {str(k): v for k, v in env.items()}


def _check_bindings(
    text: str,
    w: Where,
    inputs: dict[str, InputSpec],
    unset: set[str],
    outputs: dict[str, OutputSpec],
) -> None:
    """Every ``${{inputs.x}}`` / ``${{outputs.x}}`` in ``text`` names a declared input/output;
    an unset optional input may only appear inside ``$[[ ]]``."""
    try:
        found = find_bindings(text)
        optional = optional_bindings(text)
    except BindingSyntaxError as exc:
        w.fail(str(exc))
    for b in found:
        if b.scope == "global":
            continue
        if b.scope != "self":
            w.fail(f"{b}: only ${{{{inputs.<name>}}}} and ${{{{outputs.<name>}}}} can be used here")
        if b.kind == "inputs":
            if b in optional and b.name not in inputs:
                continue  # an optional segment whose input is not given: dropped at run time
            if b.name in unset:
                if b not in optional:
                    w.fail(
                        f"{b} is an optional input that is not set; give it a value or put it "
                        "inside an optional segment $[[ ... ]]"
                    )
            elif b.name not in inputs:
                valid = ", ".join(sorted(inputs)) or "none"
                w.fail(f"unbound {b}: the step has no input {b.name!r} (its inputs: {valid})")
        elif b.name not in outputs:
            valid = ", ".join(sorted(outputs)) or "none"
            w.fail(f"unbound {b}: the step has no output {b.name!r} (its outputs: {valid})")


def _command_step(
    node: Node,
    ctx: _Context,
    inputs: dict[str, InputSpec],
    outputs: dict[str, OutputSpec],
    unset: set[str],
    depends: tuple[str, ...],
    env_vars: dict[str, str],
) -> CommandStep:
    command = node.get("command")
    if command is None:
        node.at("command").fail("is required: the command line the step runs")
    command = K.as_str(command, node.at("command"))
    _check_bindings(command, node.at("command"), inputs, unset, outputs)
    code_dir = None
    if node.get("code") is not None:
        code_dir = _code_dir(node, "code")
    if node.get("environment") is None:
        node.at("environment").fail(
            "is required for a command step (Azure rejects one without it), e.g. "
            "environment: {image: python:3.11}; daskprs does not build it and runs the command "
            "in the current environment"
        )
    environment = _environment(node, "environment")
    return CommandStep(
        name=node.name,
        source_file=node.where.file,
        command=command,
        code_dir=code_dir,
        inputs=inputs,
        outputs=outputs,
        environment_variables=env_vars,
        cloud=dict(node.cloud),
        depends_on=depends,
        environment=environment,
    )


def _code_dir(node: Node, key: str) -> str:
    w = node.at(key)
    code = K.as_str(node.get(key), w)
    if is_url(code) or code.startswith("azureml:") or code.startswith("git+"):
        w.fail(f"code must be a local folder (relative to the YAML file); got {code!r}")
    path = resolve_path(code, node.base_dir(key), w)
    if not os.path.isdir(path):
        w.fail(f"code must be a folder; {path} is a file")
    return path


def _environment(node: Node, key: str) -> EnvironmentRef | None:
    """``environment`` is built only with ``--environments build`` (:mod:`daskprs.envs`);
    registry environments are refused and a local ``conda_file`` must exist, as Azure checks."""
    env = node.get(key)
    w = node.at(key)
    if env is None:
        return None
    node.cloud[w.key.split(".", 2)[-1] if w.key.startswith("jobs.") else w.key] = env
    if isinstance(env, str):
        if env.startswith("azureml://registries/"):
            w.fail(
                f"{env!r} is an environment in an Azure ML registry, which daskprs cannot "
                "fetch: daskprs runs the step in the current Python environment. Install the "
                "packages the entry script needs here and remove the reference, or give a local "
                "environment ({image, conda_file: ./environment.yml}) instead"
            )
        return EnvironmentRef(w.file, w.key, reference=env)
    spec = K.as_mapping(env, w, "environment")
    conda = spec.get("conda_file")
    conda_path = None
    if isinstance(conda, str) and not is_url(conda) and not conda.startswith("azureml:"):
        conda_path = resolve_path(conda, node.base_dir(key), w / "conda_file")
    image = spec.get("image")
    return EnvironmentRef(
        w.file,
        w.key,
        conda_file=conda_path,
        conda=conda if isinstance(conda, dict) else _conda_content(conda_path),
        image=image if isinstance(image, str) else None,
    )


def _conda_content(path: str | None) -> dict[str, Any] | None:
    """The conda file's mapping; None when it cannot be read (daskprs.envs reports why, when
    it needs the file)."""
    if path is None:
        return None
    try:
        doc = safe_yaml.load_file(path)
    except (OSError, ValueError, yaml.YAMLError):  # ValueError: YamlRefused, undecodable
        return None
    return doc if isinstance(doc, dict) else None


def _setting_value(node: Node, key: str, ctx: _Context) -> Any:
    """A node setting, with a whole-value ``${{parent.inputs.x}}`` binding replaced by the
    pipeline input's literal value."""
    value = node.get(key)
    if isinstance(value, str) and "${{" in value:
        w = node.at(key)
        b = _binding_or_fail(value, w)
        if b is None or b.scope != "parent" or b.kind != "inputs":
            w.fail(
                f"can only be bound to a pipeline input (${{{{parent.inputs.<name>}}}}); got {value!r}"
            )
        spec = ctx.inputs.get(b.name)
        if b.name not in ctx.inputs:
            valid = ", ".join(sorted(ctx.inputs)) or "none declared"
            w.fail(f"unbound {b}: the pipeline has no input {b.name!r} (pipeline inputs: {valid})")
        if spec is None or spec.type != "literal":
            w.fail(f"{b} must be a literal pipeline input (a number or a string) to set {key}")
        return spec.value
    return value


def _int_setting(node: Node, key: str, ctx: _Context, default: int, minimum: int, what: str) -> int:
    value = _setting_value(node, key, ctx)
    if value is None:
        return default
    w = node.at(key)
    number = K.as_int(value, w)
    if number < minimum:
        w.fail(f"must be {what}; got {number}")
    return number


def _parallel_step(
    node: Node,
    ctx: _Context,
    inputs: dict[str, InputSpec],
    outputs: dict[str, OutputSpec],
    unset: set[str],
    depends: tuple[str, ...],
    env_vars: dict[str, str],
) -> ParallelStep:
    # --- task
    task = node.get("task")
    if task is None:
        node.at("task").fail("is required: {type: run_function, code, entry_script, environment}")
    K.as_mapping(task, node.at("task"), "task")
    for key in task:
        if key not in K.TASK_KEYS:  # Azure INCLUDEs unknown task keys: accepted and recorded
            node.cloud[f"task.{key}"] = task[key]
    task_type = task.get("type")
    if task_type is None:
        node.at("task.type").fail(f"is required: one of {', '.join(K.TASK_TYPES)}")
    K.as_choice(task_type, K.TASK_TYPES, node.at("task.type"))
    if task_type != "run_function":
        node.at("task.type").fail(
            f"task type {task_type!r} is not supported by daskprs: use run_function with an entry script"
        )
    if task.get("environment") is None:
        node.at("task.environment").fail(
            "is required (Azure rejects a parallel task without one); daskprs does not build it "
            "and runs the task in the current Python environment"
        )
    environment = _environment(node, "task.environment")
    code_dir = (
        _code_dir(node, "task.code") if task.get("code") is not None else node.base_dir("task")
    )
    entry = task.get("entry_script")
    if entry is None:
        unknown = [k for k in task if k not in K.TASK_KEYS]
        hint = f" (unknown task keys: {', '.join(unknown)})" if unknown else ""
        node.at("task.entry_script").fail(
            f"is required: the Python file under task.code that defines run(){hint}"
        )
    entry = K.as_str(entry, node.at("task.entry_script"))
    check_entry_script(code_dir, entry, node.at("task.entry_script"))
    if task.get("model") is not None:
        node.cloud["task.model"] = task["model"]

    # --- input_data
    raw_input_data = node.get("input_data")
    w_in = node.at("input_data")
    if raw_input_data is None:
        w_in.fail(
            "is required: the input the job splits into mini batches, e.g. ${{inputs.input_data}}"
        )
    raw_input_data = K.as_str(raw_input_data, w_in)
    b = _binding_or_fail(raw_input_data, w_in)
    if b is None:
        w_in.fail(
            f"must be a binding to one of the step's inputs, e.g. ${{{{inputs.input_data}}}}; got {raw_input_data!r}"
        )
    if b.scope == "self":
        if b.kind != "inputs":
            w_in.fail(f"must be bound to an input, not {b}")
        if b.name in unset:
            w_in.fail(f"{b} is an optional input that is not set; give it a path")
        if b.name not in inputs:
            valid = ", ".join(sorted(inputs)) or "none"
            w_in.fail(f"unbound {b}: the step has no input {b.name!r} (its inputs: {valid})")
        input_data = inputs[b.name]
    else:
        spec = _bound_input("input_data", b, None, None, w_in, ctx)
        if spec is None:
            w_in.fail(f"{b} is an optional pipeline input that is not set")
        input_data = spec
        inputs.setdefault("input_data", spec)
        if spec.from_step and spec.from_step[0] not in depends:
            depends = (*depends, spec.from_step[0])
    if input_data.type == "literal":
        w_in.fail(
            f"{b} is a literal value; input_data must be an mltable, uri_folder or uri_file input"
        )

    tabular = _is_tabular(input_data, w_in)

    # --- mini_batch_size / partition_keys
    partition_keys = None
    pk = node.get("partition_keys")
    if pk is not None:
        w = node.at("partition_keys")
        if not isinstance(pk, list) or not pk:
            w.fail(f"must be a non-empty list of column names, e.g. [Store, Brand]; got {pk!r}")
        partition_keys = tuple(K.as_str(k, w / i) for i, k in enumerate(pk))
        if not tabular and input_data.type != "mltable":
            w.fail("partition_keys need a tabular mltable input_data, not a uri_folder/uri_file")
    mini_batch_size = None
    mbs = node.get("mini_batch_size")
    if mbs is not None:
        w = node.at("mini_batch_size")
        if isinstance(mbs, str) and "${{" in mbs:
            mbs = _setting_value(node, "mini_batch_size", ctx)
            if isinstance(mbs, int) and not isinstance(mbs, bool):
                mbs = str(mbs)
        if not isinstance(mbs, str):
            w.fail(
                f'must be a string (quote it in YAML: mini_batch_size: "{mbs}"), as Azure\'s '
                f'schema requires: a number of files, or a size like "10kb", "1mb"; got {mbs!r}'
            )
        if mbs == "0":
            # what azure-ai-ml writes for "not set" (ParallelComponent stores 0): the default
            mbs = None
        else:
            try:
                mini_batch_size = parse_mini_batch_size(mbs)
            except ValueError as exc:
                w.fail(str(exc))
            if mini_batch_size < 1:
                w.fail(f"must be at least 1; got {mbs!r}")
        if mbs is not None and tabular is False and has_size_suffix(mbs):
            w.fail(
                f"{mbs!r} is a size, but the input is a list of files ({input_data.type}"
                f"{' without a reader' if input_data.type == 'mltable' else ''}): give a number "
                'of files per mini batch, e.g. "10"'
            )

    # --- numeric settings
    instance_count = 1
    resources = node.get("resources")
    if resources is not None:
        rw = node.at("resources")
        K.as_mapping(resources, rw, "resources")
        K.check_keys(resources, K.RESOURCES_KEYS, rw, "resources")
        for key in resources:
            if key != "instance_count":
                node.cloud[f"resources.{key}"] = resources[key]
        instance_count = _int_setting(node, "resources.instance_count", ctx, 1, 1, "at least 1")
    mcpi = _int_setting(node, "max_concurrency_per_instance", ctx, 1, 1, "at least 1")
    mbet = _int_setting(node, "mini_batch_error_threshold", ctx, -1, -1, "-1 (no limit) or more")
    et = _int_setting(node, "error_threshold", ctx, -1, -1, "-1 (no limit) or more")
    level = _setting_value(node, "logging_level", ctx)
    logging_level = (
        "INFO" if level is None else K.as_choice(level, K.LOGGING_LEVELS, node.at("logging_level"))
    )

    retry = RetrySettings()
    rs = node.get("retry_settings")
    if rs is not None:
        K.as_mapping(rs, node.at("retry_settings"), "retry_settings")
        for key in rs:
            if key not in K.RETRY_KEYS:  # INCLUDEd by Azure: accepted and recorded
                node.cloud[f"retry_settings.{key}"] = rs[key]
        retry = RetrySettings(
            max_retries=_int_setting(node, "retry_settings.max_retries", ctx, 2, 0, "0 or more"),
            timeout=_int_setting(
                node, "retry_settings.timeout", ctx, 60, 1, "a positive number of seconds"
            ),
        )

    # --- program arguments, append_row_to
    tokens: tuple[str, ...] = ()
    pa = task.get("program_arguments")
    w_pa = node.at("task.program_arguments")
    if pa is not None:
        pa = K.as_str(pa, w_pa)
        _check_bindings(pa, w_pa, inputs, unset, outputs)
        text = resolve_optional(pa, lambda bb: bb.kind != "inputs" or bb.name in inputs)
        raw_tokens = split_arguments(text, w_pa)
        tokens = tuple(
            substitute(t, lambda bb: _token_value(bb, inputs, outputs, ctx)) for t in raw_tokens
        )
    prs = extract_prs(tokens, w_pa)

    append_row_to = None
    art = task.get("append_row_to")
    if art is not None:
        w = node.at("task.append_row_to")
        art = K.as_str(art, w)
        ab = _binding_or_fail(art, w)
        if ab is None or ab.scope != "self" or ab.kind != "outputs":
            w.fail(
                f"must be a binding to one of the step's outputs, e.g. ${{{{outputs.result}}}}; got {art!r}"
            )
        if ab.name not in outputs:
            valid = ", ".join(sorted(outputs)) or "none"
            w.fail(f"unbound {ab}: the step has no output {ab.name!r} (its outputs: {valid})")
        append_row_to = ab.name

    return ParallelStep(
        name=node.name,
        source_file=node.where.file,
        input_data=input_data,
        inputs=inputs,
        outputs=outputs,
        code_dir=code_dir,
        entry_script=entry,
        program_arguments=tokens,
        mini_batch_size=mini_batch_size,
        partition_keys=partition_keys,
        instance_count=instance_count,
        max_concurrency_per_instance=mcpi,
        mini_batch_error_threshold=mbet,
        error_threshold=et,
        logging_level=logging_level,
        retry=retry,
        environment_variables=env_vars,
        append_row_to=append_row_to,
        prs=prs,
        cloud=dict(node.cloud),
        depends_on=depends,
        environment=environment,
    )


def _token_value(
    b: Binding, inputs: dict[str, InputSpec], outputs: dict[str, OutputSpec], ctx: _Context
) -> str | None:
    """What a binding in program_arguments becomes now; None keeps it for the engine to fill
    at run time (outputs under the run directory, inputs produced by other steps)."""
    if b.scope == "global":
        return _global_value(b, ctx)
    if b.kind == "inputs":
        spec = inputs.get(b.name)
        if spec is None or spec.from_step is not None:
            return None
        if spec.type == "literal":
            return str(spec.value)
        return spec.path
    out = outputs.get(b.name)
    return out.path if out is not None else None


def _is_tabular(spec: InputSpec, w: Where) -> bool | None:
    """True for a tabular mltable, False for a file list, None when unknown until run time."""
    if spec.type in ("uri_folder", "uri_file"):
        return False
    if spec.type != "mltable" or spec.path is None or is_url(spec.path):
        return None  # produced by another step, or remote: read when the step runs
    from daskprs.data.mltable_spec import load_mltable

    try:
        table = load_mltable(spec.path)
    except SpecError as exc:
        w.fail(f"input {spec.name!r}: {exc}")
    return bool(table.is_tabular)
