"""A ``type: parallel`` step, one function per YAML section: ``task``, ``input_data``,
``mini_batch_size`` / ``partition_keys``, ``resources`` and the numeric settings,
``retry_settings``, ``task.program_arguments`` and ``task.append_row_to``.

Defaults come from :mod:`daskprs.spec.model` (the one place they are written).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from daskprs.data.sizes import has_size_suffix, parse_mini_batch_size
from daskprs.errors import SpecError
from daskprs.spec import keys as K
from daskprs.spec.arguments import extract_prs, split_arguments
from daskprs.spec.bindings import Binding, resolve_optional, substitute
from daskprs.spec.components import Node
from daskprs.spec.context import LoadContext, StepIO, binding_or_fail, global_value
from daskprs.spec.files import check_entry_script
from daskprs.spec.keys import Where
from daskprs.spec.model import (
    DEFAULT_ERROR_THRESHOLD,
    DEFAULT_INSTANCE_COUNT,
    DEFAULT_LOGGING_LEVEL,
    DEFAULT_MAX_CONCURRENCY_PER_INSTANCE,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MINI_BATCH_ERROR_THRESHOLD,
    DEFAULT_RUN_TIMEOUT,
    EnvironmentRef,
    InputSpec,
    OutputSpec,
    ParallelStep,
    PrsArguments,
    RetrySettings,
)
from daskprs.spec.ports import bound_input
from daskprs.spec.step_common import (
    check_bindings,
    code_dir_of,
    environment_of,
    int_setting,
    setting_value,
)
from daskprs.urls import is_remote


@dataclass(frozen=True)
class Task:
    code_dir: str
    entry_script: str
    environment: EnvironmentRef | None
    raw: dict[str, Any]


@dataclass(frozen=True)
class Limits:
    """``resources.instance_count`` and the node-level numeric settings."""

    instance_count: int
    max_concurrency_per_instance: int
    mini_batch_error_threshold: int
    error_threshold: int
    logging_level: str


def parallel_step(
    node: Node, ctx: LoadContext, io: StepIO, env_vars: dict[str, str]
) -> ParallelStep:
    task = _task(node)
    input_data, inputs, depends = _input_data(node, ctx, io)
    tabular = _is_tabular(input_data, node.at("input_data"))
    partition_keys = _partition_keys(node, input_data, tabular)
    mini_batch_size = _mini_batch_size(node, ctx, input_data, tabular)
    limits = _limits(node, ctx)
    retry = _retry_settings(node, ctx)
    tokens, prs = _program_arguments(node, ctx, task.raw, inputs, io)
    return ParallelStep(
        name=node.name,
        source_file=node.where.file,
        input_data=input_data,
        inputs=inputs,
        outputs=io.outputs,
        code_dir=task.code_dir,
        entry_script=task.entry_script,
        program_arguments=tokens,
        mini_batch_size=mini_batch_size,
        partition_keys=partition_keys,
        instance_count=limits.instance_count,
        max_concurrency_per_instance=limits.max_concurrency_per_instance,
        mini_batch_error_threshold=limits.mini_batch_error_threshold,
        error_threshold=limits.error_threshold,
        logging_level=limits.logging_level,
        retry=retry,
        environment_variables=env_vars,
        append_row_to=_append_row_to(node, task.raw, io.outputs),
        prs=prs,
        cloud=dict(node.cloud),
        written=node.written(),
        depends_on=depends,
        environment=task.environment,
    )


def _task(node: Node) -> Task:
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
    environment = environment_of(node, "task.environment")
    code_dir = (
        code_dir_of(node, "task.code") if task.get("code") is not None else node.base_dir("task")
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
    return Task(code_dir, entry, environment, task)


def _input_data(
    node: Node, ctx: LoadContext, io: StepIO
) -> tuple[InputSpec, dict[str, InputSpec], tuple[str, ...]]:
    """The input split into mini batches, with the step's inputs and dependencies (a binding
    straight to a pipeline input or another step's output adds an ``input_data`` input)."""
    inputs, depends = io.inputs, io.depends
    raw = node.get("input_data")
    w = node.at("input_data")
    if raw is None:
        w.fail(
            "is required: the input the job splits into mini batches, e.g. ${{inputs.input_data}}"
        )
    raw = K.as_str(raw, w)
    b = binding_or_fail(raw, w)
    if b is None:
        w.fail(
            f"must be a binding to one of the step's inputs, e.g. ${{{{inputs.input_data}}}}; got {raw!r}"
        )
    if b.scope == "self":
        if b.kind != "inputs":
            w.fail(f"must be bound to an input, not {b}")
        if b.name in io.unset:
            w.fail(f"{b} is an optional input that is not set; give it a path")
        if b.name not in inputs:
            valid = ", ".join(sorted(inputs)) or "none"
            w.fail(f"unbound {b}: the step has no input {b.name!r} (its inputs: {valid})")
        input_data = inputs[b.name]
    else:
        spec = bound_input("input_data", b, None, None, w, ctx)
        if spec is None:
            w.fail(f"{b} is an optional pipeline input that is not set")
        input_data = spec
        inputs.setdefault("input_data", spec)
        if spec.from_step and spec.from_step[0] not in depends:
            depends = (*depends, spec.from_step[0])
    if input_data.type == "literal":
        w.fail(
            f"{b} is a literal value; input_data must be an mltable, uri_folder or uri_file input"
        )
    return input_data, inputs, depends


def _partition_keys(
    node: Node, input_data: InputSpec, tabular: bool | None
) -> tuple[str, ...] | None:
    pk = node.get("partition_keys")
    if pk is None:
        return None
    w = node.at("partition_keys")
    if not isinstance(pk, list) or not pk:
        w.fail(f"must be a non-empty list of column names, e.g. [Store, Brand]; got {pk!r}")
    keys = tuple(K.as_str(k, w / i) for i, k in enumerate(pk))
    if not tabular and input_data.type != "mltable":
        w.fail("partition_keys need a tabular mltable input_data, not a uri_folder/uri_file")
    return keys


def _mini_batch_size(
    node: Node, ctx: LoadContext, input_data: InputSpec, tabular: bool | None
) -> int | None:
    """A number of files or a size (``"10kb"``); None: the default for the input kind."""
    mbs = node.get("mini_batch_size")
    if mbs is None:
        return None
    w = node.at("mini_batch_size")
    if isinstance(mbs, str) and "${{" in mbs:
        mbs = setting_value(node, "mini_batch_size", ctx)
        if isinstance(mbs, int) and not isinstance(mbs, bool):
            mbs = str(mbs)
    if not isinstance(mbs, str):
        w.fail(
            f'must be a string (quote it in YAML: mini_batch_size: "{mbs}"), as Azure\'s '
            f'schema requires: a number of files, or a size like "10kb", "1mb"; got {mbs!r}'
        )
    if mbs == "0":
        # what azure-ai-ml writes for "not set" (ParallelComponent stores 0): the default
        return None
    try:
        size = parse_mini_batch_size(mbs)
    except ValueError as exc:
        w.fail(str(exc))
    if size < 1:
        w.fail(f"must be at least 1; got {mbs!r}")
    if tabular is False and has_size_suffix(mbs):
        w.fail(
            f"{mbs!r} is a size, but the input is a list of files ({input_data.type}"
            f"{' without a reader' if input_data.type == 'mltable' else ''}): give a number "
            'of files per mini batch, e.g. "10"'
        )
    return size


def _limits(node: Node, ctx: LoadContext) -> Limits:
    instance_count = DEFAULT_INSTANCE_COUNT
    resources = node.get("resources")
    if resources is not None:
        rw = node.at("resources")
        K.as_mapping(resources, rw, "resources")
        K.check_keys(resources, K.RESOURCES_KEYS, rw, "resources")
        for key in resources:
            if key != "instance_count":
                node.cloud[f"resources.{key}"] = resources[key]
        instance_count = int_setting(
            node, "resources.instance_count", ctx, DEFAULT_INSTANCE_COUNT, 1, "at least 1"
        )
    no_limit = "-1 (no limit) or more"
    mcpi = int_setting(
        node,
        "max_concurrency_per_instance",
        ctx,
        DEFAULT_MAX_CONCURRENCY_PER_INSTANCE,
        1,
        "at least 1",
    )
    mbet = int_setting(
        node, "mini_batch_error_threshold", ctx, DEFAULT_MINI_BATCH_ERROR_THRESHOLD, -1, no_limit
    )
    et = int_setting(node, "error_threshold", ctx, DEFAULT_ERROR_THRESHOLD, -1, no_limit)
    level = setting_value(node, "logging_level", ctx)
    if level is not None:
        level = K.as_choice(level, K.LOGGING_LEVELS, node.at("logging_level"))
    return Limits(instance_count, mcpi, mbet, et, level or DEFAULT_LOGGING_LEVEL)


def _retry_settings(node: Node, ctx: LoadContext) -> RetrySettings:
    rs = node.get("retry_settings")
    if rs is None:
        return RetrySettings()
    K.as_mapping(rs, node.at("retry_settings"), "retry_settings")
    for key in rs:
        if key not in K.RETRY_KEYS:  # INCLUDEd by Azure: accepted and recorded
            node.cloud[f"retry_settings.{key}"] = rs[key]
    return RetrySettings(
        max_retries=int_setting(
            node, "retry_settings.max_retries", ctx, DEFAULT_MAX_RETRIES, 0, "0 or more"
        ),
        timeout=int_setting(
            node,
            "retry_settings.timeout",
            ctx,
            DEFAULT_RUN_TIMEOUT,
            1,
            "a positive number of seconds",
        ),
    )


def _program_arguments(
    node: Node, ctx: LoadContext, task: dict[str, Any], inputs: dict[str, InputSpec], io: StepIO
) -> tuple[tuple[str, ...], PrsArguments]:
    """The user's tokens (bindings substituted where known now) and the runtime's own."""
    tokens: tuple[str, ...] = ()
    pa = task.get("program_arguments")
    w = node.at("task.program_arguments")
    if pa is not None:
        pa = K.as_str(pa, w)
        check_bindings(pa, w, inputs, io.unset, io.outputs)
        text = resolve_optional(pa, lambda bb: bb.kind != "inputs" or bb.name in inputs)
        raw_tokens = split_arguments(text, w)
        tokens = tuple(
            substitute(t, lambda bb: _token_value(bb, inputs, io.outputs, ctx)) for t in raw_tokens
        )
    return tokens, extract_prs(tokens, w)


def _append_row_to(node: Node, task: dict[str, Any], outputs: dict[str, OutputSpec]) -> str | None:
    art = task.get("append_row_to")
    if art is None:
        return None
    w = node.at("task.append_row_to")
    art = K.as_str(art, w)
    ab = binding_or_fail(art, w)
    if ab is None or ab.scope != "self" or ab.kind != "outputs":
        w.fail(
            f"must be a binding to one of the step's outputs, e.g. ${{{{outputs.result}}}}; got {art!r}"
        )
    if ab.name not in outputs:
        valid = ", ".join(sorted(outputs)) or "none"
        w.fail(f"unbound {ab}: the step has no output {ab.name!r} (its outputs: {valid})")
    return ab.name


def _token_value(
    b: Binding, inputs: dict[str, InputSpec], outputs: dict[str, OutputSpec], ctx: LoadContext
) -> str | None:
    """What a binding in program_arguments becomes now; None keeps it for the engine to fill
    at run time (outputs under the run directory, inputs produced by other steps)."""
    if b.scope == "global":
        return global_value(b, ctx)
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
    if spec.type != "mltable" or spec.path is None or is_remote(spec.path):
        return None  # produced by another step, or remote: read when the step runs
    from daskprs.data.mltable_spec import load_mltable

    try:
        table = load_mltable(spec.path)
    except SpecError as exc:
        w.fail(f"input {spec.name!r}: {exc}")
    return bool(table.is_tabular)
