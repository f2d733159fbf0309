"""Resolved, validated job settings: what the parser hands to the engine.

Everything here is a frozen dataclass built by :mod:`daskprs.spec.load` after validation, so
the engine never re-checks user input. Paths are absolute local paths or fsspec URLs.
Defaults are Azure's (docs/yaml-reference.md lists them; docs/differences.md the decisions) and
live here only: the dataclasses, the parser and the report's settings view read them below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

DEFAULT_TABULAR_MINI_BATCH_SIZE = 1024 * 1024  # 1 MiB of source text
DEFAULT_FILE_MINI_BATCH_SIZE = 10  # files
DEFAULT_INSTANCE_COUNT = 1
DEFAULT_MAX_CONCURRENCY_PER_INSTANCE = 1
DEFAULT_MINI_BATCH_ERROR_THRESHOLD = -1  # failed mini batches; -1: no limit
DEFAULT_ERROR_THRESHOLD = -1  # failed items; -1: no limit
DEFAULT_LOGGING_LEVEL = "INFO"
DEFAULT_MAX_RETRIES = 2  # retries after the first attempt: attempts = max_retries + 1
DEFAULT_RUN_TIMEOUT = 60  # seconds one run() call may take

# dotted key of a parallel step -> its default, as the report shows it when the key is unset
PARALLEL_DEFAULTS: dict[str, str] = {
    "mini_batch_size": "1mb (tabular) / 10 files",
    "resources.instance_count": str(DEFAULT_INSTANCE_COUNT),
    "max_concurrency_per_instance": str(DEFAULT_MAX_CONCURRENCY_PER_INSTANCE),
    "mini_batch_error_threshold": str(DEFAULT_MINI_BATCH_ERROR_THRESHOLD),
    "error_threshold": str(DEFAULT_ERROR_THRESHOLD),
    "retry_settings.max_retries": str(DEFAULT_MAX_RETRIES),
    "retry_settings.timeout": str(DEFAULT_RUN_TIMEOUT),
    "logging_level": DEFAULT_LOGGING_LEVEL,
    "task.append_row_to": "(none: summary only)",
}

InputType = Literal["mltable", "uri_folder", "uri_file", "literal"]
OutputType = Literal["uri_file", "uri_folder", "mltable"]


@dataclass(frozen=True)
class InputSpec:
    """One input of a step, its binding already resolved."""

    name: str
    type: InputType
    path: str | None = None  # absolute local path or fsspec URL; None for literals
    mode: str | None = None
    value: Any = None  # literal inputs (strings, numbers, booleans)
    # bound to another step's output (``${{parent.jobs.<step>.outputs.<out>}}``): the engine
    # fills ``path`` from that output when the step runs
    from_step: tuple[str, str] | None = None


@dataclass(frozen=True)
class OutputSpec:
    name: str
    type: OutputType
    path: str | None = (
        None  # absolute local path or fsspec URL; None -> <run>/<step>/outputs/<name>
    )
    mode: str | None = None
    # a step output bound to a pipeline output (``${{parent.outputs.<name>}}``): that name
    parent_output: str | None = None


@dataclass(frozen=True)
class EnvironmentRef:
    """A step's ``environment``: recorded always, built only with ``--environments build``
    (:mod:`daskprs.envs`). Two are equal when their content is: ``file`` / ``key`` (where it
    was set) and ``conda_file`` (where the conda specification was read from) are for
    messages only."""

    file: str = field(compare=False)
    key: str = field(compare=False)  # dotted key, e.g. jobs.train.task.environment
    reference: str | None = None  # a registered environment: "azureml:name:version" / "@latest"
    conda_file: str | None = field(default=None, compare=False)  # absolute path, when a file
    conda: dict[str, Any] | None = None  # the conda specification (the file's, or inline)
    image: str | None = None  # recorded, never used


@dataclass(frozen=True)
class RetrySettings:
    max_retries: int = DEFAULT_MAX_RETRIES
    timeout: int = DEFAULT_RUN_TIMEOUT


@dataclass(frozen=True)
class PrsArguments:
    """The runtime's own program arguments (``task.program_arguments``), with Azure defaults."""

    error_threshold: int = -1  # failed items; -1 disables
    allowed_failed_percent: float = 100.0  # failed mini batches in %; 100 disables
    task_overhead_timeout: int = 30  # seconds to load a mini batch
    progress_update_timeout: int | None = None  # None -> 3 * (timeout + task_overhead_timeout)
    first_task_creation_timeout: int = 600
    copy_logs_to_parent: bool = False
    resource_monitor_interval: int = 600  # seconds; 0 turns sys/perf off
    append_row_dataframe_header: bool = False
    metrics_name_prefix: str | None = None  # recorded only (metrics go to Azure)
    push_metrics_to_parent: bool = False  # recorded only
    process_memory_limit: int | None = None  # bytes of RSS per entry process (daskprs extension)

    def effective_progress_update_timeout(self, run_timeout: int) -> int:
        if self.progress_update_timeout is not None and self.progress_update_timeout > 0:
            return self.progress_update_timeout
        return 3 * (run_timeout + self.task_overhead_timeout)


@dataclass(frozen=True)
class ParallelStep:
    """A ``type: parallel`` step, fully resolved."""

    name: str
    source_file: str  # the YAML file that defined it (for error messages)
    input_data: InputSpec
    inputs: dict[str, InputSpec]
    outputs: dict[str, OutputSpec]
    code_dir: str  # absolute path of task.code
    entry_script: str  # relative to code_dir, e.g. "score.py" or "pkg/score.py"
    program_arguments: tuple[str, ...] = ()  # user tokens, bindings substituted (PRS ones included)
    mini_batch_size: int | None = None  # None -> default for the input kind
    partition_keys: tuple[str, ...] | None = None
    instance_count: int = DEFAULT_INSTANCE_COUNT
    max_concurrency_per_instance: int = DEFAULT_MAX_CONCURRENCY_PER_INSTANCE
    mini_batch_error_threshold: int = DEFAULT_MINI_BATCH_ERROR_THRESHOLD
    # the node attribute; --error_threshold overrides when given
    error_threshold: int = DEFAULT_ERROR_THRESHOLD
    logging_level: str = DEFAULT_LOGGING_LEVEL
    retry: RetrySettings = field(default_factory=RetrySettings)
    environment_variables: dict[str, str] = field(default_factory=dict, repr=False)  # secrets
    append_row_to: str | None = None  # output name, or None for summary-only
    prs: PrsArguments = field(default_factory=PrsArguments)
    cloud: dict[str, Any] = field(default_factory=dict)  # cloud-only keys, recorded
    depends_on: tuple[str, ...] = ()  # names of steps whose outputs this step consumes
    environment: EnvironmentRef | None = None
    # the node as written, merged with its component: what the report's settings view shows
    written: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    type: Literal["parallel"] = "parallel"

    @property
    def processes(self) -> int:
        return self.instance_count * self.max_concurrency_per_instance


@dataclass(frozen=True)
class CommandStep:
    """A ``type: command`` step, fully resolved except for its command line."""

    name: str
    source_file: str
    command: str  # with ${{inputs.x}} / ${{outputs.x}} still in it; substituted at run time
    code_dir: str | None
    inputs: dict[str, InputSpec]
    outputs: dict[str, OutputSpec]
    environment_variables: dict[str, str] = field(default_factory=dict, repr=False)  # secrets
    cloud: dict[str, Any] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    environment: EnvironmentRef | None = None
    written: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    type: Literal["command"] = "command"


Step = ParallelStep | CommandStep


def node_metadata(step: Step) -> dict[str, Any]:
    """What the step's node says about itself: its ``display_name``, ``description``, ``tags``,
    ``properties``... (every node key recorded and not acted on, keys.NODE_METADATA_KEYS and
    the keys a node with a component may add), with the component's ``display_name`` and
    ``description`` when the node gives none. For job.json and the report."""
    meta = {k: v for k, v in step.cloud.items() if "." not in k and k != "$schema"}
    for key in ("display_name", "description"):
        if meta.get(key) is None and step.cloud.get(f"component.{key}") is not None:
            meta[key] = step.cloud[f"component.{key}"]
    return meta


@dataclass(frozen=True)
class PipelineJob:
    """A whole job: a pipeline, or a standalone parallel job run as a one-step pipeline."""

    name: str
    source_file: str
    steps: dict[str, Step]  # in a valid topological order
    inputs: dict[str, InputSpec] = field(default_factory=dict)
    outputs: dict[str, OutputSpec] = field(default_factory=dict)
    continue_on_step_failure: bool = False
    cloud: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)  # the YAML (after --set)
