"""The Python API (mirrors ``azure.ai.ml``): load_job, run, read_mltable."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from distributed import Client

from daskprs.engine.pipeline import JobResult, run_job
from daskprs.engine.progress import Progress, TqdmProgress
from daskprs.spec.model import PipelineJob

if TYPE_CHECKING:
    from daskprs.envs import EnvOptions


def load_job(source: str | os.PathLike[str], overrides: Sequence[str] = ()) -> PipelineJob:
    """Parse and validate a pipeline or parallel job YAML, like ``azure.ai.ml.load_job``.

    Raises :class:`daskprs.errors.SpecError` naming the file, the dotted key and what is valid.
    """
    from daskprs.spec.load import load_job as _load

    return _load(source, overrides=overrides)


def run(
    job: PipelineJob | str | os.PathLike[str],
    client: Client | None = None,
    run_dir: str | None = None,
    *,
    scheduler: str | None = None,
    resume: bool = False,
    force_replan: bool = False,
    progress: bool | Progress = True,
    security: Any = None,
    overwrite: bool = False,
    input_cache: bool = True,
    environments: str | EnvOptions = "current",
    env_dir: str | None = None,
    env_python: dict[str, str] | None = None,
) -> JobResult:
    """Run a job on ``client`` (an existing ``distributed.Client``), on ``scheduler`` (an
    address), or on an embedded LocalCluster. Returns a :class:`JobResult` with ``status``,
    ``steps[name].summary()`` and ``outputs``.

    ``resume=True`` continues the run in ``run_dir`` (a Completed one is returned as it is);
    ``force_replan=True`` lets it start over steps whose plan or input changed.
    ``overwrite``: an output ``path:`` outside the run directory may replace an existing file
    (otherwise that is a spec error). ``input_cache=False``: remote input files handed to
    ``run()`` are downloaded afresh for every mini batch, never reused from the local cache.

    ``environments="build"`` runs each step in a cached virtual environment built from its
    conda file (under ``env_dir``); ``env_python`` maps registered environments to local
    interpreters. See docs/environments.md."""
    from daskprs.envs import EnvOptions

    env_options = EnvOptions.coerce(environments, env_dir=env_dir, env_python=env_python)
    if hasattr(job, "to_job"):  # a pipeline or node built with daskprs.sdk
        job = job.to_job()
    if not isinstance(job, PipelineJob):
        job = load_job(job)
    if progress is True:
        display: Progress = TqdmProgress()
    elif progress is False:
        display = Progress()
    else:
        display = progress
    return run_job(
        job,
        client=client,
        scheduler=scheduler,
        run_dir=run_dir,
        resume=resume,
        force_replan=force_replan,
        progress=display,
        security=security,
        overwrite=overwrite,
        input_cache=input_cache,
        environments=env_options,
    )


def read_mltable(
    path: str,
    mini_batch_size: int | str | None = None,
    partition_keys: Sequence[str] | None = None,
    storage_options: dict[str, Any] | None = None,
) -> Any:
    """The Dask DataFrame whose partitions are the mini batches a job would cut."""
    from daskprs.data import read_mltable as _read

    keys = list(partition_keys) if partition_keys else None
    return _read(
        path, mini_batch_size=mini_batch_size, partition_keys=keys, storage_options=storage_options
    )
