"""Inputs and outputs of a job and of its steps: literals, ``{type, path, mode}`` mappings and
``${{...}}`` bindings to pipeline inputs/outputs or other steps' outputs, resolved to
:class:`~daskprs.spec.model.InputSpec` / :class:`~daskprs.spec.model.OutputSpec`."""

from __future__ import annotations

from typing import Any

from daskprs.spec import keys as K
from daskprs.spec.bindings import Binding, BindingSyntaxError, parse_binding, substitute
from daskprs.spec.components import Node
from daskprs.spec.context import (
    LoadContext,
    binding_or_fail,
    data_type,
    global_value,
    literal_input,
)
from daskprs.spec.files import resolve_path
from daskprs.spec.keys import Where
from daskprs.spec.model import InputSpec, OutputSpec


def pipeline_input(name: str, value: Any, w: Where, ctx: LoadContext) -> InputSpec | None:
    """A pipeline-level (or standalone job) input: a literal, or {type, path, mode}."""
    if isinstance(value, (bool, int, float)):
        return literal_input(name, value)
    if isinstance(value, str):
        b = binding_or_fail(value, w)
        if b is not None:
            if b.scope == "global":
                return literal_input(name, global_value(b, ctx))
            w.fail(f"pipeline inputs cannot be bound to {value}; give a value or {{type, path}}")
        return literal_input(name, value)
    spec = K.as_mapping(value, w, f"input {name!r}")
    K.check_keys(spec, K.DATA_INPUT_KEYS | K.LITERAL_INPUT_KEYS, w, f"input {name!r}")
    typ = spec.get("type")
    if typ in K.LITERAL_TYPES or (typ is None and "path" not in spec):
        literal = spec.get("default", spec.get("value"))
        if literal is None:
            return None  # declared but unset (optional)
        return literal_input(name, coerce_literal(literal, typ, w / "default"))
    if typ is None:
        typ = "uri_folder"
    if typ not in K.DATA_TYPES:
        (w / "type").fail(
            f"must be one of {', '.join(K.DATA_TYPES + K.LITERAL_TYPES)}; got {typ!r}"
        )
    mode = input_mode(spec.get("mode"), w / "mode")
    path = spec.get("path")
    if path is None:
        if spec.get("optional"):
            return None
        (w / "path").fail(
            f"input {name!r} ({typ}) needs a path: a local path relative to this file or an fsspec URL"
        )
    return InputSpec(
        name=name,
        type=data_type(str(typ)),  # type: ignore[arg-type]
        path=resolve_path(path, ctx.base_dir, w / "path"),
        mode=mode,
    )


def coerce_literal(value: Any, typ: Any, w: Where) -> Any:
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


def input_mode(mode: Any, w: Where) -> str | None:
    if mode is None:
        return None
    return K.as_choice(mode, K.INPUT_MODES, w)


def _output_path(path: Any, w: Where, ctx: LoadContext, cloud: dict[str, Any]) -> str | None:
    if path is None:
        return None
    path = K.as_str(path, w)
    try:
        path = substitute(path, lambda b: global_value(b, ctx) if b.scope == "global" else None)
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


def output_decl(
    name: str,
    value: Any,
    port: dict[str, Any] | None,
    w: Where,
    ctx: LoadContext,
    cloud: dict[str, Any],
) -> OutputSpec:
    """A pipeline-level output, or a step output given as a mapping / left empty."""
    port_type = (port or {}).get("type", "uri_folder")
    if value is None:
        typ0 = data_type(port_type) if port_type in K.OUTPUT_TYPES else "uri_folder"
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
        type=data_type(str(typ)),  # type: ignore[arg-type]
        path=_output_path(spec.get("path"), w / "path", ctx, cloud),
        mode=mode,
    )


def declared_output_types(node: Node, ctx: LoadContext) -> dict[str, str]:
    """Output name -> type for a node (so later steps can bind to it)."""
    out: dict[str, str] = {}
    for name, port in node.out_ports.items():
        out[name] = data_type(str(port.get("type", "uri_folder")))
    for name, value in node.out_values.items():
        if isinstance(value, dict) and "type" in value:
            out[name] = data_type(str(value["type"]))
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


def step_output(
    name: str, value: Any, port: dict[str, Any] | None, w: Where, ctx: LoadContext, node: Node
) -> OutputSpec:
    if isinstance(value, str):
        b = binding_or_fail(value, w)
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
            typ = data_type(str(port["type"]))  # type: ignore[assignment]
        return OutputSpec(
            name=name, type=typ, path=parent.path, mode=parent.mode, parent_output=b.name
        )
    return output_decl(name, value, port, w, ctx, node.cloud)


def step_input(
    name: str, value: Any, port: dict[str, Any] | None, w: Where, ctx: LoadContext, node: Node
) -> InputSpec | None:
    """A step input: a binding, a literal, or {type, path, mode}; None when unset (optional)."""
    port_type = (port or {}).get("type")
    if value is None:
        if port is not None and "default" in port:
            return literal_input(name, coerce_literal(port["default"], port_type, w))
        if port is not None and not port.get("optional") and port_type in K.DATA_TYPES:
            w.fail(
                f"the component requires input {name!r} ({port_type}); give it a value here "
                f"(a {{type, path}} mapping or a binding like ${{{{parent.inputs.{name}}}}})"
            )
        return None
    if isinstance(value, str) and "${{" in value:
        b = binding_or_fail(value, w)
        if b is None:
            if port_type in K.DATA_TYPES:
                w.fail(f"must be a single binding or a path; got {value!r}")
            return literal_input(name, value)
        return bound_input(name, b, port, None, w, ctx)
    if isinstance(value, dict) and isinstance(value.get("path"), str) and "${{" in value["path"]:
        K.check_keys(value, K.DATA_INPUT_KEYS, w, f"input {name!r}")
        b = binding_or_fail(value["path"], w / "path")
        if b is None:
            (w / "path").fail(f"must be a single binding or a path; got {value['path']!r}")
        mode = input_mode(value.get("mode"), w / "mode")
        return bound_input(name, b, port, mode, w / "path", ctx, value.get("type"))
    if isinstance(value, str) and port_type in K.DATA_TYPES:
        value = {"type": port_type, "path": value}
    if isinstance(value, dict):
        if port_type in K.DATA_TYPES and "type" not in value and "path" in value:
            value = {**value, "type": port_type}
        spec = pipeline_input(name, value, w, ctx)
        if spec is None and port is not None and "default" in port:
            return literal_input(name, port["default"])
        return spec
    if port_type in K.DATA_TYPES:
        w.fail(f"input {name!r} is {port_type}: give {{type, path}} or a binding, not {value!r}")
    return literal_input(name, coerce_literal(value, port_type, w))


def bound_input(
    name: str,
    b: Binding,
    port: dict[str, Any] | None,
    mode: str | None,
    w: Where,
    ctx: LoadContext,
    declared_type: Any = None,
) -> InputSpec | None:
    port_mode = (port or {}).get("mode")
    if b.scope == "global":
        return literal_input(name, global_value(b, ctx))
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
        typ = data_type(str(declared_type))
    if typ not in ("mltable", "uri_folder", "uri_file"):
        typ = "uri_folder"
    return InputSpec(name=name, type=typ, mode=mode or port_mode, from_step=(b.step, b.name))  # type: ignore[arg-type]
