"""Which YAML keys each kind of object accepts, and how scalar values are coerced.

The key sets follow the azure-ai-ml 1.35 marshmallow schemas (``PipelineJobSchema``,
``PipelineParallelJobSchema`` / ``ParallelSchema``, ``CommandSchema`` /
``PipelineCommandJobSchema``, ``ParallelComponentSchema``, ``CommandComponentSchema``,
``JobResourceConfigurationSchema``, the input/output entry schemas). Where those schemas
``INCLUDE`` unknown keys (``task``, ``retry_settings``, ``settings``) unknown keys are accepted
and recorded, as Azure accepts them. Coercion mirrors marshmallow's ``Integer`` / ``Boolean`` /
``String`` fields, so what Azure accepts is accepted here, with the same values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NoReturn

from daskprs.errors import PipelineSpecError

# Keys that only matter in the cloud: accepted, recorded in ``.cloud``, never acted on.
CLOUD_KEYS = frozenset(
    {
        "$schema",
        "compute",
        "environment",
        "identity",
        "docker_args",
        "shm_size",
        "instance_type",
        "tags",
        "display_name",
        "description",
        "experiment_name",
        "properties",
        "comment",
        "services",
        "limits",
        "distribution",
        "queue_settings",
        "version",
        "is_deterministic",
        "auto_delete_setting",
        "additional_includes",
        "locations",
        "max_instance_count",
        "id",
        # read-only job fields the SDK's node schemas load and drop
        "status",
        "creation_context",
        "log_files",
        "parameters",
        "parent_job_name",
    }
)

# What a node says about itself (issue 16): recorded in the step model, job.json and the report.
# Every node key azure-ai-ml 1.35 accepts, as measured with ``load_job`` on each kind of node
# (inline parallel: PipelineParallelJobSchema + ParallelJob's arguments; inline command:
# PipelineCommandJobSchema; a node with a ``component:`` INCLUDEs any key).
NODE_METADATA_KEYS = (
    "display_name",
    "description",
    "tags",
    "properties",
    "experiment_name",
    "comment",
    "compute",
    "identity",
    "services",
    "limits",
    "queue_settings",
    "distribution",
)

PIPELINE_KEYS = frozenset(
    {"type", "name", "settings", "inputs", "outputs", "jobs", "component"}
    | {
        "$schema",
        "compute",
        "description",
        "display_name",
        "experiment_name",
        "identity",
        "properties",
        "services",
        "tags",
    }
)

# an inline parallel step: PipelineParallelJobSchema (INCLUDE) read into ParallelJob(**keys),
# which takes the job keys (name, display_name, description, tags, experiment_name, services and
# the read-only id, status, creation_context, log_files, parameters) and rejects `comment`,
# `environment` (it belongs in `task`) and any other key. A step that uses a component accepts
# any key (ParallelSchema INCLUDEs unknown keys).
PARALLEL_NODE_KEYS = frozenset(
    {
        "$schema",
        "type",
        "component",
        "name",
        "display_name",
        "description",
        "tags",
        "experiment_name",
        "services",
        "id",
        "status",
        "creation_context",
        "log_files",
        "parameters",
        "compute",
        "environment_variables",
        "error_threshold",
        "identity",
        "input_data",
        "inputs",
        "logging_level",
        "max_concurrency_per_instance",
        "mini_batch_error_threshold",
        "mini_batch_size",
        "outputs",
        "partition_keys",
        "properties",
        "resources",
        "retry_settings",
        "task",
    }
)

# ComponentSchema: what every component file may carry
_COMPONENT_KEYS = frozenset(
    {
        "$schema",
        "type",
        "name",
        "version",
        "display_name",
        "description",
        "tags",
        "is_deterministic",
        "auto_delete_setting",
        "id",
    }
)

# ParallelComponentSchema, plus the node keys a standalone parallel job file may carry
PARALLEL_COMPONENT_KEYS = _COMPONENT_KEYS | frozenset(
    {
        "error_threshold",
        "input_data",
        "inputs",
        "logging_level",
        "max_concurrency_per_instance",
        "mini_batch_error_threshold",
        "mini_batch_size",
        "outputs",
        "partition_keys",
        "resources",
        "retry_settings",
        "task",
    }
)
PARALLEL_STANDALONE_KEYS = PARALLEL_COMPONENT_KEYS | PARALLEL_NODE_KEYS | {"experiment_name"}

# PipelineCommandJobSchema (an inline node: it rejects `comment`, which a node with a component
# takes, as any key: CommandSchema INCLUDEs unknown keys), with the read-only job fields it loads
COMMAND_NODE_KEYS = frozenset(
    {
        "$schema",
        "type",
        "code",
        "command",
        "component",
        "id",
        "status",
        "creation_context",
        "log_files",
        "parameters",
        "compute",
        "description",
        "display_name",
        "distribution",
        "environment",
        "environment_variables",
        "experiment_name",
        "identity",
        "inputs",
        "limits",
        "name",
        "outputs",
        "parent_job_name",
        "properties",
        "queue_settings",
        "resources",
        "services",
        "tags",
    }
)

COMMAND_COMPONENT_KEYS = _COMPONENT_KEYS | frozenset(
    {
        "additional_includes",
        "code",
        "command",
        "distribution",
        "environment",
        "inputs",
        "outputs",
        "properties",
        "queue_settings",
        "resources",
    }
)

TASK_KEYS = frozenset(
    {"type", "code", "entry_script", "program_arguments", "model", "append_row_to", "environment"}
)
TASK_TYPES = ("run_function", "model", "function")
RETRY_KEYS = frozenset({"timeout", "max_retries"})
RESOURCES_KEYS = frozenset(
    {
        "instance_count",
        "instance_type",
        "properties",
        "locations",
        "shm_size",
        "max_instance_count",
        "docker_args",
    }
)
SETTINGS_KEYS = frozenset(
    {"default_datastore", "default_compute", "continue_on_step_failure", "force_rerun"}
)

DATA_INPUT_KEYS = frozenset(
    {"type", "path", "mode", "description", "optional", "default", "datastore", "path_on_compute"}
)
LITERAL_INPUT_KEYS = frozenset(
    {"type", "default", "description", "optional", "enum", "min", "max", "value"}
)
OUTPUT_KEYS = frozenset(
    {
        "type",
        "path",
        "mode",
        "name",
        "version",
        "description",
        "is_control",
        "early_available",
        "path_on_compute",
    }
)

DATA_TYPES = ("uri_file", "uri_folder", "mltable", "custom_model", "mlflow_model", "triton_model")
LITERAL_TYPES = ("string", "integer", "number", "boolean")
OUTPUT_TYPES = ("uri_file", "uri_folder", "mltable", "custom_model", "mlflow_model", "triton_model")
INPUT_MODES = (
    "ro_mount",
    "rw_mount",
    "download",
    "direct",
    "eval_mount",
    "eval_download",
    "upload",
)
LOGGING_LEVELS = ("DEBUG", "INFO", "WARNING")
UNSUPPORTED_STEP_TYPES = {
    "sweep": "hyperparameter sweeps need Azure's sweep service; run the trial component as a "
    "command or parallel step with fixed inputs instead",
    "automl": "AutoML runs only in Azure; train with a command or parallel step instead",
    "spark": "Spark steps run only in Azure; use a command step or a parallel step instead",
    "pipeline": "nested pipeline components are not supported yet; inline their jobs instead",
    "data_transfer": "data transfer steps run only in Azure; copy the data locally and point "
    "the input at it instead",
    "import": "import steps run only in Azure; export the data to a local path or URL instead",
    "flow_parallel": "prompt-flow steps run only in Azure",
}


def short(value: object, limit: int = 200) -> str:
    """``repr(value)``, cut to about ``limit`` characters (never built whole for big values)."""
    import reprlib

    r = reprlib.Repr()
    r.maxstring = r.maxother = limit
    r.maxlist = r.maxtuple = r.maxdict = r.maxset = 20
    r.maxlevel = 4
    text = r.repr(value)
    return text if len(text) <= limit else f"{text[: limit - 30]}...[{len(text) - limit + 30} more]"


class Where:
    """The file and dotted key path of the value being read: how every error names its place."""

    __slots__ = ("file", "key")

    def __init__(self, file: str, key: str = "") -> None:
        self.file = file
        self.key = key

    def __truediv__(self, part: str | int) -> Where:
        part = str(part)
        return Where(self.file, f"{self.key}.{part}" if self.key else part)

    def fail(self, message: str) -> NoReturn:
        raise PipelineSpecError(message, file=self.file, key=self.key or None)


def check_keys(
    value: Mapping[str, Any],
    allowed: frozenset[str],
    where: Where,
    what: str,
) -> None:
    """Reject keys outside ``allowed``, naming the closest valid ones."""
    for key in value:
        if not isinstance(key, str):
            (where / str(key)).fail(f"keys of {what} must be strings, got {short(key)}")
        if key not in allowed:
            import difflib

            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            (where / key).fail(
                f"unknown key {short(key)} for {what}{hint} Valid keys: {', '.join(sorted(allowed))}"
            )


def cloud_part(value: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """The cloud-only keys of ``value``, keyed by dotted path, to record in ``.cloud``."""
    return {f"{prefix}{k}": v for k, v in value.items() if k in CLOUD_KEYS}


def as_mapping(value: Any, where: Where, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        where.fail(f"{what} must be a mapping, got {type(value).__name__} {short(value)}")
    return dict(value)


def as_int(value: Any, where: Where) -> int:
    """An integer as marshmallow's ``fields.Integer`` reads one: ints, integral strings and
    floats (truncated); booleans and other text are rejected."""
    if isinstance(value, bool):
        where.fail(f"must be an integer, got {short(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    where.fail(f"must be an integer, got {short(value)}")


_TRUTHY = {"t", "true", "on", "y", "yes", "1"}
_FALSY = {"f", "false", "off", "n", "no", "0"}


def as_bool(value: Any, where: Where) -> bool:
    """A boolean as marshmallow's ``fields.Boolean`` reads one (true/yes/on/1, false/no/off/0)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        low = value.strip().lower()
        if low in _TRUTHY:
            return True
        if low in _FALSY:
            return False
    where.fail(f"must be a boolean (true or false), got {short(value)}")


def as_str(value: Any, where: Where) -> str:
    """A string as marshmallow's ``fields.Str`` reads one: only YAML strings."""
    if not isinstance(value, str):
        where.fail(f"must be a string, got {type(value).__name__} {short(value)}")
    return value


def as_choice(value: Any, choices: tuple[str, ...], where: Where) -> str:
    if not isinstance(value, str) or value not in choices:
        where.fail(f"must be one of {', '.join(choices)}; got {short(value)}")
    return value


_STR_KEYS = ("display_name", "description", "experiment_name", "compute", "comment", "name")
_STR_MAP_KEYS = ("tags", "properties")


def check_cloud_types(value: Mapping[str, Any], where: Where) -> None:
    """Cloud-only keys are not acted on, but Azure's schema types them: check the same types."""
    for key in _STR_KEYS:
        if key in value and value[key] is not None and not isinstance(value[key], str):
            (where / key).fail(
                f"must be a string, got {type(value[key]).__name__} {short(value[key])}"
            )
    for key in _STR_MAP_KEYS:
        if key not in value or value[key] is None:
            continue
        mapping = as_mapping(value[key], where / key, key)
        for k, v in mapping.items():
            if v is not None and not isinstance(v, str):
                (where / key / str(k)).fail(
                    f"{key} values must be strings (quote them in YAML), got {short(v)}"
                )
