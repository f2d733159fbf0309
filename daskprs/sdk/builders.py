"""``parallel_run_function`` and ``command``: the azure-ai-ml (1.35) builders, same keyword
arguments and defaults. Each returns a node; call it inside a ``@pipeline`` function with its
inputs (``train(data=prep.outputs.table)``) to add a step, or run it alone with
``daskprs.run(node.to_job())``."""

from __future__ import annotations

import os
from typing import Any

from daskprs.sdk._util import DATA_TYPES, literal_type
from daskprs.sdk.bindings import PortReference
from daskprs.sdk.entities import Environment, RetrySettings, RunFunction
from daskprs.sdk.io import Input, Output
from daskprs.sdk.nodes import Command, Parallel


def parse_inputs(inputs: dict[str, Any] | None) -> tuple[dict[str, Input | None], dict[str, Any]]:
    """Port declarations and values from an ``inputs=`` dict, as azure-ai-ml splits them: an
    :class:`Input` declares the port (and, with a ``path``, gives its data); a literal declares
    a literal port and gives its value."""
    ports: dict[str, Input | None] = {}
    values: dict[str, Any] = {}
    for key, value in (inputs or {}).items():
        if isinstance(value, dict):
            value = Input(**value)
        if isinstance(value, Input):
            ports[key] = Input(**value._to_dict())
            if value.type in DATA_TYPES and value.path is not None:
                values[key] = Input(**value._to_dict())
        elif isinstance(value, PortReference):
            ports[key] = None
            values[key] = value
        elif literal_type(value) is not None:
            ports[key] = Input(type=literal_type(value))  # type: ignore[arg-type]
            values[key] = value
        else:
            raise TypeError(
                f"input {key!r}: unsupported {type(value).__name__} {value!r}; only Input, dict, "
                "str, bool, int and float are supported"
            )
    return ports, values


def parse_outputs(
    outputs: dict[str, Any] | None,
) -> tuple[dict[str, Output | None], dict[str, Any]]:
    ports: dict[str, Output | None] = {}
    values: dict[str, Any] = {}
    for key, value in (outputs or {}).items():
        if isinstance(value, dict) and value:
            value = Output(**value)
        if isinstance(value, Output):
            ports[key] = Output(**value._to_dict())
        elif not value:
            ports[key] = Output()
        elif isinstance(value, str):  # ${{parent.outputs.x}}
            ports[key] = None
            values[key] = value
        else:
            raise TypeError(
                f"output {key!r}: unsupported {type(value).__name__} {value!r}; only Output and "
                "dict are supported"
            )
    return ports, values


def parallel_run_function(
    *,
    name: str | None = None,
    description: str | None = None,
    tags: dict[str, Any] | None = None,
    properties: dict[str, Any] | None = None,
    display_name: str | None = None,
    experiment_name: str | None = None,
    compute: str | None = None,
    retry_settings: RetrySettings | dict[str, Any] | None = None,
    environment_variables: dict[str, Any] | None = None,
    logging_level: str | None = None,
    max_concurrency_per_instance: int | None = None,
    error_threshold: int | None = None,
    mini_batch_error_threshold: int | None = None,
    task: RunFunction | None = None,
    mini_batch_size: str | None = None,
    partition_keys: list[str] | None = None,
    input_data: str | None = None,
    inputs: dict[str, Any] | None = None,
    outputs: dict[str, Any] | None = None,
    instance_count: int | None = None,
    instance_type: str | None = None,
    docker_args: str | None = None,
    shm_size: str | None = None,
    identity: Any = None,
    is_deterministic: bool = True,
    **kwargs: Any,
) -> Parallel:
    """A parallel step (``azure.ai.ml.parallel.parallel_run_function``). Unset settings take
    the Azure defaults when the job is loaded: ``logging_level`` INFO,
    ``max_concurrency_per_instance`` 1, ``error_threshold`` and ``mini_batch_error_threshold``
    -1, ``retry_settings`` 2 retries / 60 s, ``mini_batch_size`` 10 files or 1 MiB."""
    in_ports, in_values = parse_inputs(inputs)
    out_ports, out_values = parse_outputs(outputs)
    node = Parallel(
        name=name,
        description=description,
        tags=tags,
        properties=properties,
        display_name=display_name,
        experiment_name=experiment_name,
        compute=compute,
        retry_settings=retry_settings,
        environment_variables=environment_variables,
        logging_level=logging_level,
        max_concurrency_per_instance=max_concurrency_per_instance,
        error_threshold=error_threshold,
        mini_batch_error_threshold=mini_batch_error_threshold,
        task=task,
        mini_batch_size=mini_batch_size,
        partition_keys=partition_keys,
        input_data=input_data,
        inputs=in_values,
        outputs=out_values,
        input_ports=in_ports,
        output_ports=out_ports,
        identity=identity,
        component_name=name,
    )
    node.set_resources(
        instance_count=instance_count,
        instance_type=instance_type,
        docker_args=docker_args,
        shm_size=shm_size,
    )
    return node


def command(
    *,
    name: str | None = None,
    description: str | None = None,
    tags: dict[str, Any] | None = None,
    properties: dict[str, Any] | None = None,
    display_name: str | None = None,
    command: str | None = None,
    experiment_name: str | None = None,
    environment: str | Environment | None = None,
    environment_variables: dict[str, Any] | None = None,
    distribution: Any = None,
    compute: str | None = None,
    inputs: dict[str, Any] | None = None,
    outputs: dict[str, Any] | None = None,
    instance_count: int | None = None,
    instance_type: str | None = None,
    locations: list[str] | None = None,
    docker_args: str | list[str] | None = None,
    shm_size: str | None = None,
    timeout: int | None = None,
    code: str | os.PathLike[str] | None = None,
    identity: Any = None,
    is_deterministic: bool = True,
    services: dict[str, Any] | None = None,
    job_tier: str | None = None,
    priority: str | None = None,
    parent_job_name: str | None = None,
    **kwargs: Any,
) -> Command:
    """A command step (``azure.ai.ml.command``): ``command`` runs in a subprocess with
    ``${{inputs.x}}`` / ``${{outputs.x}}`` substituted, in ``code`` as working directory."""
    in_ports, in_values = parse_inputs(inputs)
    out_ports, out_values = parse_outputs(outputs)
    node = Command(
        name=name,
        description=description,
        tags=tags,
        properties=properties,
        display_name=display_name,
        command=command,
        experiment_name=experiment_name,
        environment=environment,
        environment_variables=environment_variables,
        distribution=distribution,
        compute=compute,
        inputs=in_values,
        outputs=out_values,
        input_ports=in_ports,
        output_ports=out_ports,
        code=code,
        identity=identity,
        services=services,
        parent_job_name=parent_job_name,
        component_name=name,
    )
    node.set_resources(
        instance_count=instance_count,
        instance_type=instance_type,
        locations=locations,
        docker_args=docker_args,
        shm_size=shm_size,
    )
    if timeout is not None:
        node.set_limits(timeout=timeout)
    if job_tier is not None or priority is not None:
        node.set_queue_settings(job_tier=job_tier, priority=priority)
    return node
