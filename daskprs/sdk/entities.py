"""Settings objects of azure-ai-ml (1.35) with the same keyword arguments and defaults:
``RetrySettings``, ``JobResourceConfiguration``, ``Environment``, ``ParallelTask`` /
``RunFunction`` and ``PipelineJobSettings`` (``azure.ai.ml.entities`` / ``azure.ai.ml.parallel``).

Each serialises to the YAML mapping the parser reads (``_to_dict``), unset fields left out.
"""

from __future__ import annotations

import os
from typing import Any

from daskprs.sdk._util import absolute, compact
from daskprs.sdk.bindings import text


class _Settings:
    _FIELDS: tuple[str, ...] = ()

    def _to_dict(self, base_dir: str | None = None) -> dict[str, Any]:
        return compact((f, text(getattr(self, f))) for f in self._FIELDS)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._to_dict() == other._to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._to_dict()})"


class RetrySettings(_Settings):
    """``retry_settings``: ``timeout`` (seconds one ``run()`` may take; default 60) and
    ``max_retries`` (default 2) - the defaults apply when a field is left None."""

    _FIELDS = ("timeout", "max_retries")

    def __init__(
        self,
        *,
        timeout: int | str | None = None,
        max_retries: int | str | None = None,
        **kwargs: Any,
    ) -> None:
        self.timeout = timeout
        self.max_retries = max_retries


class JobResourceConfiguration(_Settings):
    """``resources``: ``instance_count`` is honoured (the number of Dask workers used); the
    other fields only matter in Azure and are recorded."""

    _FIELDS = (
        "instance_count",
        "instance_type",
        "locations",
        "properties",
        "docker_args",
        "shm_size",
        "max_instance_count",
    )

    def __init__(
        self,
        *,
        locations: list[str] | None = None,
        instance_count: int | None = None,
        instance_type: str | list[Any] | None = None,
        properties: dict[str, Any] | None = None,
        docker_args: str | list[str] | None = None,
        shm_size: str | None = None,
        max_instance_count: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.locations = locations
        self.instance_count = instance_count
        self.instance_type = instance_type
        self.properties = properties
        self.docker_args = docker_args
        self.shm_size = shm_size
        self.max_instance_count = max_instance_count


class Environment(_Settings):
    """An environment (``image``, ``conda_file``...). daskprs never builds it: steps run in the
    current Python environment. A local ``conda_file`` must exist, as Azure reads it."""

    _FIELDS = (
        "name",
        "version",
        "description",
        "image",
        "build",
        "conda_file",
        "tags",
        "properties",
        "datastore",
    )

    def __init__(
        self,
        *,
        name: str | None = None,
        version: str | None = None,
        description: str | None = None,
        image: str | None = None,
        build: Any = None,
        conda_file: str | os.PathLike[str] | dict[str, Any] | None = None,
        tags: dict[str, Any] | None = None,
        properties: dict[str, Any] | None = None,
        datastore: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.name = name
        self.version = version
        self.description = description
        self.image = image
        self.build = build
        self.conda_file = conda_file
        self.tags = tags
        self.properties = properties
        self.datastore = datastore

    def _to_dict(self, base_dir: str | None = None) -> dict[str, Any]:
        out = super()._to_dict()
        if isinstance(self.conda_file, os.PathLike | str):
            out["conda_file"] = absolute(self.conda_file, base_dir or os.getcwd())
        return out


def environment_value(env: Any, base_dir: str) -> Any:
    """An ``environment`` setting as YAML: a reference string, or a mapping with an absolute
    ``conda_file``."""
    if isinstance(env, Environment):
        return env._to_dict(base_dir)
    if isinstance(env, dict):
        out = dict(env)
        if isinstance(out.get("conda_file"), os.PathLike | str):
            out["conda_file"] = absolute(out["conda_file"], base_dir)
        return out
    return env


class ParallelTask(_Settings):
    """The ``task`` of a parallel step. Only ``type="run_function"`` runs in daskprs."""

    _FIELDS = (
        "type",
        "code",
        "entry_script",
        "program_arguments",
        "model",
        "append_row_to",
        "environment",
    )

    def __init__(
        self,
        *,
        type: str | None = None,
        code: str | None = None,
        entry_script: str | None = None,
        program_arguments: str | None = None,
        model: str | None = None,
        append_row_to: str | None = None,
        environment: Environment | str | None = None,
        **kwargs: Any,
    ) -> None:
        self.type = type
        self.code = code
        self.entry_script = entry_script
        self.program_arguments = program_arguments
        self.model = model
        self.append_row_to = append_row_to
        self.environment = environment

    def _to_dict(self, base_dir: str | None = None) -> dict[str, Any]:
        base = base_dir or os.getcwd()
        out = compact((f, text(getattr(self, f))) for f in self._FIELDS if f != "environment")
        if "code" in out:
            out["code"] = absolute(out["code"], base)
        if self.environment is not None:
            out["environment"] = environment_value(self.environment, base)
        return out


class RunFunction(ParallelTask):
    """``task: {type: run_function, code, entry_script, program_arguments, append_row_to,
    environment}``: the entry script's ``init()`` / ``run(mini_batch[, context])``."""

    def __init__(
        self,
        *,
        code: str | None = None,
        entry_script: str | None = None,
        program_arguments: str | None = None,
        model: str | None = None,
        append_row_to: str | None = None,
        environment: Environment | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            type="run_function",
            code=code,
            entry_script=entry_script,
            program_arguments=program_arguments,
            model=model,
            append_row_to=append_row_to,
            environment=environment,
        )


class PipelineJobSettings(_Settings):
    """``settings:`` of a pipeline: ``continue_on_step_failure`` is honoured; the others only
    matter in Azure and are recorded."""

    _FIELDS = ("default_datastore", "default_compute", "continue_on_step_failure", "force_rerun")

    def __init__(
        self,
        default_datastore: str | None = None,
        default_compute: str | None = None,
        continue_on_step_failure: bool | None = None,
        force_rerun: bool | None = None,
        **kwargs: Any,
    ) -> None:
        self.default_datastore = default_datastore
        self.default_compute = default_compute
        self.continue_on_step_failure = continue_on_step_failure
        self.force_rerun = force_rerun
        self._extra = dict(kwargs)

    def _to_dict(self, base_dir: str | None = None) -> dict[str, Any]:
        out = super()._to_dict()
        out.update(compact(self._extra.items()))
        return out
