"""Pipeline nodes: :class:`Parallel` (``type: parallel``) and :class:`Command` (``type: command``).

A node made by :func:`~daskprs.sdk.parallel_run_function` / :func:`~daskprs.sdk.command` carries
all its settings and becomes an inline step; a node made by calling a component from
:func:`~daskprs.sdk.load_component` becomes ``component: <file>`` plus the settings set on the
node. Calling a node (``train(data=...)``) returns a new node with those inputs, as in
azure-ai-ml; inside a ``@pipeline`` function the nodes made by calls join the pipeline (as in
azure-ai-ml, a builder's own node does not: call it).
"""

from __future__ import annotations

import copy
import os
from typing import Any

from daskprs.sdk import _context
from daskprs.sdk._util import DATA_TYPES, absolute, compact
from daskprs.sdk.bindings import IOGroup, NodeInput, NodeOutput, PortReference, text
from daskprs.sdk.entities import (
    JobResourceConfiguration,
    ParallelTask,
    RetrySettings,
    environment_value,
)
from daskprs.sdk.io import Input, Output

_DATA_INPUT_KEYS = (
    "type",
    "path",
    "mode",
    "description",
    "optional",
    "default",
    "datastore",
    "path_on_compute",
)
_OMIT = object()


class BaseNode:
    """What parallel and command nodes share: name, ports, inputs/outputs, resources."""

    type = ""
    _COPY_NAME = False  # a called Parallel keeps its name; a called Command does not (Azure)
    _SETTINGS: tuple[str, ...] = ()  # attributes copied (deeply) when the node is called

    def __init__(
        self,
        *,
        name: str | None = None,
        display_name: str | None = None,
        description: str | None = None,
        tags: dict[str, Any] | None = None,
        properties: dict[str, Any] | None = None,
        compute: str | None = None,
        experiment_name: str | None = None,
        identity: Any = None,
        environment_variables: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
        outputs: dict[str, Any] | None = None,
        input_ports: dict[str, Input | None] | None = None,
        output_ports: dict[str, Output | None] | None = None,
        component_path: str | None = None,
        component_name: str | None = None,
    ) -> None:
        self.name = name
        self.display_name = display_name
        self.description = description
        self.tags = tags
        self.properties = properties
        self.compute = compute
        self.experiment_name = experiment_name
        self.identity = identity
        self.environment_variables = dict(environment_variables or {})
        self._resources = JobResourceConfiguration()
        self._component_path = component_path
        self._component_name = component_name
        inputs = dict(inputs or {})
        outputs = dict(outputs or {})
        in_ports = dict(input_ports or {})
        out_ports = dict(output_ports or {})
        for key in inputs:
            in_ports.setdefault(key, None)
        for key in outputs:
            out_ports.setdefault(key, None)
        self._init_io(
            {k: NodeInput(k, meta, self, inputs.get(k)) for k, meta in in_ports.items()},
            {k: NodeOutput(k, meta, self) for k, meta in out_ports.items()},
        )
        for key, value in outputs.items():
            if value is not None:
                self.outputs[key]._set(value)

    def _init_io(self, ins: dict[str, NodeInput], outs: dict[str, NodeOutput]) -> None:
        self.inputs: IOGroup[NodeInput] = IOGroup(ins, self._set_input, f"{self._label()} inputs")
        self.outputs: IOGroup[NodeOutput] = IOGroup(
            outs, self._set_output, f"{self._label()} outputs"
        )

    def _label(self) -> str:
        return f"{self.type} node {self.name or self._component_name or ''}".rstrip()

    def _set_input(self, key: str, value: Any) -> None:
        ni = self.inputs.get(key)
        if ni is None:
            raise AttributeError(
                f"{self._label()} declares no input {key!r}; its inputs: {', '.join(self.inputs) or 'none'}"
            )
        ni._set(value)

    def _set_output(self, key: str, value: Any) -> None:
        no = self.outputs.get(key)
        if no is None:
            raise AttributeError(
                f"{self._label()} declares no output {key!r}; its outputs: {', '.join(self.outputs) or 'none'}"
            )
        no._set(value)

    # --- resources ---------------------------------------------------------------------------
    @property
    def resources(self) -> JobResourceConfiguration:
        """Always an object (unlike azure-ai-ml, where it is None until set), so
        ``node.resources.instance_count = 2`` works on any node."""
        return self._resources

    @resources.setter
    def resources(self, value: JobResourceConfiguration | dict[str, Any] | None) -> None:
        if value is None:
            value = JobResourceConfiguration()
        elif isinstance(value, dict):
            value = JobResourceConfiguration(**value)
        self._resources = value

    def _update_resources(self, **fields: Any) -> None:
        for key, value in fields.items():
            if value is not None:
                setattr(self._resources, key, value)

    # --- calling a node ----------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> BaseNode:
        if args:
            raise TypeError(
                f"{self._label()} takes its inputs as keyword arguments "
                f"({', '.join(self.inputs) or 'none'}), not positional ones"
            )
        unknown = [k for k in kwargs if k not in self.inputs]
        if unknown:
            raise TypeError(
                f"{self._label()} got unexpected input(s) {', '.join(map(repr, unknown))}; "
                f"its inputs: {', '.join(self.inputs) or 'none'}"
            )
        node = self._copy()
        for key, value in kwargs.items():
            node.inputs[key] = value
        return node

    def _copy(self) -> BaseNode:
        node = copy.copy(self)
        if not self._COPY_NAME:
            node.name = None
        for attr in (
            "tags",
            "properties",
            "identity",
            "environment_variables",
            "_resources",
            *self._SETTINGS,
        ):
            setattr(node, attr, copy.deepcopy(getattr(self, attr)))
        ins = {}
        for key, ni in self.inputs.items():
            new = NodeInput(key, ni._meta, node, copy.deepcopy(ni._data))
            new._mode = ni._mode
            ins[key] = new
        outs = {}
        for key, no in self.outputs.items():
            out = NodeOutput(key, no._meta, node)
            out._override = dict(no._override)
            outs[key] = out
        node._init_io(ins, outs)
        _context.register(node)
        return node

    # --- YAML --------------------------------------------------------------------------------
    @property
    def _inline(self) -> bool:
        return self._component_path is None

    def _settings_dict(self, base_dir: str, standalone: bool) -> dict[str, Any]:
        raise NotImplementedError

    def _node_dict(self, base_dir: str) -> dict[str, Any]:
        """The step as it appears under ``jobs:`` of a pipeline YAML."""
        out: dict[str, Any] = {"type": self.type}
        if self._component_path is not None:
            out["component"] = self._component_path
        out.update(self._settings_dict(base_dir, standalone=False))
        inputs = {}
        for key, ni in self.inputs.items():
            value = _input_value(ni, self._inline, base_dir)
            if value is not _OMIT:
                inputs[key] = value
        outputs = {}
        for key, no in self.outputs.items():
            value = _output_value(no, self._inline, base_dir)
            if value is not _OMIT:
                outputs[key] = value
        return {**out, **compact([("inputs", inputs), ("outputs", outputs)])}

    def _job_dict(self, base_dir: str) -> dict[str, Any]:
        """The node as a standalone job YAML (``type: parallel`` / ``type: command``)."""
        if not self._inline:
            raise ValueError(
                f"{self._label()} uses the component {self._component_path}; run it inside a "
                "@pipeline function (a standalone job needs its settings inline)"
            )
        out: dict[str, Any] = {
            "type": self.type,
            "name": self.name or self._component_name or f"{self.type}_job",
        }
        out.update(self._settings_dict(base_dir, standalone=True))
        inputs = {}
        for key, ni in self.inputs.items():
            if isinstance(ni._data, PortReference):
                raise ValueError(
                    f"input {key!r} of {self._label()} is bound to {ni._data!r}; a standalone "
                    "job needs values: call the node inside a @pipeline function instead"
                )
            value = _input_value(ni, True, base_dir)
            if value is not _OMIT:
                inputs[key] = value
        outputs = {}
        for key, no in self.outputs.items():
            value = _output_value(no, True, base_dir)
            outputs[key] = None if value is _OMIT else value
        return {**out, **compact([("inputs", inputs), ("outputs", outputs)])}

    def to_job(self) -> Any:
        """This node as a standalone job: a :class:`daskprs.spec.model.PipelineJob` with one
        step (paths relative to the current directory)."""
        from daskprs.sdk.loader import load_job_dict

        raw = self._job_dict(os.getcwd())
        return load_job_dict(raw, name=str(raw["name"]))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class Parallel(BaseNode):
    """A ``type: parallel`` node (``azure.ai.ml.entities.Parallel``). Settable after
    construction: ``resources``, ``retry_settings``, ``mini_batch_size``, ``partition_keys``,
    ``mini_batch_error_threshold``, ``error_threshold``, ``max_concurrency_per_instance``,
    ``logging_level``, ``environment_variables``, ``task``, ``input_data``, ``compute``..."""

    type = "parallel"
    _COPY_NAME = True
    _SETTINGS = ("_task", "_retry_settings", "partition_keys")

    def __init__(
        self,
        *,
        task: ParallelTask | dict[str, Any] | None = None,
        input_data: str | None = None,
        mini_batch_size: str | int | None = None,
        partition_keys: list[str] | None = None,
        logging_level: str | None = None,
        max_concurrency_per_instance: int | None = None,
        error_threshold: int | None = None,
        mini_batch_error_threshold: int | None = None,
        retry_settings: RetrySettings | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.task = task
        self.input_data = input_data
        self.mini_batch_size = mini_batch_size
        self.partition_keys = list(partition_keys) if partition_keys is not None else None
        self.logging_level = logging_level
        self.max_concurrency_per_instance = max_concurrency_per_instance
        self.error_threshold = error_threshold
        self.mini_batch_error_threshold = mini_batch_error_threshold
        self.retry_settings = retry_settings
        super().__init__(**kwargs)

    @property
    def task(self) -> ParallelTask | None:
        return self._task

    @task.setter
    def task(self, value: ParallelTask | dict[str, Any] | None) -> None:
        self._task = ParallelTask(**value) if isinstance(value, dict) else value

    @property
    def retry_settings(self) -> RetrySettings:
        """Always an object (azure-ai-ml: None until set), so
        ``node.retry_settings.timeout = 30`` works on any node."""
        return self._retry_settings

    @retry_settings.setter
    def retry_settings(self, value: RetrySettings | dict[str, Any] | None) -> None:
        if value is None:
            value = RetrySettings()
        elif isinstance(value, dict):
            value = RetrySettings(**value)
        self._retry_settings = value

    def set_resources(
        self,
        *,
        instance_type: str | list[str] | None = None,
        instance_count: int | None = None,
        properties: dict[str, Any] | None = None,
        docker_args: str | None = None,
        shm_size: str | None = None,
        **kwargs: Any,
    ) -> None:
        self._update_resources(
            instance_type=instance_type,
            instance_count=instance_count,
            properties=properties,
            docker_args=docker_args,
            shm_size=shm_size,
        )

    def _settings_dict(self, base_dir: str, standalone: bool) -> dict[str, Any]:
        mbs = self.mini_batch_size
        if isinstance(mbs, int) and not isinstance(mbs, bool):
            mbs = str(mbs)  # the YAML schema wants a string
        meta: list[tuple[str, Any]] = []
        if standalone:  # an inline pipeline step takes none of these (Azure's schema)
            meta = [
                ("display_name", self.display_name),
                ("description", self.description),
                ("tags", self.tags),
                ("experiment_name", self.experiment_name),
            ]
        return compact(
            [
                *meta,
                ("compute", self.compute),
                ("identity", text(self.identity)),
                ("properties", self.properties),
                ("input_data", text(self.input_data)),
                ("mini_batch_size", text(mbs)),
                ("partition_keys", text(self.partition_keys)),
                ("resources", self.resources._to_dict()),
                ("error_threshold", text(self.error_threshold)),
                ("mini_batch_error_threshold", text(self.mini_batch_error_threshold)),
                ("logging_level", text(self.logging_level)),
                ("max_concurrency_per_instance", text(self.max_concurrency_per_instance)),
                ("retry_settings", self.retry_settings._to_dict()),
                ("environment_variables", text(self.environment_variables)),
                ("task", self.task._to_dict(base_dir) if self.task is not None else None),
            ]
        )


class Command(BaseNode):
    """A ``type: command`` node (``azure.ai.ml.entities.Command``). Settable after
    construction: ``command``, ``code``, ``environment``, ``environment_variables``,
    ``resources``, ``distribution``, ``limits``, ``compute``..."""

    type = "command"
    _SETTINGS = ("environment", "distribution", "limits", "services", "queue_settings")

    def __init__(
        self,
        *,
        command: str | None = None,
        code: str | os.PathLike[str] | None = None,
        environment: Any = None,
        distribution: Any = None,
        limits: dict[str, Any] | None = None,
        services: dict[str, Any] | None = None,
        queue_settings: dict[str, Any] | None = None,
        parent_job_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.command = command
        self.code = code
        self.environment = environment
        self.distribution = distribution
        self.limits = limits
        self.services = services
        self.queue_settings = queue_settings
        self.parent_job_name = parent_job_name
        super().__init__(**kwargs)

    def set_resources(
        self,
        *,
        instance_type: str | list[str] | None = None,
        instance_count: int | None = None,
        locations: list[str] | None = None,
        properties: dict[str, Any] | None = None,
        docker_args: str | list[str] | None = None,
        shm_size: str | None = None,
        **kwargs: Any,
    ) -> None:
        self._update_resources(
            instance_type=instance_type,
            instance_count=instance_count,
            locations=locations,
            properties=properties,
            docker_args=docker_args,
            shm_size=shm_size,
        )

    def set_limits(self, *, timeout: int, **kwargs: Any) -> None:
        self.limits = {"timeout": timeout}

    def set_queue_settings(
        self, *, job_tier: str | None = None, priority: str | None = None
    ) -> None:
        self.queue_settings = compact([("job_tier", job_tier), ("priority", priority)])

    def _settings_dict(self, base_dir: str, standalone: bool) -> dict[str, Any]:
        dist = self.distribution
        if dist is not None and hasattr(dist, "_to_dict"):
            dist = dist._to_dict()
        return compact(
            [
                ("display_name", self.display_name),
                ("description", self.description),
                ("tags", self.tags),
                ("experiment_name", self.experiment_name if standalone else None),
                ("compute", self.compute),
                ("identity", text(self.identity)),
                ("properties", self.properties),
                ("code", absolute(self.code, base_dir)),
                ("command", text(self.command)),
                ("environment", environment_value(self.environment, base_dir)),
                ("environment_variables", text(self.environment_variables)),
                ("resources", self.resources._to_dict()),
                ("distribution", dist),
                ("limits", text(self.limits)),
                ("services", text(self.services)),
                ("queue_settings", self.queue_settings),
                ("parent_job_name", self.parent_job_name),
            ]
        )


def _input_value(ni: NodeInput, inline: bool, base_dir: str) -> Any:
    """A node input as YAML: a literal, a ``${{...}}`` binding, or ``{type, path, mode}``."""
    data, meta = ni._data, ni._meta
    if data is None:
        if inline and meta is not None and meta.default is not None:
            return meta.default
        return _OMIT
    if isinstance(data, PortReference):
        binding = str(data)
        mode = ni._mode or (meta.mode if inline and meta is not None else None)
        if inline and meta is not None and meta.type in DATA_TYPES:
            return compact([("type", meta.type), ("path", binding), ("mode", mode)])
        if ni._mode is not None:
            return {"path": binding, "mode": ni._mode}
        return binding
    if isinstance(data, Input):
        if data._is_primitive_type:
            return _OMIT if data.default is None else data.default
        spec = {k: v for k, v in data._to_dict(base_dir).items() if k in _DATA_INPUT_KEYS}
        if ni._mode is not None:
            spec["mode"] = ni._mode
        return spec
    return data


def _output_value(no: NodeOutput, inline: bool, base_dir: str) -> Any:
    """A node output as YAML: ``${{parent.outputs.x}}`` or ``{type, path, mode}``."""
    if no._bound is not None:
        return str(no._bound)
    fields: dict[str, Any] = {}
    if inline and no._meta is not None:
        fields.update(no._meta._to_dict())
    fields.update(no._override)
    if "path" in fields:
        fields["path"] = absolute(fields["path"], base_dir)
    if not fields:
        return None if inline else _OMIT
    return fields
